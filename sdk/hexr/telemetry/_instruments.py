"""Hexr's agent and LLM instruments, created once per process.

Counters on hot paths are `CounterCells`: a call adds to a plain number in a cell created
once per label set (like prometheus_client's label children), and an observable instrument
reports the cumulative values when a reader collects. That keeps a counter increment at
about a lock and an add, instead of the SDK's per-measurement attribute hashing.

Histograms are `DeferredHistogram`s: a call appends ``(value, attributes)`` to a bounded
queue and a worker thread aggregates them into the SDK histogram, the way span export runs
off the caller's path. Every collection drains the queue first (from an observable
callback), so a scrape, a Pushgateway push or a test reader always sees every record.

Created after `setup()` the instruments bind straight to the SDK meter; created earlier
they are API proxies that start reporting once a MeterProvider is installed.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Histogram, Observation

from hexr._version import __version__
from hexr.telemetry import _names as n
from hexr.telemetry._histogram_cells import HistogramCell, flush_cells, resolve

__all__ = [
    "BoundHistogram",
    "Cell",
    "CounterCells",
    "DeferredHistogram",
    "Instruments",
    "MeasurementQueue",
    "deferred_histogram",
    "instruments",
]

_log = logging.getLogger("hexr.telemetry")
_lock = threading.Lock()
_MAX_CELLS = 2000
"""Label sets per counter; the SDK's default cardinality limit, so the bound matches."""


class Cell:
    """One label set's running total.

    ``inc`` (add 1, the common case) is lock-free: ``next()`` on an `itertools.count` is
    one atomic C call; the ticks are folded into the total when it is read.
    """

    __slots__ = ("_downs", "_lock", "_ticks", "attributes", "value")

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self.attributes = dict(attributes)
        self.value: float = 0
        self._lock = threading.Lock()
        self._ticks = itertools.count()
        self._downs = itertools.count()

    def add(self, amount: float) -> None:
        """Add ``amount`` (negative for up-down counters)."""
        with self._lock:
            self.value += amount

    def inc(self) -> None:
        """Add 1 without taking the lock."""
        next(self._ticks)

    def dec(self) -> None:
        """Subtract 1 without taking the lock (up-down counters)."""
        next(self._downs)

    def total(self) -> float:
        """The running total (``add`` amounts plus ``inc`` minus ``dec`` ticks)."""
        with self._lock:
            # A read advances both counts once, so the reads cancel out in the difference.
            ticks = next(self._ticks) - next(self._downs)
            return self.value + ticks


