"""Hexr's agent and LLM instruments, created once per process.

Counters on hot paths are `CounterCells`: a call adds to a plain number in a cell created
once per label set (like prometheus_client's label children), and an observable instrument
reports the cumulative values when a reader collects. That keeps a counter increment at
about a lock and an add, instead of the SDK's per-measurement attribute hashing. Histograms
stay synchronous instruments (there is no observable histogram).

Created after `setup()` the instruments bind straight to the SDK meter; created earlier
they are API proxies that start reporting once a MeterProvider is installed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping

from opentelemetry import metrics
from opentelemetry.metrics import CallbackOptions, Observation

from hexr._version import __version__
from hexr.telemetry import _names as n

__all__ = ["Cell", "CounterCells", "Instruments", "instruments"]

_MAX_CELLS = 2000
"""Label sets per counter; the SDK's default cardinality limit, so the bound matches."""


class Cell:
    """One label set's running total."""

    __slots__ = ("_lock", "attributes", "value")

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self.attributes = dict(attributes)
        self.value: float = 0
        self._lock = threading.Lock()

    def add(self, amount: float) -> None:
        """Add ``amount`` (negative for up-down counters)."""
        with self._lock:
            self.value += amount


class CounterCells:
    """The cells of one counter, reported through an observable instrument."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cells: dict[tuple[tuple[str, str], ...], Cell] = {}
        self._overflow = Cell({"otel.metric.overflow": "true"})

    def cell(self, attributes: Mapping[str, str]) -> Cell:
        """The cell for ``attributes``; callers keep it and call ``add`` on the hot path."""
        key = tuple(sorted(attributes.items()))
        with self._lock:
            found = self._cells.get(key)
            if found is None:
                if len(self._cells) >= _MAX_CELLS:
                    return self._overflow
                found = self._cells[key] = Cell(attributes)
            return found

    def observe(self, options: CallbackOptions) -> Iterable[Observation]:
        """Observable-instrument callback: the cumulative value of every cell."""
        with self._lock:
            cells = list(self._cells.values())
        if self._overflow.value:
            cells.append(self._overflow)
        return [Observation(c.value, c.attributes) for c in cells]


class Instruments:
    """The metric instruments of ``@hexr_agent`` and ``hexr_llm``."""

    def __init__(self, meter: metrics.Meter) -> None:
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
        self.agent_duration = meter.create_histogram(
            n.METRIC_AGENT_DURATION, unit="s", description="Agent invocation duration."
        )
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
        self.llm_call_duration = meter.create_histogram(
            n.METRIC_LLM_CALL_DURATION, unit="s", description="LLM call duration."
        )
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
        self.llm_time_to_first_chunk = meter.create_histogram(
            n.METRIC_LLM_TIME_TO_FIRST_CHUNK,
            unit="s",
            description="Time from request to the first streamed chunk.",
        )
        self.genai_token_usage = meter.create_histogram(
            n.METRIC_GENAI_TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
        )
        self.genai_operation_duration = meter.create_histogram(
            n.METRIC_GENAI_OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
        )


_lock = threading.Lock()
_instruments: Instruments | None = None


def instruments() -> Instruments:
    """The process's instruments, created on first use."""
    global _instruments
    if _instruments is None:
        with _lock:
            if _instruments is None:
                _instruments = Instruments(metrics.get_meter(n.SCOPE, __version__))
    return _instruments
