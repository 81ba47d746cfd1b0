"""Prometheus exposition: ``/metrics`` for long-lived processes, Pushgateway at exit.

Prometheus pulls from long-lived processes; a process that exits before a scrape pushes
once to a Pushgateway under one grouping key per process (``instance=host:pid``), the
ecosystem's standard for batch jobs.
"""

from __future__ import annotations

import http.client
import json
import logging
import socket
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import (
    CollectorRegistry,
    delete_from_gateway,
    make_wsgi_app,
    push_to_gateway,
)
from prometheus_client.exposition import (
    ThreadingWSGIServer,
    basic_auth_handler,
    default_handler,
)

if TYPE_CHECKING:
    from hexr.telemetry._config import TelemetrySettings, WsgiApp

__all__ = [
    "MetricsServer",
    "delete_stale_groups",
    "push_metrics",
    "serve_metrics",
    "warn_undelivered",
]

_log = logging.getLogger("hexr.telemetry")

# What a push or listing can raise besides OSError: a peer that is not an HTTP server
# (BadStatusLine) or a malformed URL (InvalidURL). Either must not escape the exit hook.
_HTTP_FAILURES = (OSError, ValueError, http.client.HTTPException)
_warned = threading.Event()
Handler = Callable[..., Callable[[], None]]


def warn_undelivered(reason: str) -> None:
    """Say once per process, on stderr, that this process's metrics are not delivered.

    A short-lived agent's metrics exist only in its push; a silent failure looks exactly
    like an agent that did nothing.
    """
    if _warned.is_set():
        return
    _warned.set()
    print(f"hexr: this process's metrics were not delivered: {reason}", file=sys.stderr)


def _with_auth(url: str) -> tuple[str, Handler, dict[str, str]]:
    """``url`` without userinfo, the push handler and headers that carry it as basic auth.

    The local platform's Pushgateway wants basic auth and publishes its URL with the
    credentials; urllib would take ``user:pw@host`` for the host.
    """
    parts = urlsplit(url if "://" in url else f"http://{url}")
    if parts.username is None:
        return url, default_handler, {}
    user, password = unquote(parts.username), unquote(parts.password or "")
    bare = urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))

    def handler(
        url: str, method: str, timeout: float | None, headers: list[tuple[str, str]],
        data: bytes,
    ) -> Callable[[], None]:
        return basic_auth_handler(url, method, timeout, headers, data, user, password)

    import base64

    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return bare, handler, {"Authorization": f"Basic {token}"}


def _display(url: str) -> str:
    parts = urlsplit(url if "://" in url else f"http://{url}")
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


class _QuietHandler(WSGIRequestHandler):
    """Request handler that does not print a line per scrape to stderr."""

    timeout = 10
    """Seconds per socket read or write: an idle or stalled client cannot hold a server
    thread (one per connection) forever. Prometheus' default scrape timeout."""

    def log_message(self, format: str, *args: Any) -> None:
        return


