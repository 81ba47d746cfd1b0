"""Instruments of the credential chain, created once; attribute sets pre-built per tier."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from opentelemetry.metrics import CallbackOptions, Observation

from hexr.credentials._model import TIERS, Tier
from hexr.telemetry import get_meter
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
    "cache_hits",
    "cache_misses",
    "lookup_duration",
    "observe_degraded",
    "shared_errors",
    "tool_duration",
    "tool_invocations",
]

METRIC_CACHE_DEGRADED = "hexr.cache.degraded"
"""1 while the shared (L2) cache is skipped because Valkey failed, else 0."""
METRIC_CACHE_ERRORS = "hexr.cache.errors"
"""Failed calls to the shared (L2) cache."""

_meter = get_meter()
cache_hits = _meter.create_counter(METRIC_CACHE_HITS, description="Credential cache hits by tier")
cache_misses = _meter.create_counter(
    METRIC_CACHE_MISSES, description="Credential cache misses by tier"
)
lookup_duration = _meter.create_histogram(
    METRIC_CACHE_LOOKUP_DURATION, unit="s", description="Credential lookup duration by tier"
)
tool_invocations = _meter.create_counter(
    METRIC_TOOL_INVOCATIONS, description="hexr_tool() calls by service and status"
)
tool_duration = _meter.create_histogram(
    METRIC_TOOL_DURATION, unit="s", description="hexr_tool() duration"
)
shared_errors = _meter.create_counter(
    METRIC_CACHE_ERRORS, description="Failed calls to the shared credential cache"
)

# Pre-built attribute sets: the L1 hit path must not build dicts.
TIER_ATTRS: dict[Tier, dict[str, str]] = {tier: {"tier": tier} for tier in TIERS}

_degraded_probes: list[Callable[[], bool]] = []


def _observe(_options: CallbackOptions) -> Iterable[Observation]:
    degraded = any(probe() for probe in list(_degraded_probes))
    yield Observation(1 if degraded else 0, TIER_ATTRS["L2"])


_meter.create_observable_gauge(
    METRIC_CACHE_DEGRADED, callbacks=[_observe], description="Shared credential cache degraded"
)


def observe_degraded(probe: Callable[[], bool]) -> None:
    """Report ``probe()`` (a store's degraded flag) through the degraded gauge."""
    _degraded_probes.append(probe)
