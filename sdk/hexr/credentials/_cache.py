"""L1: the in-process credential cache, with single flight and refresh-ahead.

A hit is a dict lookup under a lock (a few µs). A miss makes the first caller the leader
of a *flight* that runs the loader (L2, then L3); every other caller for the same key,
thread or asyncio task, waits on that flight, so concurrent misses cause one load.
Entries stay fresh until ``expires_at - buffer``; at a jittered point before that, the
next hit starts a background refresh while still answering from memory.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout

from hexr.credentials._model import CacheKey, Credential, Lookup
from hexr.errors import CredentialError

__all__ = ["CacheCounts", "CacheTTL", "CredentialCache", "Loader"]

_log = logging.getLogger(__name__)

Loader = Callable[[CacheKey, float | None], Lookup]
"""Loads a credential for a key; the float, when given, is an expiry the result must beat."""


class CacheTTL:
    """How long L1 keeps a credential: until expiry minus a buffer, refreshed ahead."""

    __slots__ = ("buffer_seconds", "refresh_window")

    def __init__(
        self, buffer_seconds: float = 600.0, refresh_window: tuple[float, float] = (0.75, 0.9)
    ) -> None:
        low, high = refresh_window
        if buffer_seconds < 0 or not 0 < low <= high < 1:
            raise ValueError("buffer must be >= 0 and 0 < low <= high < 1")
        self.buffer_seconds = buffer_seconds
        self.refresh_window = refresh_window

    def fresh_until(self, credential: Credential, now: float) -> float:
        """Until when a credential may be served; a short-lived one keeps half its life."""
        lifetime = credential.expires_at - now
        return credential.expires_at - min(self.buffer_seconds, max(lifetime, 0.0) / 2)

    def refresh_at(self, fresh_until: float, now: float) -> float:
        """A jittered point before `fresh_until`, so pods do not refresh in lockstep."""
        share = random.uniform(*self.refresh_window)  # noqa: S311 (jitter, not crypto)
        return now + max(fresh_until - now, 0.0) * share


class CacheCounts:
    """Hits and misses of one cache, bumped under the cache lock (cheaper than a metric
    call on the hit path; exported by an observable counter)."""

    __slots__ = ("hits", "misses")

    def __init__(self) -> None:
        self.hits = 0
        self.misses = 0


class _Entry:
    __slots__ = ("credential", "fresh_until", "hit", "refresh_at")

    def __init__(self, credential: Credential, fresh_until: float, refresh_at: float) -> None:
        self.credential = credential
        self.fresh_until = fresh_until
        self.refresh_at = refresh_at
        # Built once: an L1 hit returns it instead of allocating a Lookup per call.
        self.hit = Lookup(credential, "L1")


class CredentialCache:
    """Bounded in-process TTL cache keyed by (SPIFFE ID, service, region)."""

    def __init__(
        self,
        ttl: CacheTTL | None = None,
        *,
        max_entries: int = 1024,
        wait_timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be >= 1")
        self._ttl = ttl or CacheTTL()
        self._max_entries = max_entries
        self._wait_timeout = wait_timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: dict[CacheKey, _Entry] = {}
        self._flights: dict[CacheKey, Future[Lookup]] = {}
        self.counts = CacheCounts()

    def __len__(self) -> int:
        return len(self._entries)

    def peek(self, key: CacheKey) -> Credential | None:
        """The fresh credential for ``key``, or None; never loads."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry.fresh_until:
                return entry.credential
        return None

    def get(self, key: CacheKey, loader: Loader) -> Lookup:
        """The credential for ``key`` from memory, or from ``loader`` in a single flight.

        Raises:
            CredentialError: the load failed or took longer than the wait timeout.
        """
        # The hit path inline (the common case: one lock, one dict get, no allocation).
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry.refresh_at:
                self.counts.hits += 1
                return entry.hit
        found = self._hit_or_join(key, loader)
        if isinstance(found, Lookup):
            return found
        flight, leader = found
        if leader:
            return self._fly(key, flight, loader, None)
        return self._wait(flight)

    async def aget(self, key: CacheKey, loader: Loader) -> Lookup:
        """Async twin of `get`: the load runs in a worker thread, the loop never blocks.

        Raises:
            CredentialError: the load failed or took longer than the wait timeout.
        """
        found = self._hit_or_join(key, loader)
        if isinstance(found, Lookup):
            return found
        flight, leader = found
        if leader:
            # A thread, not a task: the flight must finish even if this caller is cancelled,
            # because other threads and tasks wait on it.
            threading.Thread(
                target=self._fly_quietly, args=(key, flight, loader, None), daemon=True
            ).start()
        try:
            # shield: cancelling one waiter must not cancel the shared flight.
            return await asyncio.wait_for(
                asyncio.shield(asyncio.wrap_future(flight)), self._wait_timeout
            )
        except TimeoutError as exc:
            raise CredentialError("timed out waiting for a credential") from exc

    def invalidate(self, key: CacheKey) -> None:
        """Forget ``key`` (e.g. after the service rejected the credential)."""
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()

    def _hit_or_join(
        self, key: CacheKey, loader: Loader
    ) -> Lookup | tuple[Future[Lookup], bool]:
        """An L1 hit, or the flight to wait on and whether this caller leads it."""
        now = self._clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and now < entry.fresh_until:
                if now >= entry.refresh_at and key not in self._flights:
                    self._refresh_in_background(key, entry, loader, now)
                self.counts.hits += 1
                return entry.hit
            self.counts.misses += 1
            return self._join(key)

    def _join(self, key: CacheKey) -> tuple[Future[Lookup], bool]:
        flight = self._flights.get(key)
        if flight is not None:
            return flight, False
        flight = Future()
        # Running futures cannot be cancelled, so no waiter can break the flight for others.
        flight.set_running_or_notify_cancel()
        self._flights[key] = flight
        return flight, True

    def _wait(self, flight: Future[Lookup]) -> Lookup:
        try:
            return flight.result(timeout=self._wait_timeout)
        except FutureTimeout as exc:
            raise CredentialError("timed out waiting for a credential") from exc

    def _fly(
        self, key: CacheKey, flight: Future[Lookup], loader: Loader, beat: float | None
    ) -> Lookup:
        try:
            result = loader(key, beat)
        except BaseException as exc:
            with self._lock:
                self._flights.pop(key, None)
            flight.set_exception(exc)
            raise
        self._store(key, result.credential)
        with self._lock:
            self._flights.pop(key, None)
        flight.set_result(result)
        return result

    def _fly_quietly(
        self, key: CacheKey, flight: Future[Lookup], loader: Loader, beat: float | None
    ) -> None:
        try:
            self._fly(key, flight, loader, beat)
        except Exception:  # noqa: BLE001 (the error reaches the waiters through the flight)
            _log.debug("credential load failed for %s/%s", key.service, key.region)

    def _refresh_in_background(
        self, key: CacheKey, entry: _Entry, loader: Loader, now: float
    ) -> None:
        flight, _ = self._join(key)
        # Until the refresh lands, do not start another one on every hit.
        entry.refresh_at = now + max(entry.fresh_until - now, 0.0) / 2
        beat = entry.credential.expires_at
        threading.Thread(
            target=self._fly_quietly, args=(key, flight, loader, beat), daemon=True
        ).start()

    def _store(self, key: CacheKey, credential: Credential) -> None:
        now = self._clock()
        fresh_until = self._ttl.fresh_until(credential, now)
        entry = _Entry(credential, fresh_until, self._ttl.refresh_at(fresh_until, now))
        with self._lock:
            self._entries.pop(key, None)
            if len(self._entries) >= self._max_entries:
                self._evict(now)
            self._entries[key] = entry

    def _evict(self, now: float) -> None:
        stale = [key for key, entry in self._entries.items() if entry.fresh_until <= now]
        for key in stale:
            del self._entries[key]
        while len(self._entries) >= self._max_entries:
            # dicts keep insertion order: drop the oldest entry.
            del self._entries[next(iter(self._entries))]
