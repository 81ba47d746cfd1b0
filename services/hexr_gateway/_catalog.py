"""Tool sets per tenant, built from the configured upstreams and the registered specs.

Shared upstreams' tools are in every tenant's set; a tenant's own upstreams only in its
set, so a tenant-B identity can neither list nor name a tenant-A tool. Names are unique
within a set (shared names are allocated first, so they are the same for everyone).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx

from hexr_gateway._config import GatewayConfig, UpstreamConfig
from hexr_gateway._upstream import UpstreamClient
from hexr_gateway.errors import SpecRejected
from hexr_gateway.openapi import NameAllocator, SpecError, ToolDef, convert_spec, parse_spec
from hexr_gateway.openapi._load import MAX_SPEC_BYTES

__all__ = ["BoundTool", "Catalog", "LoadedUpstream", "load_upstream", "spec_base_url"]

_VARIABLE = re.compile(r"\{([^}]+)\}")


@dataclass(frozen=True)
class BoundTool:
    """A tool and the client of its upstream."""

    tool: ToolDef
    client: UpstreamClient


@dataclass
class LoadedUpstream:
    """An upstream with its parsed spec and HTTP client."""

    config: UpstreamConfig
    spec: dict[str, Any]
    client: UpstreamClient


def spec_base_url(spec: dict[str, Any], spec_url: str | None) -> str | None:
    """The first ``servers`` URL (variables at their defaults), absolute, or None."""
    servers = spec.get("servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], dict):
        return None
    server = servers[0]
    url = str(server.get("url") or "")
    raw_vars = server.get("variables")
    variables: dict[str, Any] = raw_vars if isinstance(raw_vars, dict) else {}

    def default(match: re.Match[str]) -> str:
        var = variables.get(match.group(1)) or {}
        return str(var.get("default", "")) if isinstance(var, dict) else ""

    url = _VARIABLE.sub(default, url)
    if url.startswith(("http://", "https://")):
        return url
    return urljoin(spec_url, url) if spec_url else None


def _read_spec(source: str, base_dir: Path | None) -> tuple[bytes, str | None]:
    if source.startswith(("http://", "https://")):
        try:
            with (
                httpx.Client(timeout=10.0, follow_redirects=False, trust_env=False) as client,
                client.stream("GET", source) as response,
            ):
                response.raise_for_status()
                chunks, size = [], 0
                for chunk in response.iter_bytes():
                    size += len(chunk)
                    if size > MAX_SPEC_BYTES:
                        raise SpecRejected("spec larger than the bound")
                    chunks.append(chunk)
        except httpx.HTTPError as exc:
            raise SpecRejected(f"cannot fetch spec ({type(exc).__name__})") from exc
        return b"".join(chunks), source
    path = Path(source)
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    try:
        return path.read_bytes(), None
    except OSError as exc:
        raise SpecRejected(f"cannot read spec {path}: {exc.strerror}") from None


def load_upstream(upstream: UpstreamConfig, base_dir: Path | None) -> LoadedUpstream:
    """Parse ``upstream``'s spec and make its client.

    Raises:
        SpecRejected: the spec cannot be read or parsed, or has no base URL.
    """
    raw, url = _read_spec(upstream.spec, base_dir)
    try:
        spec = parse_spec(raw)
    except SpecError as exc:
        raise SpecRejected(f"upstream {upstream.name}: {exc}") from None
    base = upstream.base_url or spec_base_url(spec, url)
    if not base:
        raise SpecRejected(f"upstream {upstream.name}: no base_url and no absolute servers URL")
    client = UpstreamClient(
        base, timeout=upstream.timeout_seconds, max_response_bytes=upstream.max_response_bytes
    )
    return LoadedUpstream(upstream, spec, client)


def check_registered_host(base_url: str, allowed: Iterable[str]) -> None:
    """Refuse a registered spec whose upstream is not on an allowed host (SSRF guard).

    Raises:
        SpecRejected: the host is not allowed.
    """
    host = urlsplit(base_url).hostname or ""
    if host not in set(allowed):
        raise SpecRejected("the upstream host of a registered spec is not allowed")


class Catalog:
    """Every tenant's tool set; rebuilt when registered specs change."""

    def __init__(self, config: GatewayConfig, static: list[LoadedUpstream]) -> None:
        self._config = config
        self._static = static
        self._registered: list[LoadedUpstream] = []
        self._sets: dict[str, dict[str, BoundTool]] = {}
        self._shared: dict[str, BoundTool] = {}
        self.skipped: list[str] = []
        self._build()

    def _convert(self, upstream: LoadedUpstream, names: NameAllocator) -> dict[str, BoundTool]:
        report = convert_spec(
            upstream.spec, upstream.config.name, prefix=upstream.config.prefix, names=names
        )
        self.skipped.extend(f"{upstream.config.name}: {s}" for s in report.skipped)
        return {t.name: BoundTool(t, upstream.client) for t in report.tools}

    def _build(self) -> None:
        self.skipped = []
        everything = [*self._static, *self._registered]
        shared_names = NameAllocator()
        shared: dict[str, BoundTool] = {}
        for upstream in everything:
            if upstream.config.shared:
                shared.update(self._convert(upstream, shared_names))
        tenants = sorted({t for u in everything for t in u.config.tenants})
        sets: dict[str, dict[str, BoundTool]] = {}
        for tenant in tenants:
            names = NameAllocator({n.lower() for n in shared})
            own: dict[str, BoundTool] = dict(shared)
            for upstream in everything:
                if tenant in upstream.config.tenants and not upstream.config.shared:
                    own.update(self._convert(upstream, names))
            sets[tenant] = own
        self._shared, self._sets = shared, sets

    def tools(self, tenant: str) -> dict[str, BoundTool]:
        """The tool set of ``tenant`` (shared tools for a tenant with none of its own)."""
        return self._sets.get(tenant, self._shared)

    def tenants(self) -> list[str]:
        """Tenants with their own tools."""
        return sorted(self._sets)

    def set_registered(self, registered: list[LoadedUpstream]) -> list[LoadedUpstream]:
        """Replace the registered upstreams and rebuild every tool set; returns the old
        ones (the caller closes their clients)."""
        previous, self._registered = self._registered, registered
        self._build()
        return previous

    async def aclose(self) -> None:
        """Close every upstream client."""
        for upstream in [*self._static, *self._registered]:
            await upstream.client.aclose()
