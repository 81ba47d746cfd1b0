"""The gateway's instruments (names in METRICS.md), created once at import."""

from __future__ import annotations

from hexr.telemetry import get_meter, get_tracer
from hexr.telemetry.names import (
    METRIC_GATEWAY_CALL_DURATION,
    METRIC_GATEWAY_CALL_ERRORS,
    METRIC_GATEWAY_CALLS,
    METRIC_GATEWAY_DENIALS,
    METRIC_GATEWAY_RATE_LIMITED,
    METRIC_GATEWAY_TOOLS,
)

__all__ = [
    "CALLS",
    "CALL_DURATION",
    "CALL_ERRORS",
    "COMPONENT",
    "DENIALS",
    "RATE_LIMITED",
    "TOOLS",
    "TRACER",
]

COMPONENT = "gateway"
TRACER = get_tracer()
_meter = get_meter()
CALLS = _meter.create_counter(METRIC_GATEWAY_CALLS, description="Gateway tool calls by status")
CALL_ERRORS = _meter.create_counter(
    METRIC_GATEWAY_CALL_ERRORS, description="Failed gateway tool calls by error type"
)
DENIALS = _meter.create_counter(
    METRIC_GATEWAY_DENIALS, description="Tool list/call denials by policy"
)
RATE_LIMITED = _meter.create_counter(
    METRIC_GATEWAY_RATE_LIMITED, description="Tool calls refused by a rate limit"
)
CALL_DURATION = _meter.create_histogram(
    METRIC_GATEWAY_CALL_DURATION, unit="s", description="Gateway tool call duration"
)
TOOLS = _meter.create_gauge(METRIC_GATEWAY_TOOLS, description="Tools loaded per tenant")
