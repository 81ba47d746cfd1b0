"""Histogram records pre-aggregated in the caller's thread, merged into the SDK at collection.

The OpenTelemetry SDK's ``Histogram.record`` costs ~15 µs, almost all of it cleaning and
hashing the attributes of every single measurement. Deferring that to a worker thread
only moves the cost: the worker then holds the GIL while a caller's response is waiting,
which is the p99 of an LLM call. A `HistogramCell` instead aggregates one label set's
records as the SDK would (bucket counts by the same boundaries, sum, min, max) for an
append on the caller's path (values are folded into buckets in batches), and
`flush_cells` adds the totals to the SDK's own aggregation objects when a reader
collects, so every exporter sees exactly what ``record`` would have produced (except
exemplars, which the merged records do not carry).

The SDK's aggregation objects are internals. They are located by their public shape
(attributes equal to the label set, a bucketed histogram of the same boundaries) after
one ordinary ``record`` created them, and used only if they have exactly the layout this
module knows; anything else (another aggregation, a view that filters attributes, an API
proxy before setup, another SDK release) makes `resolve` return ``None`` and the caller
keeps recording through the SDK (`hexr.telemetry._instruments.MeasurementQueue`).
"""

from __future__ import annotations

import math
import threading
import weakref
from bisect import bisect_left
from collections import deque
from collections.abc import Mapping
from typing import Any

__all__ = ["HistogramCell", "flush_cells", "resolve"]

_REQUIRED = ("_lock", "_value", "_sum", "_min", "_max", "_boundaries", "_attributes")
_KIND = "_ExplicitBucketHistogramAggregation"


_FOLD_AT = 512
"""Pending records that make the recording thread fold them into the buckets (~0.2 ms)."""


class HistogramCell:
    """One label set's histogram records since the last collection.

    ``add`` is a lock-free append (one atomic C call); the values are folded into bucket
    counts, sum, min and max when `_FOLD_AT` are pending and at every flush.
    """

    __slots__ = ("__weakref__", "_aggregations", "_bounds", "_count", "_lock", "_max",
                 "_min", "_pending", "_sum", "_value")

    def __init__(self, aggregations: list[Any], bounds: tuple[float, ...]) -> None:
        self._aggregations = aggregations
        self._bounds = bounds
        self._lock = threading.Lock()
        self._pending: deque[float] = deque()
        self._value = [0] * (len(bounds) + 1)
        self._count = 0
        self._sum = 0.0
        self._min = math.inf
        self._max = -math.inf
        _cells.add(self)

    def add(self, amount: float) -> None:
        """Record one value (the caller's whole cost, but for one fold per `_FOLD_AT`)."""
        pending = self._pending
        pending.append(amount)
        if len(pending) >= _FOLD_AT:
            self._fold()

    def _fold(self) -> None:
        with self._lock:
            pop, bounds, value = self._pending.popleft, self._bounds, self._value
            total, low, high, count = self._sum, self._min, self._max, self._count
            for _ in range(len(self._pending)):
                amount = pop()
                value[bisect_left(bounds, amount)] += 1
                count += 1
                total += amount
                if amount < low:
                    low = amount
                if amount > high:
                    high = amount
            self._sum, self._min, self._max, self._count = total, low, high, count

    def flush(self) -> None:
        """Add what was recorded since the last flush to the SDK's aggregations."""
        self._fold()
        with self._lock:
            if not self._count:
                return
            value, total, low, high = self._value, self._sum, self._min, self._max
            self._value = [0] * (len(self._bounds) + 1)
            self._count = 0
            self._sum = 0.0
            self._min = math.inf
            self._max = -math.inf
        for aggregation in self._aggregations:
            with aggregation._lock:
                current = aggregation._value
                if current is None:
                    aggregation._value = list(value)
                else:
                    for index, count in enumerate(value):
                        current[index] += count
                aggregation._sum += total
                aggregation._min = min(aggregation._min, low)
                aggregation._max = max(aggregation._max, high)


_cells: weakref.WeakSet[HistogramCell] = weakref.WeakSet()


def flush_cells() -> None:
    """Merge every cell into the SDK (run by the collection callback, before reading)."""
    for cell in list(_cells):
        cell.flush()


def _sdk_instrument(histogram: Any) -> Any:
    # Instruments created before setup are API proxies delegating to the real one.
    return getattr(histogram, "_real_instrument", None) or histogram


def resolve(histogram: Any, attributes: Mapping[str, Any]) -> HistogramCell | None:
    """A cell for ``attributes`` merging into ``histogram``'s aggregations, if possible.

    Call after one ordinary ``histogram.record(..., attributes)``, which makes the SDK
    create the aggregation in every reader's storage.
    """
    instrument = _sdk_instrument(histogram)
    consumer = getattr(instrument, "_measurement_consumer", None)
    storages = getattr(consumer, "_reader_storages", None)
    if not isinstance(storages, dict) or not storages:
        return None
    wanted = dict(attributes)
    found: list[Any] = []
    bounds: tuple[float, ...] | None = None
    for storage in storages.values():
        matches = getattr(storage, "_instrument_view_instrument_matches", {}).get(instrument)
        if not matches:
            return None
        for match in matches:
            aggregation = _find(match, wanted)
            if aggregation is None:
                return None
            if bounds is None:
                bounds = aggregation._boundaries
            elif aggregation._boundaries != bounds:
                return None
            found.append(aggregation)
    if bounds is None:
        return None
    return HistogramCell(found, tuple(bounds))


def _find(match: Any, wanted: dict[str, Any]) -> Any:
    aggregations = getattr(match, "_attributes_aggregation", None)
    if not isinstance(aggregations, dict):
        return None
    for aggregation in list(aggregations.values()):
        if type(aggregation).__name__ != _KIND:
            continue
        if not all(hasattr(aggregation, name) for name in _REQUIRED):
            continue
        if dict(aggregation._attributes or {}) == wanted:
            return aggregation
    return None
