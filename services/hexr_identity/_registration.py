"""The registration API of the trusted launcher: JSON lines on an owner-only unix socket.

The socket (0600, in a 0700 directory) is the trust boundary: whoever can connect may
register workloads. As defence in depth, peers with another uid than the service's (or
root) are refused by SO_PEERCRED.

Requests (one JSON object per line, at most 16 KiB), each answered by one line:

- ``{"op": "register", "spiffe_id": "...", "pid": 123, "uid": 1000}``: pid optional; when
  absent the caller's own pid (per SO_PEERCRED) is registered, which is how a launcher
  registers itself right before it execs the workload. uid optional (extra selector).
- ``{"op": "unregister", "pid": 123}``
- ``{"op": "list"}``

Two sockets serve it: the agents' one refuses ``service/*`` IDs; the services one (next
to it, used only by the platform supervisor) registers them too.

Answers: ``{"ok": true, ...}`` or ``{"ok": false, "error": "..."}``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
from typing import Any

from hexr.errors import IdentityError
from hexr.identity import SpiffeId
from hexr_identity._attest import peer_credentials, process_start_time
from hexr_identity._registry import Entry, RegistrationError, RegistrationStore

__all__ = ["MAX_REQUEST_BYTES", "RegistrationServer"]

_log = logging.getLogger("hexr_identity.registration")
MAX_REQUEST_BYTES = 16 * 1024
_IDLE_TIMEOUT_SECONDS = 30.0


class RegistrationServer:
    """Serves the registration API for one trust domain."""

    def __init__(
        self, store: RegistrationStore, trust_domain: str, *, services: bool = True
    ) -> None:
        self._store = store
        self._services = services
        self._trust_domain = trust_domain
        self._uid = os.getuid()

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one connection: requests until EOF, idle timeout or an oversize line."""
        try:
            sock: socket.socket = writer.get_extra_info("socket")
            peer = peer_credentials(sock)
            if peer.uid not in (self._uid, 0):
                await self._send(writer, {"ok": False, "error": "permission denied"})
                return
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), _IDLE_TIMEOUT_SECONDS)
                except (TimeoutError, ValueError):
                    # ValueError: the line exceeded the stream limit.
                    await self._send(writer, {"ok": False, "error": "request too large or slow"})
                    return
                if not line:
                    return
                await self._send(writer, self._dispatch(line, peer.pid))
        except (ConnectionError, OSError):
            return
        finally:
            with contextlib.suppress(ConnectionError, OSError):
                writer.close()

    @staticmethod
    async def _send(writer: asyncio.StreamWriter, answer: dict[str, Any]) -> None:
        writer.write(json.dumps(answer).encode() + b"\n")
        await writer.drain()

    def _dispatch(self, line: bytes, peer_pid: int) -> dict[str, Any]:
        try:
            request = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: nesting past the decoder's limit
            return {"ok": False, "error": "request is not JSON"}
        if not isinstance(request, dict):
            return {"ok": False, "error": "request must be an object"}
        op = request.get("op")
        try:
            if op == "register":
                return self._register(request, peer_pid)
            if op == "unregister":
                pid = _int_field(request, "pid")
                return {"ok": True, "removed": self._store.remove(pid)}
            if op == "list":
                return {
                    "ok": True,
                    "entries": [
                        {"spiffe_id": str(e.spiffe_id), "pid": e.pid, "uid": e.uid}
                        for e in self._store.entries()
                    ],
                }
        except (RegistrationError, IdentityError, ValueError) as err:
            return {"ok": False, "error": str(err)}
        return {"ok": False, "error": "unknown op"}

    def _register(self, request: dict[str, Any], peer_pid: int) -> dict[str, Any]:
        raw_id = request.get("spiffe_id")
        if not isinstance(raw_id, str):
            raise ValueError("spiffe_id must be a string")
        spiffe_id = SpiffeId.parse(raw_id)
        if spiffe_id.trust_domain != self._trust_domain:
            raise ValueError(f"SPIFFE ID must be in trust domain {self._trust_domain}")
        pid = _int_field(request, "pid") if "pid" in request else peer_pid
        uid = _int_field(request, "uid", minimum=0) if request.get("uid") is not None else None
        start = process_start_time(pid)
        if start is None:
            raise ValueError(f"no process with pid {pid}")
        if not self._services and spiffe_id.path.startswith("/service/"):
            # Service identities read every tenant's credentials: only the supervisor's
            # own socket registers them, never the one agents' launchers use.
            raise ValueError("service identities are registered by the platform only")
        self._store.add(Entry(spiffe_id, pid, start, uid))
        _log.info("registered pid %d as %s", pid, spiffe_id)
        return {"ok": True, "pid": pid}

    def collect_garbage(self) -> int:
        """Drop entries whose process is gone (or whose pid was recycled).

        Open Workload API streams notice a removed entry on their next re-check.
        """
        dead = [e.pid for e in self._store.entries() if process_start_time(e.pid) != e.start_time]
        for pid in dead:
            self._store.remove(pid)
        return len(dead)


def _int_field(request: dict[str, Any], name: str, minimum: int = 1) -> int:
    value = request.get(name)
    if not isinstance(value, int) or isinstance(value, bool) or not minimum <= value < 2**31:
        raise ValueError(f"{name} must be an integer from {minimum} to 2**31-1")
    return value
