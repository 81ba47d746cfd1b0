"""Protection for ``/metrics``: basic auth, bearer token and a peer-address allowlist.

`MetricsGuard` holds the decision logic and does no I/O; `wsgi_middleware` and
`AsgiMetricsGuard` put it in front of whatever serves the metrics (prometheus_client's WSGI
app in `hexr.telemetry`, a Starlette/uvicorn service, ...).

The peer address is the socket's, never ``X-Forwarded-For``: a header is a self-claim any
client can send. Secrets are compared in constant time and never logged or echoed.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import ipaddress
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from dataclasses import dataclass
from typing import Any

from hexr.config import MetricsProtection

__all__ = ["AsgiMetricsGuard", "MetricsGuard", "Verdict", "wsgi_middleware"]

MAX_AUTHORIZATION_LENGTH = 4096
_IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome for one scrape: HTTP status, reason phrase and extra headers."""

    status: int
    reason: str
    headers: tuple[tuple[str, str], ...] = ()

    @property
    def allowed(self) -> bool:
        """Whether the scrape may proceed."""
        return self.status == 200


ALLOWED = Verdict(200, "OK")
_FORBIDDEN = Verdict(403, "Forbidden")


class MetricsGuard:
    """Decides whether a scrape may read ``/metrics``; built once, checked per request."""

    def __init__(
        self,
        *,
        basic_auth: tuple[str, str] | None = None,
        bearer_token: str | None = None,
        allow_cidrs: Iterable[_IPNetwork | str] = (),
    ) -> None:
        self._basic = (
            (basic_auth[0].encode(), basic_auth[1].encode()) if basic_auth is not None else None
        )
        self._bearer = bearer_token.encode() if bearer_token else None
        self._networks = tuple(ipaddress.ip_network(net) for net in allow_cidrs)
        challenges = []
        if self._basic is not None:
            challenges.append(("WWW-Authenticate", 'Basic realm="metrics", charset="UTF-8"'))
        if self._bearer is not None:
            challenges.append(("WWW-Authenticate", 'Bearer realm="metrics"'))
        self._unauthorized = Verdict(401, "Unauthorized", tuple(challenges))

    @classmethod
    def from_config(cls, protection: MetricsProtection) -> MetricsGuard:
        """Guard for the ``observability.metrics.protection`` section."""
        basic = protection.basic_auth
        return cls(
            basic_auth=(basic.username, basic.password.get_secret_value()) if basic else None,
            bearer_token=(
                protection.bearer_token.get_secret_value() if protection.bearer_token else None
            ),
            allow_cidrs=protection.allow_cidrs,
        )

    @property
    def enabled(self) -> bool:
        """Whether any check is configured (otherwise every scrape is allowed)."""
        return bool(self._basic or self._bearer or self._networks)

    def check(self, peer: str | None, authorization: str | None) -> Verdict:
        """Verdict for a scrape from address ``peer`` with this ``Authorization`` header."""
        if self._networks and not self._peer_allowed(peer):
            return _FORBIDDEN
        if self._basic is None and self._bearer is None:
            return ALLOWED
        if authorization is None or len(authorization) > MAX_AUTHORIZATION_LENGTH:
            return self._unauthorized
        scheme, _, credentials = authorization.strip().partition(" ")
        scheme = scheme.lower()
        credentials = credentials.strip()
        if scheme == "basic" and self._basic is not None and self._basic_ok(credentials):
            return ALLOWED
        if (
            scheme == "bearer"
            and self._bearer is not None
            and hmac.compare_digest(credentials.encode(), self._bearer)
        ):
            return ALLOWED
        return self._unauthorized

    def _peer_allowed(self, peer: str | None) -> bool:
        if not peer:
            return False
        try:
            address = ipaddress.ip_address(peer.split("%", 1)[0])
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        return any(address in network for network in self._networks)

    def _basic_ok(self, credentials: str) -> bool:
        assert self._basic is not None  # noqa: S101 (only called when configured)
        try:
            decoded = base64.b64decode(credentials, validate=True)
        except (binascii.Error, ValueError):
            return False
        username, sep, password = decoded.partition(b":")
        if not sep:
            return False
        # Compare both parts every time so timing says nothing about which one was wrong.
        user_ok = hmac.compare_digest(username, self._basic[0])
        password_ok = hmac.compare_digest(password, self._basic[1])
        return user_ok & password_ok


WsgiApp = Callable[..., Any]


def _deny_body(verdict: Verdict) -> bytes:
    return f"{verdict.status} {verdict.reason}\n".encode()


def wsgi_middleware(guard: MetricsGuard) -> Callable[[WsgiApp], WsgiApp]:
    """A wrapper for a WSGI metrics app (`TelemetrySettings.metrics_middleware` shape)."""

    def wrap(app: WsgiApp) -> WsgiApp:
        if not guard.enabled:
            return app

        def guarded(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
            verdict = guard.check(environ.get("REMOTE_ADDR"), environ.get("HTTP_AUTHORIZATION"))
            if verdict.allowed:
                result: Iterable[bytes] = app(environ, start_response)
                return result
            body = _deny_body(verdict)
            headers = [
                ("Content-Type", "text/plain; charset=utf-8"),
                ("Content-Length", str(len(body))),
                *verdict.headers,
            ]
            start_response(f"{verdict.status} {verdict.reason}", headers)
            return [body]

        return guarded

    return wrap


Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
AsgiApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class AsgiMetricsGuard:
    """Pure ASGI middleware: guards ``path`` and everything below it, passes the rest through.

    Below it too: a metrics app mounted at ``path`` also answers ``path/`` (Starlette
    redirects ``/metrics`` there), and that must not be an unauthenticated way in.
    """

    def __init__(self, app: AsgiApp, guard: MetricsGuard, path: str = "/metrics") -> None:
        self._app = app
        self._guard = guard
        self._path = path.rstrip("/") or "/"
        self._below = self._path.rstrip("/") + "/"

    def _guarded(self, path: str) -> bool:
        return path == self._path or path.startswith(self._below)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the check for HTTP requests to the metrics path, then the wrapped app."""
        if (
            scope["type"] != "http"
            or not self._guarded(str(scope.get("path", "")))
            or not self._guard.enabled
        ):
            await self._app(scope, receive, send)
            return
        client = scope.get("client")
        peer = client[0] if client else None
        authorization = None
        for name, value in scope.get("headers", ()):
            if name.lower() == b"authorization":
                authorization = value.decode("latin-1")
                break
        verdict = self._guard.check(peer, authorization)
        if verdict.allowed:
            await self._app(scope, receive, send)
            return
        body = _deny_body(verdict)
        headers = [
            (b"content-type", b"text/plain; charset=utf-8"),
            (b"content-length", str(len(body)).encode()),
            *((k.lower().encode(), v.encode()) for k, v in verdict.headers),
        ]
        await send({"type": "http.response.start", "status": verdict.status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
