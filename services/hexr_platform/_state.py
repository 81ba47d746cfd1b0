"""The platform's run file, ``$HEXR_HOME/run/platform.json``.

It records every started component (pid with kernel start time, ports, address, log)
and the endpoints agents discover (``env``, names from ``hexr._env.PLATFORM_ENV_NAMES``).
It never holds a secret. Written atomically, removed by ``down``.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from hexr import env as _env
from hexr.endpoints import platform_file
from hexr_platform._process import ProcessRef
from hexr_platform.errors import PlatformError

__all__ = ["ComponentRecord", "PlatformState", "locked", "remove_state"]

_MAX_STATE_BYTES = 1_000_000
_LOCK_TIMEOUT_S = 60.0


@dataclass
class ComponentRecord:
    """What the run file remembers about one started component."""

    pid: int
    start_time: int
    ports: dict[str, int]
    address: str
    log: str
    started_at: float

    @property
    def process(self) -> ProcessRef:
        """The verified process reference."""
        return ProcessRef(self.pid, self.start_time)


@dataclass
class PlatformState:
    """Contents of ``platform.json``."""

    components: dict[str, ComponentRecord] = field(default_factory=dict)
    env: dict[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, home: Path) -> PlatformState:
        """Read the run file; an absent or unreadable file reads as an empty platform."""
        path = platform_file(home)
        try:
            if path.stat().st_size > _MAX_STATE_BYTES:
                return cls()
            raw = json.loads(path.read_text())
            components = {
                str(name): ComponentRecord(
                    pid=int(rec["pid"]),
                    start_time=int(rec["start_time"]),
                    ports={str(k): int(v) for k, v in rec["ports"].items()},
                    address=str(rec["address"]),
                    log=str(rec["log"]),
                    started_at=float(rec["started_at"]),
                )
                for name, rec in raw["components"].items()
            }
            env = {str(k): str(v) for k, v in raw.get("env", {}).items()}
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()
        return cls(components, env)

    def save(self, home: Path) -> None:
        """Atomically write the run file (mode 0600)."""
        path = platform_file(home)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "components": {name: asdict(rec) for name, rec in self.components.items()},
            "env": {k: v for k, v in self.env.items() if k in _env.PLATFORM_ENV_NAMES},
        }
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(payload, fh, indent=2, sort_keys=True)
        os.replace(tmp, path)  # readers (the SDK) never see a half-written file


def remove_state(home: Path) -> None:
    """Delete the run file; idempotent."""
    with contextlib.suppress(FileNotFoundError):
        platform_file(home).unlink()


@contextlib.contextmanager
def locked(home: Path) -> Iterator[None]:
    """Hold the platform lock so two ``up``/``down`` never interleave.

    Raises:
        PlatformError: Another command held the lock for too long.
    """
    run_dir = platform_file(home).parent
    run_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(run_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        deadline = time.monotonic() + _LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise PlatformError(
                        f"another hexr dev command holds {run_dir / '.lock'}"
                    ) from None
                time.sleep(0.05)
        yield
    finally:
        os.close(fd)  # closing releases the flock
