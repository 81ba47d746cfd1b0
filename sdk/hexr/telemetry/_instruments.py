"""Hexr's agent and LLM instruments, created once per process.

Hot paths hold a reference to `Instruments` and only call ``add``/``record``. Created after
`setup()` they bind straight to the SDK meter; created earlier they are API proxies that
start recording once a MeterProvider is installed.
"""

from __future__ import annotations

import threading

from opentelemetry import metrics

from hexr._version import __version__
from hexr.telemetry import _names as n

__all__ = ["Instruments", "instruments"]


class Instruments:
    """The metric instruments of ``@hexr_agent`` and ``hexr_llm``."""

    def __init__(self, meter: metrics.Meter) -> None:
        self.agent_invocations = meter.create_counter(
            n.METRIC_AGENT_INVOCATIONS, unit="{invocation}", description="Agent invocations."
        )
        self.agent_active = meter.create_up_down_counter(
            n.METRIC_AGENT_ACTIVE, unit="{invocation}", description="Agent invocations running."
        )
        self.agent_duration = meter.create_histogram(
            n.METRIC_AGENT_DURATION, unit="s", description="Agent invocation duration."
        )
        self.llm_calls = meter.create_counter(
            n.METRIC_LLM_CALLS, unit="{call}", description="LLM calls."
        )
        self.llm_call_errors = meter.create_counter(
            n.METRIC_LLM_CALL_ERRORS, unit="{call}", description="LLM calls that failed."
        )
        self.llm_call_duration = meter.create_histogram(
            n.METRIC_LLM_CALL_DURATION, unit="s", description="LLM call duration."
        )
        self.llm_input_tokens = meter.create_counter(
            n.METRIC_LLM_INPUT_TOKENS, unit="{token}", description="LLM input tokens."
        )
        self.llm_output_tokens = meter.create_counter(
            n.METRIC_LLM_OUTPUT_TOKENS, unit="{token}", description="LLM output tokens."
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
