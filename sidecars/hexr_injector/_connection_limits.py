"""Time and count bounds on the injector's connections, where uvicorn has none.

uvicorn bounds idle keep-alive (``timeout_keep_alive``) and answers 503 beyond
``limit_concurrency``, but a client may take forever over its TLS handshake or its request
headers, and connections that never send a request are never closed. This module adds:

- a TLS handshake deadline (asyncio's ``ssl_handshake_timeout``, which uvicorn does not
  pass on: `BoundedServer` supplies it when the listener is created);
- a header deadline: from the connection (or the end of the previous response) until the
  request's headers are complete, else the connection is closed;
- a connection cap: a connection beyond ``max_connections`` is closed at once.

The body deadline is the app's (`hexr_injector._routes.read_bounded`): it answers 408.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
import uvicorn

from hexr_injector._peer import PeerIdentityH11Protocol

__all__ = ["BoundedServer", "ConnectionLimits", "bounded_protocol"]


@dataclass(frozen=True)
class ConnectionLimits:
    """Per-connection bounds (seconds, count)."""

    handshake_timeout: float = 5.0
    header_timeout: float = 5.0
    max_connections: int = 256


class _BoundedH11Protocol(PeerIdentityH11Protocol):
    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Refuse a connection over the cap; otherwise start the header deadline."""
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            transport.abort()
            return
        self._arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        """Serve as usual; the deadline covers a request until its headers are complete."""
        if self._header_timer is None and self.conn.their_state is h11.IDLE:
            # The next request on a kept-alive connection gets its own header deadline.
            self._arm_header_deadline()
        super().data_received(data)
        if self.conn.their_state is not h11.IDLE:
            self._disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        """Drop the deadline with the connection."""
        self._disarm_header_deadline()
        super().connection_lost(exc)

    def _arm_header_deadline(self) -> None:
        self._header_timer = self.loop.call_later(
            self.limits.header_timeout, self._header_deadline_passed
        )

    def _disarm_header_deadline(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_deadline_passed(self) -> None:
        self._header_timer = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def bounded_protocol(limits: ConnectionLimits) -> type[PeerIdentityH11Protocol]:
    """The injector's h11 protocol class enforcing ``limits``."""
    return type("BoundedH11Protocol", (_BoundedH11Protocol,), {"limits": limits})


class BoundedServer(uvicorn.Server):
    """uvicorn's server, creating its TLS listeners with a handshake deadline."""

    def __init__(self, config: uvicorn.Config, limits: ConnectionLimits) -> None:
        super().__init__(config)
        self._limits = limits

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening; a TLS handshake longer than the limit is aborted."""
        loop: Any = asyncio.get_running_loop()
        if self.config.ssl is None:
            await super().startup(sockets)
            return
        create_server = loop.create_server
        # uvicorn calls loop.create_server without ssl_handshake_timeout (asyncio's default
        # is 60 s): shadow the bound method on this loop for the duration of startup.
        loop.create_server = functools.partial(
            create_server, ssl_handshake_timeout=self._limits.handshake_timeout
        )
        try:
            await super().startup(sockets)
        finally:
            with contextlib.suppress(AttributeError):
                del loop.create_server
