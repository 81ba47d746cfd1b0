"""Instruments of the credential chain, created once.

Cache hits and misses are plain integers bumped on the lookup path (under the cache lock
for L1) and exported by observable counters at collection time: a synchronous OTel counter
call costs ~4 µs, which would make an L1 hit several times slower.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterable
from typing import Protocol

from opentelemetry.metrics import CallbackOptions, Observation

from hexr.credentials._cache import CacheCounts
from hexr.credentials._model import TIERS, Tier
from hexr.telemetry import get_meter
from hexr.telemetry._instruments import DeferredHistogram, deferred_histogram
from hexr.telemetry._names import (
    METRIC_CACHE_HITS,
    METRIC_CACHE_LOOKUP_DURATION,
    METRIC_CACHE_MISSES,
    METRIC_TOOL_DURATION,
    METRIC_TOOL_INVOCATIONS,
)

__all__ = [
    "METRIC_CACHE_DEGRADED",
    "METRIC_CACHE_ERRORS",
    "TIER_ATTRS",
    "lookup_duration",
    "observe_degraded",
    "shared_errors",
    "tally",
    "tool_duration",
    "tool_invocations",
    "track_cache",
]

METRIC_CACHE_DEGRADED = "hexr.cache.degraded"
"""1 while the shared (L2) cache is skipped because Valkey failed, else 0."""
METRIC_CACHE_ERRORS = "hexr.cache.errors"
"""Failed calls to the shared (L2) cache."""

# Pre-built attribute sets: lookup paths never build dicts.
TIER_ATTRS: dict[Tier, dict[str, str]] = {tier: {"tier": tier} for tier in TIERS}


class _Tally:
    """Hit/miss counts of the tiers that cost (L2, L3), and the registered L1 caches."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hits = dict.fromkeys(TIERS, 0)
        self._misses = dict.fromkeys(TIERS, 0)
        # Strong references to small count objects only: counts of a dropped cache must
        # stay in the (monotonic) total.
        self._caches: list[CacheCounts] = []

    def add(self, hit: bool, tier: Tier) -> None:
        with self._lock:
            (self._hits if hit else self._misses)[tier] += 1

    def track(self, counts: CacheCounts) -> None:
        with self._lock:
            self._caches.append(counts)

    def snapshot(self) -> tuple[dict[Tier, int], dict[Tier, int]]:
        with self._lock:
            hits, misses = dict(self._hits), dict(self._misses)
            caches = list(self._caches)
        hits["L1"] += sum(c.hits for c in caches)
        misses["L1"] += sum(c.misses for c in caches)
        return hits, misses


tally = _Tally()
track_cache = tally.track


def _observe_hits(_options: CallbackOptions) -> Iterable[Observation]:
    hits, _ = tally.snapshot()
    return [Observation(hits[tier], TIER_ATTRS[tier]) for tier in TIERS]


def _observe_misses(_options: CallbackOptions) -> Iterable[Observation]:
    _, misses = tally.snapshot()
    return [Observation(misses[tier], TIER_ATTRS[tier]) for tier in TIERS]


_meter = get_meter()
_meter.create_observable_counter(
    METRIC_CACHE_HITS, callbacks=[_observe_hits], description="Credential cache hits by tier"
)
_meter.create_observable_counter(
    METRIC_CACHE_MISSES, callbacks=[_observe_misses], description="Credential cache misses by tier"
)
_lookup_duration = _meter.create_histogram(
    METRIC_CACHE_LOOKUP_DURATION, unit="s", description="Credential lookup duration by tier"
)
_deferred_lookup: DeferredHistogram | None = None


def lookup_duration() -> DeferredHistogram:
    """The lookup-duration histogram, aggregated off the SDK's per-record path."""
    global _deferred_lookup
    if _deferred_lookup is None:
        # Created at first lookup, not at import: the process's instruments come with it.
        _deferred_lookup = deferred_histogram(_lookup_duration)
    return _deferred_lookup

tool_invocations = _meter.create_counter(
    METRIC_TOOL_INVOCATIONS, description="hexr_tool() calls by service and status"
)
tool_duration = _meter.create_histogram(
    METRIC_TOOL_DURATION, unit="s", description="hexr_tool() duration"
)
shared_errors = _meter.create_counter(
    METRIC_CACHE_ERRORS, description="Failed calls to the shared credential cache"
)

# Weak: a closed, dropped store must neither leak nor keep reporting its last state.
_degraded_stores: weakref.WeakSet[_HasDegraded] = weakref.WeakSet()


class _HasDegraded(Protocol):
    @property
    def degraded(self) -> bool: ...


def _observe_degraded(_options: CallbackOptions) -> Iterable[Observation]:
    degraded = any(store.degraded for store in list(_degraded_stores))
    yield Observation(1 if degraded else 0, TIER_ATTRS["L2"])


_meter.create_observable_gauge(
    METRIC_CACHE_DEGRADED,
    callbacks=[_observe_degraded],
    description="Shared credential cache degraded (Valkey unreachable)",
)


def observe_degraded(store: _HasDegraded) -> None:
    """Report ``store.degraded`` through the degraded gauge while the store lives."""
    _degraded_stores.add(store)
