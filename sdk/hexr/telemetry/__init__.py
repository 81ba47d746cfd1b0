"""Hexr telemetry: tracer and meter access that is a no-op until configured.

Instrumentation code calls `get_tracer()` / `get_meter()` at import time; the returned
objects are OpenTelemetry API proxies, so they start recording once a provider is set
(by Hexr's setup or by the application) and cost next to nothing before.
"""

from __future__ import annotations

from opentelemetry import metrics, trace

from hexr._version import __version__
from hexr.telemetry._names import SCOPE

__all__ = ["get_meter", "get_tracer"]


def get_tracer() -> trace.Tracer:
    """The Hexr tracer (a proxy until a TracerProvider is configured)."""
    return trace.get_tracer(SCOPE, __version__)


def get_meter() -> metrics.Meter:
    """The Hexr meter (a proxy until a MeterProvider is configured)."""
    return metrics.get_meter(SCOPE, __version__)
