"""Workload attestation: who is on the other end of the socket, per the kernel.

The pid and uid come from ``SO_PEERCRED`` on the connection's socket, never from anything
the caller sends; the pid's start time must match the one recorded at registration.
"""

from __future__ import annotations

import socket
import struct
from dataclasses import dataclass

from hexr_identity._registry import Entry, RegistrationStore

__all__ = [
    "NotAttested",
    "PeerCred",
    "attest",
    "is_running",
    "peer_credentials",
    "process_start_time",
]

_UCRED = struct.Struct("3i")


class NotAttested(Exception):
    """The caller matches no registration entry."""


@dataclass(frozen=True, slots=True)
class PeerCred:
    """Kernel-reported credentials of a unix-socket peer (at connect time)."""

    pid: int
    uid: int
    gid: int


def peer_credentials(sock: socket.socket) -> PeerCred:
    """Read ``SO_PEERCRED`` from a connected unix socket."""
    raw = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, _UCRED.size)
    pid, uid, gid = _UCRED.unpack(raw)
    return PeerCred(pid, uid, gid)


def process_start_time(pid: int) -> int | None:
    """Start time of ``pid`` in clock ticks since boot, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return None
    # The command name (field 2) may contain spaces and ')': split after the last ')'.
    fields = stat[stat.rfind(b")") + 2 :].split()
    try:
        return int(fields[19])  # field 22 overall; index 19 after pid and comm
    except (IndexError, ValueError):
        return None


def is_running(pid: int) -> bool:
    """Whether ``pid`` exists and is neither a zombie nor dead (``/proc/PID/stat`` state)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            stat = fh.read()
    except OSError:
        return False
    state = stat[stat.rfind(b")") + 2 : stat.rfind(b")") + 3]
    return state not in (b"Z", b"X", b"x", b"")


def attest(store: RegistrationStore, peer: PeerCred) -> Entry:
    """The registration entry of ``peer``.

    Raises:
        NotAttested: no entry for the pid, the pid was recycled, or the uid differs.
    """
    if peer.pid <= 0:
        raise NotAttested("caller has no pid (another pid namespace?)")
    entry = store.get(peer.pid)
    if entry is None:
        raise NotAttested("caller is not a registered workload")
    if process_start_time(peer.pid) != entry.start_time:
        raise NotAttested("caller is not a registered workload")
    if entry.uid is not None and entry.uid != peer.uid:
        raise NotAttested("caller is not a registered workload")
    if not is_running(peer.pid):
        # SO_PEERCRED names who opened the connection; a child forked with it inherits
        # it. Once the registered process has exited (an unreaped zombie keeps its pid and
        # start time) nothing may be issued over its connections any more.
        raise NotAttested("the registered process is no longer running")
    return entry
