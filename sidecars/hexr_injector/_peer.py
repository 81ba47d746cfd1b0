"""The mTLS peer's SPIFFE ID, carried into each request so the token can be bound to it.

A JWT-SVID is a bearer token: whoever holds it could present it. Requiring its subject to
equal the X.509-SVID the connection was authenticated with means a token leaked from one
workload is useless over another workload's channel.

uvicorn exposes no TLS details in the ASGI scope, so the h11 protocol is subclassed to add
the peer ID as a scope extension when the connection is made (uvicorn is pinned by the
lock file; `tests/integration/credentials` covers this path end to end).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from hexr.errors import IdentityError
from hexr.identity import peer_spiffe_id

__all__ = ["PEER_EXTENSION", "PeerIdentityH11Protocol", "peer_of"]

PEER_EXTENSION = "hexr.peer_spiffe_id"

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


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


def peer_of(scope: Scope) -> str | None:
    """The peer SPIFFE ID recorded for this request, if the connection was mTLS."""
    extensions = scope.get("extensions") or {}
    peer = extensions.get(PEER_EXTENSION)
    return peer if isinstance(peer, str) else None
