"""Registration entries: which process (pid + start time, optionally uid) gets which ID."""

from __future__ import annotations

import json
import os
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from hexr.errors import IdentityError
from hexr.identity import SpiffeId

__all__ = [
    "Entry",
    "FileRegistrationStore",
    "InMemoryRegistrationStore",
    "RegistrationError",
    "RegistrationStore",
]

MAX_ENTRIES = 10_000


class RegistrationError(Exception):
    """A registration was refused; the message says why."""


@dataclass(frozen=True, slots=True)
class Entry:
    """One registered workload process.

    The start time (``/proc/PID/stat`` field 22) pins the entry to one process: a recycled
    pid has another start time and matches nothing.
    """

    spiffe_id: SpiffeId
    pid: int
    start_time: int
    uid: int | None = None


class RegistrationStore(ABC):
    """Where registration entries live."""

    @abstractmethod
    def add(self, entry: Entry) -> None:
        """Register ``entry``; replaces an entry of a dead process with the same pid.

        Raises:
            RegistrationError: the live process already has another ID, or the store is full.
        """

    @abstractmethod
    def remove(self, pid: int) -> bool:
        """Drop the entry of ``pid``; True when there was one."""

    @abstractmethod
    def get(self, pid: int) -> Entry | None:
        """The entry registered for ``pid``."""

    @abstractmethod
    def entries(self) -> list[Entry]:
        """All entries."""


class InMemoryRegistrationStore(RegistrationStore):
    """Entries in a dict; the local platform re-registers on restart."""

    def __init__(self, max_entries: int = MAX_ENTRIES) -> None:
        self._lock = threading.Lock()
        self._entries: dict[int, Entry] = {}
        self._max = max_entries

    def add(self, entry: Entry) -> None:
        """Register ``entry`` (see `RegistrationStore.add`)."""
        with self._lock:
            self._add_locked(entry)

    def _add_locked(self, entry: Entry) -> None:
        existing = self._entries.get(entry.pid)
        if (
            existing is not None
            and existing.start_time == entry.start_time
            and existing.spiffe_id != entry.spiffe_id
        ):
            raise RegistrationError(
                f"pid {entry.pid} is already registered as {existing.spiffe_id}"
            )
        if existing is None and len(self._entries) >= self._max:
            raise RegistrationError("registration store is full")
        self._entries[entry.pid] = entry

    def remove(self, pid: int) -> bool:
        """Drop the entry of ``pid``."""
        with self._lock:
            return self._entries.pop(pid, None) is not None

    def get(self, pid: int) -> Entry | None:
        """The entry of ``pid``."""
        with self._lock:
            return self._entries.get(pid)

    def entries(self) -> list[Entry]:
        """All entries."""
        with self._lock:
            return list(self._entries.values())


class FileRegistrationStore(InMemoryRegistrationStore):
    """In-memory entries mirrored to a 0600 JSON file, so a restarted service keeps them.

    Safe to persist: an entry names a pid *and* its start time, so after a reboot or pid
    reuse it matches nothing and is garbage-collected.
    """

    def __init__(self, path: Path, max_entries: int = MAX_ENTRIES) -> None:
        super().__init__(max_entries)
        self._path = path
        self._load()

    def _load(self) -> None:
        try:
            rows = json.loads(self._path.read_text())
        except FileNotFoundError:
            return
        except (OSError, ValueError):
            return  # a damaged file must not stop the trust root; launchers re-register
        for row in rows if isinstance(rows, list) else []:
            try:
                entry = Entry(
                    SpiffeId.parse(row["spiffe_id"]),
                    int(row["pid"]),
                    int(row["start_time"]),
                    None if row.get("uid") is None else int(row["uid"]),
                )
            except (KeyError, TypeError, ValueError, IdentityError):
                continue
            self._entries[entry.pid] = entry

    def _save(self) -> None:
        rows = [
            {"spiffe_id": str(e.spiffe_id), "pid": e.pid, "start_time": e.start_time, "uid": e.uid}
            for e in self._entries.values()
        ]
        tmp = self._path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(rows, fh)
        os.replace(tmp, self._path)

    def add(self, entry: Entry) -> None:
        """Register ``entry`` and persist.

        Raises:
            RegistrationError: as `RegistrationStore.add`, or the file cannot be written
                (the entry is then not kept: memory grants nothing the file does not hold,
                and the launcher sees a refusal instead of a dropped connection).
        """
        with self._lock:
            previous = self._entries.get(entry.pid)
            self._add_locked(entry)
            try:
                self._save()
            except OSError as exc:
                if previous is None:
                    del self._entries[entry.pid]
                else:
                    self._entries[entry.pid] = previous
                raise RegistrationError("registration could not be persisted") from exc

    def remove(self, pid: int) -> bool:
        """Drop the entry of ``pid`` and persist."""
        with self._lock:
            removed = self._entries.pop(pid, None) is not None
            if removed:
                self._save()
            return removed
