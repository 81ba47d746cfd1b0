"""Detached child processes, identified by pid plus kernel start time.

A pid alone is not an identity: after a crash the kernel may hand the same pid to an
unrelated process. Every process Hexr records is kept as ``(pid, start_time)``, where
``start_time`` is field 22 of ``/proc/PID/stat``; a liveness check or a signal first
verifies both, so ``down`` never kills a stranger.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ProcessRef", "spawn_detached"]

_PR_SET_PDEATHSIG = 1
_POLL_S = 0.02


def _read_stat(pid: int) -> tuple[str, int] | None:
    """Return ``(state, start_time)`` of ``pid`` or None when it does not exist."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # comm (field 2) may contain spaces and parentheses: split after the last ')'.
    fields = raw[raw.rindex(")") + 2 :].split()
    return fields[0], int(fields[19])


def _reap(pid: int) -> None:
    """Collect ``pid``'s exit status if it is our child, so it stops being a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


@dataclass(frozen=True)
class ProcessRef:
    """A process leading its own process group, identified by pid and start time."""

    pid: int
    start_time: int

    @classmethod
    def of(cls, pid: int) -> ProcessRef | None:
        """Reference to the live process ``pid`` or None when it is gone."""
        stat = _read_stat(pid)
        return None if stat is None else cls(pid, stat[1])

    def alive(self) -> bool:
        """Whether this exact process (not a pid reuser) still runs."""
        stat = _read_stat(self.pid)
        if stat is None:
            return False
        state, start_time = stat
        if start_time != self.start_time:
            return False
        if state in ("Z", "X"):
            # Reap only this exact process: a recycled pid may be another child of ours
            # whose exit status belongs to its own Popen.
            _reap(self.pid)
            return False
        return True

    def stop(self, grace_s: float = 5.0) -> None:
        """SIGTERM the process group, wait ``grace_s``, then SIGKILL it; idempotent."""
        if not self.alive():
            self._kill_group(signal.SIGKILL)  # leftovers of a group whose leader died
            return
        self._kill_group(signal.SIGTERM)
        deadline = time.monotonic() + grace_s
        while time.monotonic() < deadline:
            if not self.alive():
                break
            time.sleep(_POLL_S)
        self._kill_group(signal.SIGKILL)
        deadline = time.monotonic() + 2.0
        while self.alive() and time.monotonic() < deadline:
            time.sleep(_POLL_S)

    def _kill_group(self, sig: signal.Signals) -> None:
        # The group id equals the leader's pid (start_new_session). Only signal it while
        # the leader is verified or entirely absent, never when a stranger owns the pid.
        stat = _read_stat(self.pid)
        if stat is not None and stat[1] != self.start_time:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, sig)


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: ask the kernel to SIGKILL it when the
    # spawning thread exits, so a SIGKILLed test session leaves no orphans behind.
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def spawn_detached(
    argv: Sequence[str],
    *,
    log_path: Path,
    cwd: Path,
    env: Mapping[str, str],
    die_with_parent: bool = False,
) -> tuple[subprocess.Popen[bytes], ProcessRef]:
    """Start ``argv`` in its own session with output appended to ``log_path``.

    Args:
        argv: Program and arguments.
        log_path: File receiving stdout and stderr (appended).
        cwd: Working directory of the child.
        env: Complete environment of the child.
        die_with_parent: Kill the child when the calling thread dies (test fixtures;
            call from a long-lived thread only).

    Returns:
        The Popen handle and the process reference recorded in state.

    Raises:
        OSError: The program could not be executed.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # Logs may hold sensitive lines (OpenBao prints its dev root token): owner-only.
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as log:
        proc = subprocess.Popen(  # noqa: S603 - argv comes from the component registry
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=cwd,
            env=dict(env),
            start_new_session=True,
            close_fds=True,
            preexec_fn=_die_with_parent if die_with_parent else None,
        )
    ref = ProcessRef.of(proc.pid)
    if ref is None:  # exited before we could read /proc: record a dead reference
        ref = ProcessRef(proc.pid, -1)
    return proc, ref
