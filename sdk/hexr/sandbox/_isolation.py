"""Kernel isolation for sandboxed processes: namespaces, resource limits, an unused uid.

Everything here runs in the forked child before ``exec`` (`child_setup`), or in the parent
to probe what the kernel allows (`network_namespaces`) and to kill what a run left behind
(`kill_uid`). As root the child gets a network namespace (no interface but a downed
loopback: no network at all), a mount namespace hiding the SPIFFE socket and Hexr's state
directory, and a uid of its own, so that ``RLIMIT_NPROC`` counts exactly its processes and
`kill_uid` reaches every one of them, even those that left the process group.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import os
import random
import resource
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from hexr import _env

__all__ = [
    "ChildLimits",
    "child_setup",
    "count_uid_processes",
    "kill_uid",
    "network_namespaces",
    "pick_uid",
    "secret_paths",
]

_CLONE_NEWNS = 0x00020000
_CLONE_NEWNET = 0x40000000
_MS_REC = 0x4000
_MS_PRIVATE = 1 << 18
_MS_BIND = 0x1000
_MS_RDONLY = 1
_UID_BASE = 200_000
_UID_SPAN = 60_000


@functools.cache
def _libc() -> ctypes.CDLL:
    return ctypes.CDLL(None, use_errno=True)


@dataclass(frozen=True, slots=True)
class ChildLimits:
    """What the child applies to itself before exec."""

    cpu_s: int
    memory_bytes: int
    processes: int
    file_bytes: int
    open_files: int
    uid: int | None
    """Run as this uid/gid (root only); None keeps the caller's."""
    isolate_network: bool
    hide: tuple[str, ...]
    """Paths made unreachable (a directory gets an empty tmpfs, a file /dev/null)."""
    workdir: str


def network_namespaces() -> bool:
    """Whether this process may create network and mount namespaces (probed once, cached)."""
    return _probe()


@functools.cache
def _probe() -> bool:
    if os.geteuid() != 0:
        return False  # unprivileged user namespaces are not relied upon
    libc = _libc()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked probe
        ok = libc.unshare(_CLONE_NEWNET | _CLONE_NEWNS) == 0
        os._exit(0 if ok else 1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status) == 0


def secret_paths(keep: Path) -> tuple[str, ...]:
    """The SPIFFE socket and Hexr's state directory, except those containing ``keep``."""
    candidates: list[str] = []
    socket = os.environ.get("SPIFFE_ENDPOINT_SOCKET", "")
    if socket:
        candidates.append(socket.removeprefix("unix://").removeprefix("unix:"))
    for name in (_env.HEXR_HOME, _env.HEXR_IDENTITY_SOCKET):
        value = os.environ.get(name)
        if value:
            candidates.append(value)
    hidden = []
    for path in candidates:
        resolved = os.path.realpath(path)
        if str(keep).startswith(resolved.rstrip("/") + "/"):
            continue  # hiding it would hide the run's own directory
        hidden.append(resolved)
    return tuple(hidden)


def pick_uid() -> int | None:
    """A uid no process uses (root only); None when not root."""
    if os.geteuid() != 0:
        return None
    for _ in range(32):
        uid = _UID_BASE + random.randrange(_UID_SPAN)  # noqa: S311 - not a secret
        if count_uid_processes(uid) == 0:
            return uid
    return _UID_BASE + random.randrange(_UID_SPAN)  # noqa: S311


def count_uid_processes(uid: int) -> int:
    """Processes whose real uid is ``uid`` (from /proc)."""
    count = 0
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            if entry.stat(follow_symlinks=False).st_uid == uid:
                count += 1
        except OSError:
            continue
    return count


def kill_uid(uid: int) -> None:
    """SIGKILL every process of ``uid`` (from a forked helper running as that uid)."""
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the forked helper
        try:
            os.setgid(uid)
            os.setuid(uid)
            # kill(-1) as an unprivileged uid reaches exactly that uid's processes.
            for _ in range(3):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def child_setup(limits: ChildLimits) -> Callable[[], None]:
    """The ``preexec_fn`` applying ``limits`` (only async-signal-safe-ish calls in it)."""
    libc = _libc()  # loaded in the parent: nothing is imported after fork

    def setup() -> None:
        if limits.isolate_network:
            if libc.unshare(_CLONE_NEWNET | _CLONE_NEWNS) != 0:
                raise OSError(ctypes.get_errno(), "unshare")
            # Mount changes below stay in this namespace.
            libc.mount(b"none", b"/", None, _MS_REC | _MS_PRIVATE, None)
            _hide(libc, limits.hide)
        # SIGXCPU at the soft limit (reported as cpu_time); SIGKILL one second later.
        resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_s, limits.cpu_s + 1))
        _rlimit(resource.RLIMIT_AS, limits.memory_bytes)
        _rlimit(resource.RLIMIT_FSIZE, limits.file_bytes)
        _rlimit(resource.RLIMIT_NOFILE, limits.open_files)
        _rlimit(resource.RLIMIT_CORE, 0)
        if limits.uid is not None:
            os.setgroups([])
            os.setgid(limits.uid)
            # NPROC is checked against the new uid from here on (it is per real uid).
            _rlimit(resource.RLIMIT_NPROC, limits.processes)
            os.setuid(limits.uid)
        else:
            _rlimit(resource.RLIMIT_NPROC, limits.processes)
        os.chdir(limits.workdir)

    return setup


def _hide(libc: ctypes.CDLL, paths: Sequence[str]) -> None:
    for path in paths:
        target = path.encode()
        if os.path.isdir(path):
            libc.mount(b"tmpfs", target, b"tmpfs", _MS_RDONLY, b"size=4k")
        elif os.path.lexists(path):
            libc.mount(b"/dev/null", target, None, _MS_BIND, None)


def _rlimit(kind: int, value: int) -> None:
    resource.setrlimit(kind, (value, value))