def _only_path(app: WsgiApp, path: str) -> WsgiApp:
    """Serve ``app`` at ``path`` and 404 elsewhere, so the port exposes nothing else."""

    def routed(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        if environ.get("PATH_INFO", "") != path:
            start_response("404 Not Found", [("Content-Type", "text/plain")])
            return [b"not found\n"]
        result: Iterable[bytes] = app(environ, start_response)
        return result

    return routed


class MetricsServer:
    """A ``/metrics`` HTTP server on a daemon thread."""

    def __init__(self, server: WSGIServer, path: str) -> None:
        self._server = server
        self.path = path
        self._thread = threading.Thread(
            target=server.serve_forever, name="hexr-metrics", daemon=True
        )
        self._thread.start()

    @property
    def port(self) -> int:
        """The bound port (useful when configured as ``0``)."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Full URL of the metrics endpoint."""
        host = str(self._server.server_address[0])
        if ":" in host:
            host = f"[{host}]"  # an IPv6 address in a URL
        return f"http://{host}:{self.port}{self.path}"

    def close(self) -> None:
        """Stop serving and release the port."""
        self._server.shutdown()
        self._server.server_close()


def _server_class(host: str, port: int) -> type[ThreadingWSGIServer]:
    """The WSGI server class for ``host``'s address family (the base one is IPv4 only)."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    family = infos[0][0]
    if family == socket.AF_INET:
        return ThreadingWSGIServer

    class _Server(ThreadingWSGIServer):
        address_family = family

    return _Server


def serve_metrics(registry: CollectorRegistry, settings: TelemetrySettings) -> MetricsServer | None:
    """Serve ``registry`` on ``settings.metrics_host:metrics_port`` at ``metrics_path``."""
    app: WsgiApp = make_wsgi_app(registry)
    if settings.metrics_middleware is not None:
        app = settings.metrics_middleware(app)
    app = _only_path(app, settings.metrics_path)
    try:
        server = make_server(
            settings.metrics_host,
            settings.metrics_port or 0,
            app,
            _server_class(settings.metrics_host, settings.metrics_port or 0),
            handler_class=_QuietHandler,
        )
    except OSError as exc:
        # A taken port must not stop the agent; it only loses the pull endpoint.
        _log.warning("cannot serve metrics on %s:%s: %s", settings.metrics_host,
                     settings.metrics_port, exc)
        return None
    return MetricsServer(server, settings.metrics_path)


def push_metrics(
    url: str, job: str, registry: CollectorRegistry, grouping_key: dict[str, str], timeout: float
) -> bool:
    """Push ``registry`` to the Pushgateway at ``url``; False (logged, said once) on failure."""
    bare, handler, _ = _with_auth(url)
    try:
        push_to_gateway(bare, job=job, registry=registry, grouping_key=grouping_key,
                        timeout=timeout, handler=handler)
    except _HTTP_FAILURES as exc:
        _log.warning("metrics push to %s failed: %s", _display(url), exc)
        warn_undelivered(f"the push to {_display(url)} failed ({type(exc).__name__}: {exc})")
        return False
    return True


def delete_stale_groups(
    url: str, job: str, keep: dict[str, str], older_than_s: float, timeout: float
) -> int:
    """Delete stale groups of the same agent: ``keep`` minus ``instance``, pushed long ago.

    Every short-lived process leaves one group behind; without this the Pushgateway (and
    every scrape of it) grows forever. Only groups of ``job`` whose labels equal ``keep``
    except for ``instance`` (same agent and tenant, another process) and that were last
    pushed more than ``older_than_s`` ago are deleted. Returns how many; failures are
    logged, never raised.
    """
    same_agent = {k: v for k, v in keep.items() if k != "instance"}
    bare, handler, headers = _with_auth(url)
    base = bare if "://" in bare else f"http://{bare}"
    request = urllib.request.Request(f"{base.rstrip('/')}/api/v1/metrics", headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(  # noqa: S310 - operator-configured http(s) URL
            request, timeout=timeout
        ) as response:
            listing = json.loads(response.read(8_000_000))
    except _HTTP_FAILURES as exc:
        _log.warning("listing pushgateway groups at %s failed: %s", _display(url), exc)
        return 0
    groups = listing.get("data") if isinstance(listing, dict) else None
    if not isinstance(groups, list):
        _log.warning("listing pushgateway groups at %s: unexpected answer", _display(url))
        return 0
    cutoff = time.time() - older_than_s
    give_up_at = time.monotonic() + timeout  # the whole cleanup stays within one timeout
    deleted = 0
    for group in groups[:10_000]:
        if time.monotonic() > give_up_at:
            break
        found = group.get("labels") if isinstance(group, dict) else None
        if not isinstance(found, dict):
            continue
        labels = dict(found)
        if labels.pop("job", None) != job or labels == keep:
            continue
        if {k: v for k, v in labels.items() if k != "instance"} != same_agent:
            continue
        try:
            pushed = float(group["push_time_seconds"]["metrics"][0]["value"])
        except (KeyError, IndexError, TypeError, ValueError):
            continue
        if pushed >= cutoff:
            continue
        try:
            delete_from_gateway(bare, job=job, grouping_key=labels, timeout=timeout,
                                handler=handler)
            deleted += 1
        except _HTTP_FAILURES as exc:
            _log.warning("deleting a stale pushgateway group failed: %s", exc)
    return deleted

