"""Who is calling: the mTLS peer's SPIFFE ID, checked by the Rego policy on every request.

uvicorn exposes no TLS details in the ASGI scope, so its h11 protocol is subclassed to put
the peer's SPIFFE ID in the scope when the connection is made. The policy middleware then
asks ``data.hexr.a2a.allow``; a denied caller gets one uniform 403 whatever it asked for,
so the answer never tells whether a task or skill exists. Allowed callers only ever see
their own tasks (the store is scoped by caller), so another caller's task is "not found"
exactly like a task that does not exist.
"""

from __future__ import annotations

import asyncio
import json
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from a2a.auth.user import User
from a2a.server.context import ServerCallContext
from a2a.server.routes import DefaultServerCallContextBuilder
from starlette.requests import Request
from uvicorn.protocols.http.h11_impl import H11Protocol

from hexr.errors import HexrError, IdentityError
from hexr.identity import SpiffeId, peer_spiffe_id
from hexr_a2a._metrics import SidecarMetrics
from hexr_policy import PolicyEngine

__all__ = [
    "PEER_EXTENSION",
    "PeerContextBuilder",
    "PeerIdentityH11Protocol",
    "PeerUser",
    "PolicyMiddleware",
]

PEER_EXTENSION = "hexr.peer_spiffe_id"
_MAX_DECISIONS = 1024

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

# Paths anyone who completed the mTLS handshake may read: the card describes how to call.
_PUBLIC_PATHS = frozenset({"/.well-known/agent-card.json", "/.well-known/agent.json", "/healthz"})


class PeerIdentityH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, adding the mTLS peer's SPIFFE ID to every request scope."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Read the peer certificate once per connection, then serve as usual."""
        super().connection_made(transport)
        peer: str | None = None
        ssl_object = transport.get_extra_info("ssl_object")
        if ssl_object is not None:
            try:
                peer = str(peer_spiffe_id(ssl_object))
            except IdentityError:
                peer = None
        inner: ASGIApp = self.app

        async def app(scope: Scope, receive: Any, send: Any) -> None:
            scope["extensions"] = {**(scope.get("extensions") or {}), PEER_EXTENSION: peer}
            await inner(scope, receive, send)

        self.app = app


def _peer(scope: Scope) -> str | None:
    peer = (scope.get("extensions") or {}).get(PEER_EXTENSION)
    return peer if isinstance(peer, str) else None


class PeerUser(User):
    """The caller as a2a-sdk sees it: its SPIFFE ID (the task owner), tenant and agent."""

    def __init__(self, spiffe_id: str, tenant: str, agent: str) -> None:
        self.spiffe_id = spiffe_id
        self.tenant = tenant
        self.agent = agent

    @property
    def is_authenticated(self) -> bool:
        """Only verified peers become a PeerUser."""
        return True

    @property
    def user_name(self) -> str:
        """The owner key of the caller's tasks (tenant and agent, not the role)."""
        return f"{self.tenant}/{self.agent}"


def user_of(peer: str | None) -> PeerUser | None:
    """A `PeerUser` for an agent SPIFFE ID, None for anything else."""
    if peer is None:
        return None
    try:
        sid = SpiffeId.parse(peer)
    except HexrError:
        return None
    if sid.tenant is None or sid.agent is None:
        return None
    return PeerUser(peer, sid.tenant, sid.agent)


class PeerContextBuilder(DefaultServerCallContextBuilder):
    """Builds a2a-sdk's call context with the verified peer as its user."""

    def build(self, request: Request) -> ServerCallContext:
        """The call context: headers (trace context) and the verified caller."""
        context = super().build(request)
        user = user_of(_peer(request.scope)) or request.scope.get("hexr.user")
        if isinstance(user, PeerUser):
            context.user = user
        return context


def _forbidden_body(path: str) -> bytes:
    if path.startswith("/a2a/jsonrpc"):
        body: dict[str, Any] = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": -32600, "message": "Permission denied"},
        }
    else:
        body = {
            "error": {"code": 403, "status": "PERMISSION_DENIED", "message": "Permission denied"}
        }
    return json.dumps(body).encode()


class PolicyMiddleware:
    """Allows a request only when the policy allows its verified caller (deny by default)."""

    def __init__(
        self,
        app: ASGIApp,
        policy: PolicyEngine,
        target: SpiffeId,
        metrics: SidecarMetrics,
    ) -> None:
        self._app = app
        self._policy = policy
        self._target = target
        self._metrics = metrics
        # The policy and this sidecar's identity are fixed for the process, so a decision
        # depends only on the caller: cached (bounded) to keep Rego off the hot path.
        self._decisions: OrderedDict[str, bool] = OrderedDict()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Check the caller, then pass the request on or answer 403."""
        if scope["type"] != "http" or scope["path"] in _PUBLIC_PATHS:
            await self._app(scope, receive, send)
            return
        user = user_of(_peer(scope))
        if user is not None and self._allowed(user):
            scope["hexr.user"] = user
            await self._app(scope, receive, send)
            return
        body = _forbidden_body(scope["path"])
        await send(
            {
                "type": "http.response.start",
                "status": 403,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})

    def _allowed(self, user: PeerUser) -> bool:
        cached = self._decisions.get(user.spiffe_id)
        if cached is None:
            cached = self._decide(user)
            self._decisions[user.spiffe_id] = cached
            if len(self._decisions) > _MAX_DECISIONS:
                self._decisions.popitem(last=False)
        if user.tenant != self._target.tenant:
            self._metrics.cross_tenant(user.tenant, "allowed" if cached else "denied")
        return cached

    def _decide(self, user: PeerUser) -> bool:
        caller = SpiffeId.parse(user.spiffe_id)
        decision = self._policy.allows(
            {
                "caller": {
                    "trust_domain": caller.trust_domain,
                    "tenant": user.tenant,
                    "agent": user.agent,
                    "role": caller.role or "",
                },
                "target": {
                    "trust_domain": self._target.trust_domain,
                    "tenant": self._target.tenant or "",
                    "agent": self._target.agent or "",
                },
            }
        )
        return decision