class CounterCells:
    """The cells of one counter, reported through an observable instrument."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cells: dict[tuple[tuple[str, str], ...], Cell] = {}
        # id(attributes) -> (attributes, cell) for callers that reuse a label dict per call:
        # the dict is kept, so its id cannot be reused by another one.
        self._by_id: dict[int, tuple[Mapping[str, str], Cell]] = {}
        self._overflow = Cell({"otel.metric.overflow": "true"})

    def cell(self, attributes: Mapping[str, str]) -> Cell:
        """The cell for ``attributes``; callers keep it and call ``add`` on the hot path."""
        entry = self._by_id.get(id(attributes))
        if entry is not None and entry[0] is attributes:
            return entry[1]
        key = tuple(sorted(attributes.items()))
        with self._lock:
            found = self._cells.get(key)
            if found is None:
                if len(self._cells) >= _MAX_CELLS:
                    return self._overflow
                found = self._cells[key] = Cell(attributes)
            if len(self._by_id) < _MAX_CELLS:
                self._by_id[id(attributes)] = (attributes, found)
            return found

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        """Observable-instrument callback: the cumulative value of every cell."""
        with self._lock:
            cells = list(self._cells.values())
        overflow = self._overflow.total()
        observations = [Observation(c.total(), c.attributes) for c in cells]
        if overflow:
            observations.append(Observation(overflow, self._overflow.attributes))
        return observations


class MeasurementQueue:
    """Histogram records waiting for aggregation; bounded, drained by a daemon worker.

    The SDK's ``record`` costs ~15 µs (attribute cleaning and hashing), so the worker must
    never hold the GIL for long: it drains in chunks of `CHUNK` records and sleeps briefly
    between chunks, which hands the interpreter back to a caller whose response just
    arrived. A caller thus waits at most one chunk, not a whole drain (the p99 of an LLM
    call, which a 0.5 s backlog drained in one go turned into the 5 ms switch interval).
    """

    CHUNK = 24
    """Records aggregated per GIL hold of the worker (~0.3 ms)."""
    PAUSE_S = 0.0001
    """The worker's sleep between chunks: long enough for a waiting thread to run."""

    def __init__(self, max_size: int = 65_536, interval_s: float = 0.1) -> None:
        self._queue: deque[tuple[Histogram, float, Mapping[str, Any]]] = deque()
        self._max_size = max_size
        # Woken early at a small backlog: short drains, and few records old enough to be
        # promoted into the garbage collector's older generations.
        self._wake_at = min(256, max(1, max_size // 8))
        self._interval_s = interval_s
        self._wake = threading.Event()
        self._drain_lock = threading.Lock()
        self._worker: threading.Thread | None = None
        self.dropped = 0
        # After a fork the parent's worker does not exist in the child: start anew there
        # (a fork hook instead of an os.getpid() system call per record).
        _queues.add(self)

    def forget_worker(self) -> None:
        """In a forked child: the parent's worker thread and locks are not ours."""
        self._worker = None
        self._drain_lock = threading.Lock()
        self._wake = threading.Event()

    def put(self, histogram: Histogram, amount: float, attributes: Mapping[str, Any]) -> None:
        """Queue one record (the caller's whole cost: a length check and an append)."""
        queue = self._queue
        size = len(queue)
        if size >= self._max_size:
            self.dropped += 1  # the worker is starved; losing a sample beats unbounded memory
            return
        queue.append((histogram, amount, attributes))
        if self._worker is None:
            self._start()
        elif size == self._wake_at:
            self._wake.set()

    def drain(self) -> int:
        """Aggregate everything queued so far, at once (collections); returns how many."""
        count = 0
        while True:
            done = self._drain_chunk(self._max_size)
            count += done
            if done == 0:
                return count

    def _drain_chunk(self, limit: int) -> int:
        pop = self._queue.popleft
        count = 0
        with self._drain_lock:
            while count < limit:
                try:
                    histogram, amount, attributes = pop()
                except IndexError:
                    break
                count += 1
                try:
                    histogram.record(amount, attributes)
                except Exception:  # noqa: BLE001 - one bad record must not stop the worker
                    _log.debug("histogram record failed", exc_info=True)
        return count

    def pending(self) -> int:
        """Records not yet aggregated."""
        return len(self._queue)

    def _start(self) -> None:
        with _lock:
            if self._worker is not None:
                return
            self._worker = threading.Thread(
                target=self._run, name="hexr-metrics-aggregator", daemon=True
            )
            self._worker.start()

    def _run(self) -> None:
        chunk, pause = self.CHUNK, self.PAUSE_S
        while True:
            self._wake.wait(self._interval_s)
            self._wake.clear()
            while self._drain_chunk(chunk) == chunk:
                time.sleep(pause)


_queues: weakref.WeakSet[MeasurementQueue] = weakref.WeakSet()


def _after_fork_in_child() -> None:
    for queue in list(_queues):
        queue.forget_worker()


os.register_at_fork(after_in_child=_after_fork_in_child)


_CELLS_PER_HISTOGRAM = 512
"""Label sets pre-aggregated per histogram; more (a misuse) go through the queue."""


class DeferredHistogram:
    """A histogram recorded off the SDK's per-measurement path.

    A label set's first record goes through the SDK; later ones add to its
    `HistogramCell`, merged into the SDK at collection. Where no cell can be had (see
    `hexr.telemetry._histogram_cells`), records are queued for the aggregation worker.
    Label dicts are recognised by identity first (callers reuse cached dicts), then by
    content.
    """

    __slots__ = ("_by_content", "_by_id", "_histogram", "_lock", "_queue")

    def __init__(self, histogram: Histogram, queue: MeasurementQueue) -> None:
        self._histogram = histogram
        self._queue = queue
        self._lock = threading.Lock()
        # id(attributes) -> (attributes, cell): the dict is kept, so its id is not reused.
        self._by_id: dict[int, tuple[Mapping[str, Any], HistogramCell | None]] = {}
        self._by_content: dict[frozenset[tuple[str, Any]], HistogramCell | None] = {}

    def record(self, amount: float, attributes: Mapping[str, Any]) -> None:
        """Record ``amount`` with ``attributes`` (do not mutate the mapping afterwards)."""
        entry = self._by_id.get(id(attributes))
        if entry is not None and entry[0] is attributes:
            cell = entry[1]
            if cell is not None:
                cell.add(amount)
                return
            self._queue.put(self._histogram, amount, attributes)
            return
        self._record_new(amount, attributes)

    def bind(self, attributes: Mapping[str, Any]) -> BoundHistogram:
        """A recorder for one fixed label set (``attributes`` must not change)."""
        return BoundHistogram(self, attributes)

    def cell_of(self, attributes: Mapping[str, Any]) -> HistogramCell | None:
        """The cell ``attributes`` (this very dict) records into, once it has one."""
        entry = self._by_id.get(id(attributes))
        return entry[1] if entry is not None and entry[0] is attributes else None

    def _record_new(self, amount: float, attributes: Mapping[str, Any]) -> None:
        try:
            key = frozenset(attributes.items())
        except TypeError:  # an unhashable value (a list): the SDK path handles it
            self._queue.put(self._histogram, amount, attributes)
            return
        with self._lock:
            if key in self._by_content:
                cell = self._by_content[key]
                recorded = False
            elif len(self._by_content) < _CELLS_PER_HISTOGRAM and _real(self._histogram):
                # The first record creates the SDK's aggregations the cell merges into.
                self._histogram.record(amount, attributes)
                recorded = True
                cell = resolve(self._histogram, attributes)
                self._by_content[key] = cell
            else:
                cell, recorded = None, False
            if len(self._by_id) < _CELLS_PER_HISTOGRAM:
                self._by_id[id(attributes)] = (attributes, cell)
        if recorded:
            return
        if cell is not None:
            cell.add(amount)
        else:
            self._queue.put(self._histogram, amount, attributes)


class BoundHistogram:
    """`DeferredHistogram.record` for one label set, reduced to the cell's ``add``."""

    __slots__ = ("_attributes", "_histogram", "record")

    def __init__(self, histogram: DeferredHistogram, attributes: Mapping[str, Any]) -> None:
        self._histogram = histogram
        self._attributes = attributes
        self.record: Callable[[float], None] = self._first

    def _first(self, amount: float) -> None:
        self._histogram.record(amount, self._attributes)
        cell = self._histogram.cell_of(self._attributes)
        if cell is not None:
            self.record = cell.add  # every later record: one append


def _real(histogram: Histogram) -> bool:
    """An SDK instrument (an API proxy before setup has no aggregations to merge into)."""
    return getattr(histogram, "_real_instrument", histogram) is not None


class Instruments:
    """The metric instruments of ``@hexr_agent`` and ``hexr_llm``."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.queue = MeasurementQueue()
        self._drained_meters: dict[int, metrics.Meter] = {}
        self._drained_lock = threading.Lock()
        self.drain_on_collect(meter)
        deferred = self._deferred
        self.agent_invocations = CounterCells()
        meter.create_observable_counter(
            n.METRIC_AGENT_INVOCATIONS,
            callbacks=[self.agent_invocations.observe],
            unit="{invocation}",
            description="Agent invocations.",
        )
        self.agent_active = CounterCells()
        meter.create_observable_up_down_counter(
            n.METRIC_AGENT_ACTIVE,
            callbacks=[self.agent_active.observe],
            unit="{invocation}",
            description="Agent invocations running.",
        )
        self.agent_duration = deferred(meter.create_histogram(
            n.METRIC_AGENT_DURATION, unit="s", description="Agent invocation duration."
        ))
        self.llm_calls = CounterCells()
        meter.create_observable_counter(
            n.METRIC_LLM_CALLS,
            callbacks=[self.llm_calls.observe],
            unit="{call}",
            description="LLM calls.",
        )
        self.llm_call_errors = CounterCells()
        meter.create_observable_counter(
            n.METRIC_LLM_CALL_ERRORS,
            callbacks=[self.llm_call_errors.observe],
            unit="{call}",
            description="LLM calls that failed.",
        )
        self.llm_call_duration = deferred(meter.create_histogram(
            n.METRIC_LLM_CALL_DURATION, unit="s", description="LLM call duration."
        ))
        self.llm_input_tokens = CounterCells()
        meter.create_observable_counter(
            n.METRIC_LLM_INPUT_TOKENS,
            callbacks=[self.llm_input_tokens.observe],
            unit="{token}",
            description="LLM input tokens.",
        )
        self.llm_output_tokens = CounterCells()
        meter.create_observable_counter(
            n.METRIC_LLM_OUTPUT_TOKENS,
            callbacks=[self.llm_output_tokens.observe],
            unit="{token}",
            description="LLM output tokens.",
        )
        self.llm_time_to_first_chunk = deferred(meter.create_histogram(
            n.METRIC_LLM_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time from request to the first streamed chunk.",
        ))
        self.genai_token_usage = deferred(meter.create_histogram(
            n.METRIC_GENAI_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
        ))
        self.genai_operation_duration = deferred(meter.create_histogram(
            n.METRIC_GENAI_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
        ))

    def drain_on_collect(self, meter: metrics.Meter) -> None:
        """Make every collection of ``meter``'s readers aggregate the queue first."""
        with self._drained_lock:
            if id(meter) in self._drained_meters:
                return
            # Kept referenced, so the id is never reused by another meter.
            self._drained_meters[id(meter)] = meter
        # The SDK runs observable callbacks before it reads histogram storage, so this
        # callback is where queued records land before a scrape, push or test read.
        meter.create_observable_counter(
            n.METRIC_TELEMETRY_DROPPED_MEASUREMENTS,
            callbacks=[self._drain_then_report],
            unit="{measurement}",
            description="Histogram records dropped because the aggregation queue was full.",
        )

    def _drain_then_report(self, options: CallbackOptions) -> Iterable[Observation]:
        self.queue.drain()
        flush_cells()
        return [Observation(self.queue.dropped)]

    def _deferred(self, histogram: Histogram) -> DeferredHistogram:
        return DeferredHistogram(histogram, self.queue)


_instruments: Instruments | None = None


def instruments() -> Instruments:
    """The process's instruments, created on first use."""
    global _instruments
    if _instruments is None:
        with _lock:
            if _instruments is None:
                _instruments = Instruments(metrics.get_meter(n.SCOPE, __version__))
    return _instruments


def deferred_histogram(
    histogram: Histogram, meter: metrics.Meter | None = None
) -> DeferredHistogram:
    """``histogram`` with its records queued on the process's aggregation worker.

    For other hot-path instrumentation (stages, tools, cache lookups): one append per
    record instead of the SDK's per-measurement attribute hashing, drained at collection.
    Pass the ``meter`` that created ``histogram`` when it is not the global Hexr meter,
    so that its readers drain the queue too.
    """
    process = instruments()
    if meter is not None:
        process.drain_on_collect(meter)
    return DeferredHistogram(histogram, process.queue)

