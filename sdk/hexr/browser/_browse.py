"""`abrowse`: one ephemeral headless Chromium session behind the egress proxy.

Chromium is Debian's (``/usr/bin/chromium``, driven by Playwright through
``executable_path``; no browser is ever downloaded) and starts with a minimal environment
(no ``HEXR_*``, cloud variables or ``SPIFFE_ENDPOINT_SOCKET``) and a fresh profile, so the
session has no credentials and nothing persists between calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import yaml
from pydantic import ValidationError

from hexr import _env
from hexr.browser._actions import (
    Action,
    Click,
    ExtractText,
    Fill,
    Navigate,
    Press,
    Scroll,
    Select,
    WaitFor,
    parse_actions,
)
from hexr.browser._egress import DENIED_HEADER, EgressPolicy, EgressProxy
from hexr.browser._launcher import write_launcher
from hexr.browser._snapshot import SNAPSHOT_JS, ref_selector, snapshot_items
from hexr.context import current_agent
from hexr.errors import BrowserError, ConfigError, EgressDenied
from hexr.sandbox._isolation import network_namespaces, secret_paths
from hexr.telemetry import _names as n
from hexr.telemetry import current_handle, get_meter, get_tracer

__all__ = ["ActionResult", "BrowseResult", "UntrustedText", "abrowse", "egress_policy_for"]

CHROMIUM = "/usr/bin/chromium"
_BRIDGE_PORT = 3128
"""The proxy's port inside Chromium's network namespace (bridged to the proxy's socket)."""
_MAX_TEXT = 100_000
_ARGS = (
    "--headless",
    "--no-sandbox",  # as root Chromium's own sandbox cannot start; the proxy is the boundary
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--dns-prefetch-disable",
    "--no-pings",
    "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
    "--disable-features=DnsOverHttps,MediaRouter,OptimizationHints",
)
_METER = get_meter()
_SESSIONS = _METER.create_counter(
    n.METRIC_BROWSER_SESSIONS, unit="{session}", description="Browser sessions by status."
)
_BLOCKED = _METER.create_counter(
    n.METRIC_BROWSER_BLOCKED_REQUESTS, unit="{request}", description="Browser egress denied."
)
_DURATION = _METER.create_histogram(
    n.METRIC_BROWSER_DURATION, unit="s", description="Browser session duration."
)


@dataclass(frozen=True, slots=True)
class UntrustedText:
    """Text taken from a web page: data, never instructions."""

    text: str
    source: str
    """The page URL without query or fragment."""
    guard_blocked: tuple[str, ...] = ()
    """Guard scanners that flagged the text (then ``text`` is empty)."""
    untrusted: bool = True

    def as_prompt(self) -> str:
        """The text fenced and labelled as untrusted, for putting into a prompt."""
        body = self.text.replace("</untrusted-web-content", "&lt;/untrusted-web-content")
        return f'<untrusted-web-content source="{self.source}">\n{body}\n</untrusted-web-content>'


@dataclass(slots=True)
class ActionResult:
    """What one action returned."""

    action: str
    text: UntrustedText | None = None
    screenshot: bytes | None = None


@dataclass(slots=True)
class BrowseResult:
    """The outcome of a `browse` call."""

    final_url: str
    snapshot: list[dict[str, str]]
    """Interactive elements of the last page: ``ref``, ``tag``, ``type``, ``name``."""
    results: list[ActionResult] = field(default_factory=list)
    blocked_requests: int = 0
    """Requests the egress proxy refused (sub-resources included)."""
    network_isolated: bool = False
    """Chromium ran in its own network namespace, reaching only the proxy (root only)."""


def _strip_query(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _who() -> tuple[str, str]:
    agent = current_agent()
    if agent is not None:
        return agent.tenant, agent.name
    handle = current_handle()
    if handle is not None:
        return handle.settings.tenant or "", handle.settings.agent_name or ""
    return "", ""


def egress_policy_for(tenant: str, agent: str, path: str | None = None) -> EgressPolicy:
    """The allowlist of ``tenant``/``agent`` from ``HEXR_BROWSER_EGRESS`` (empty: deny all).

    The file maps ``"<tenant>/<agent>"``, ``"<tenant>"`` or ``default`` to a list of entries.
    """
    file = path or os.environ.get(_env.HEXR_BROWSER_EGRESS)
    if not file:
        return EgressPolicy()
    try:
        with open(file, encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"browser egress file {file}: unreadable ({type(exc).__name__})"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"browser egress file {file}: a mapping is expected")
    for key in (f"{tenant}/{agent}", tenant, "default"):
        entries = data.get(key)
        if entries is not None:
            if not isinstance(entries, list) or not all(isinstance(e, str) for e in entries):
                raise ConfigError(f"browser egress file {file}: {key}: a list of strings")
            try:
                return EgressPolicy(tuple(entries))
            except ValueError as exc:
                raise ConfigError(f"browser egress file {file}: {key}: {exc}") from None
    return EgressPolicy()


class _Session:
    """One page, its egress proxy and the navigation checks."""

    def __init__(self, page: Any, proxy: EgressProxy, scan_text: bool) -> None:
        self.page = page
        self.proxy = proxy
        self.scan_text = scan_text
        self.denied: str | None = None
        self.snapshot: list[dict[str, str]] = []
        page.on("response", self._on_response)

    def _on_response(self, response: Any) -> None:
        # A main-frame navigation the proxy refused (a redirect or a link to a denied host).
        try:
            if (
                response.request.is_navigation_request()
                and response.frame == self.page.main_frame
                and response.headers.get(DENIED_HEADER.lower()) == "denied"
            ):
                self.denied = _strip_query(response.url)
        except Exception:  # noqa: BLE001 - a detached frame must not break the session
            return

    def _check(self) -> None:
        if self.denied is not None:
            raise EgressDenied(f"egress denied: {self.denied}")

    async def refresh(self) -> None:
        self.snapshot = snapshot_items(await self.page.evaluate(SNAPSHOT_JS))

    async def run(self, action: Action) -> ActionResult:
        """Run one validated action."""
        page = self.page
        result = ActionResult(action.action)
        if isinstance(action, Navigate):
            await self._navigate(action.url)
        elif isinstance(action, Click | Fill | Select | Press):
            locator = page.locator(ref_selector(action.ref))
            if await locator.count() != 1:
                raise BrowserError(f"no element {action.ref} in the snapshot")
            if isinstance(action, Click):
                await locator.click(timeout=5_000)
            elif isinstance(action, Fill):
                await locator.fill(action.value, timeout=5_000)
            elif isinstance(action, Select):
                await locator.select_option(action.value, timeout=5_000)
            else:
                await locator.press(action.key, timeout=5_000)
            with contextlib.suppress(Exception):
                await page.wait_for_load_state("load", timeout=5_000)
            self._check()
            await self.refresh()
        elif isinstance(action, WaitFor):
            if action.ref is not None:
                target = page.locator(ref_selector(action.ref))
            else:
                target = page.get_by_text(action.text or "")
            await target.first.wait_for(timeout=action.timeout_ms)
        elif isinstance(action, Scroll):
            await page.mouse.wheel(0, action.dy)
        elif isinstance(action, ExtractText):
            selector = ref_selector(action.ref) if action.ref else "body"
            text = (await page.locator(selector).first.inner_text(timeout=5_000))[:_MAX_TEXT]
            result.text = self._untrusted(text)
        else:
            result.screenshot = await page.screenshot(type="png")
        return result

    async def _navigate(self, url: str) -> None:
        try:
            await self.page.goto(url, wait_until="load", timeout=15_000)
        except Exception as exc:  # noqa: BLE001 - Playwright raises its own Error types
            if self.denied is None and "ERR_TUNNEL_CONNECTION_FAILED" in str(exc):
                self.denied = _strip_query(url)  # the proxy refused the tunnel (https)
            self._check()
            raise BrowserError(f"navigation failed: {_strip_query(url)}") from None
        self._check()
        await self.refresh()

    def _untrusted(self, text: str) -> UntrustedText:
        source = _strip_query(self.page.url)
        if not self.scan_text:
            return UntrustedText(text, source)
        from hexr.guard import Guard, enabled  # optional: only when scanning is asked for

        guard = enabled() or Guard()
        tenant, agent = _who()
        verdict = guard.pipeline().scan(
            "output",
            [text],
            {n.ATTR_TENANT: tenant, n.ATTR_AGENT_NAME: agent},
            allow_redact=False,
        )
        if verdict.valid:
            return UntrustedText(text, source)
        return UntrustedText("", source, guard_blocked=verdict.fired)


async def abrowse(
    url: str,
    actions: list[dict[str, Any]] | tuple[dict[str, Any], ...] = (),
    *,
    egress: EgressPolicy | list[str] | None = None,
    timeout: float = 60.0,
    scan_text: bool = False,
) -> BrowseResult:
    """Open ``url`` and run ``actions`` in a fresh headless Chromium (see `hexr.browser.browse`)."""
    try:
        steps = parse_actions([{"action": "navigate", "url": url}, *actions])
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise BrowserError(f"invalid action {where}: {first['msg']}") from None
    tenant, agent = _who()
    if egress is None:
        policy = egress_policy_for(tenant, agent)
    elif isinstance(egress, EgressPolicy):
        policy = egress
    else:
        policy = EgressPolicy(tuple(egress))
    labels = {n.ATTR_TENANT: tenant, n.ATTR_AGENT_NAME: agent}
    tracer = get_tracer()
    started = perf_counter()
    status = "error"
    proxy = EgressProxy(policy)
    with tracer.start_as_current_span(
        n.SPAN_BROWSER_BROWSE,
        attributes={
            **labels,
            n.ATTR_BROWSER_URL: _strip_query(url),
            n.ATTR_BROWSER_ACTIONS_COUNT: len(actions),
        },
    ) as span:
        profile = Path(tempfile.mkdtemp(prefix="hexr-browser-"))
        try:
            isolated = network_namespaces()
            await proxy.start(str(profile / "proxy.sock") if isolated else None)
            session = _session(proxy, steps, scan_text, tracer, profile, isolated)
            result = await asyncio.wait_for(session, timeout)
            status = "ok"
            return result
        except TimeoutError:
            status = "timeout"
            raise BrowserError(f"the browser session took longer than {timeout} s") from None
        except EgressDenied:
            status = "denied"
            raise
        finally:
            await proxy.close()
            shutil.rmtree(profile, ignore_errors=True)
            span.set_attribute(n.ATTR_BROWSER_BLOCKED_REQUESTS, proxy.blocked)
            span.set_attribute(n.ATTR_STATUS, status)
            if proxy.blocked:
                _BLOCKED.add(proxy.blocked, labels)
            _SESSIONS.add(1, {**labels, n.ATTR_STATUS: status})
            _DURATION.record(perf_counter() - started, labels)


async def _session(
    proxy: EgressProxy,
    steps: list[Action],
    scan_text: bool,
    tracer: Any,
    profile: Path,
    isolated: bool,
) -> BrowseResult:
    from playwright.async_api import async_playwright  # the browser extra, loaded on use

    env: dict[str, str | float | bool] = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(profile),
        "TMPDIR": str(profile),
        "LANG": "C.UTF-8",
    }
    executable = CHROMIUM
    port = proxy.port
    if isolated:
        port = _BRIDGE_PORT
        executable = write_launcher(
            profile, CHROMIUM, port, str(profile / "proxy.sock"), secret_paths(profile)
        )
    args = [
        *_ARGS,
        f"--proxy-server=http://127.0.0.1:{port}",
        "--proxy-bypass-list=<-loopback>",  # loopback goes through the proxy as well
    ]
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=executable, args=args, env=env, timeout=30_000
        )
        try:
            context = await browser.new_context(accept_downloads=False, service_workers="block")
            page = await context.new_page()
            session = _Session(page, proxy, scan_text)
            results = []
            for step in steps:
                with tracer.start_as_current_span(
                    n.SPAN_BROWSER_ACTION, attributes={n.ATTR_BROWSER_ACTION: step.action}
                ):
                    results.append(await session.run(step))
            return BrowseResult(
                final_url=_strip_query(page.url),
                snapshot=session.snapshot,
                results=results[1:],  # the first is the initial navigation
                blocked_requests=proxy.blocked,
                network_isolated=isolated,
            )
        finally:
            await browser.close()
