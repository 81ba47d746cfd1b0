"""Client of the registration API (used by the launcher, `hexr dev` and test fixtures)."""

from __future__ import annotations

import json
import socket
from typing import Any

from hexr.errors import IdentityError
from hexr.identity import SpiffeId

__all__ = ["list_entries", "register", "unregister"]

_TIMEOUT_SECONDS = 5.0


def _call(registration_socket: str, request: dict[str, Any]) -> dict[str, Any]:
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(_TIMEOUT_SECONDS)
            sock.connect(registration_socket)
            sock.sendall(json.dumps(request).encode() + b"\n")
            with sock.makefile("rb") as fh:
                line = fh.readline(1024 * 1024)
    except OSError as err:
        raise IdentityError(f"registration API unreachable: {err.strerror or err}") from err
    try:
        answer = json.loads(line)
    except ValueError as err:
        raise IdentityError("registration API sent an invalid answer") from err
    if not isinstance(answer, dict) or not answer.get("ok"):
        error = answer.get("error") if isinstance(answer, dict) else None
        raise IdentityError(f"registration refused: {error or 'unknown error'}")
    return answer


def register(
    registration_socket: str,
    spiffe_id: SpiffeId | str,
    pid: int | None = None,
    uid: int | None = None,
) -> int:
    """Register ``pid`` (default: the calling process, per SO_PEERCRED) as ``spiffe_id``.

    Returns:
        The registered pid.

    Raises:
        IdentityError: the API is unreachable or refused the registration.
    """
    request: dict[str, Any] = {"op": "register", "spiffe_id": str(spiffe_id)}
    if pid is not None:
        request["pid"] = pid
    if uid is not None:
        request["uid"] = uid
    return int(_call(registration_socket, request)["pid"])


def unregister(registration_socket: str, pid: int) -> bool:
    """Remove the entry of ``pid``; True when there was one."""
    return bool(_call(registration_socket, {"op": "unregister", "pid": pid})["removed"])


def list_entries(registration_socket: str) -> list[dict[str, Any]]:
    """All registration entries."""
    entries = _call(registration_socket, {"op": "list"})["entries"]
    return list(entries)
