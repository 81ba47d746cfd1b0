"""Hexr telemetry: tracer and meter access that is a no-op until configured.

Instrumentation code calls `get_tracer()` / `get_meter()` at import time; the returned
objects are OpenTelemetry API proxies, so they start recording once a provider is set
(by Hexr's `setup()` or by the application) and cost next to nothing before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from opentelemetry import metrics, trace

from hexr._version import __version__
from hexr.telemetry._config import TelemetrySettings
from hexr.telemetry._exceptions import record_error, scrubbed_span
from hexr.telemetry._names import SCOPE

if TYPE_CHECKING:
    from hexr.telemetry._cost import CostRecorder, PriceTable, cost_recorder
    from hexr.telemetry._exceptions import record_error
    from hexr.telemetry._metrics_auth import AsgiMetricsGuard, MetricsGuard, wsgi_middleware
    from hexr.telemetry._setup import TelemetryHandle
    from hexr.telemetry._stages import StageRecorder, stage_recorder

__all__ = [
    "AsgiMetricsGuard",
    "CostRecorder",
    "MetricsGuard",
    "PriceTable",
    "StageRecorder",
    "TelemetryHandle",
    "TelemetrySettings",
    "cost_recorder",
    "current_handle",
    "get_meter",
    "get_tracer",
    "record_error",
    "scrubbed_span",
    "setup",
    "stage_recorder",
    "wsgi_middleware",
]

# Loaded on first access, so importing `hexr.telemetry` stays cheap.
_LAZY = {
    "AsgiMetricsGuard": "hexr.telemetry._metrics_auth",
    "CostRecorder": "hexr.telemetry._cost",
    "MetricsGuard": "hexr.telemetry._metrics_auth",
    "PriceTable": "hexr.telemetry._cost",
    "StageRecorder": "hexr.telemetry._stages",
    "cost_recorder": "hexr.telemetry._cost",
    "record_error": "hexr.telemetry._exceptions",
    "stage_recorder": "hexr.telemetry._stages",
    "wsgi_middleware": "hexr.telemetry._metrics_auth",
}


def get_tracer() -> trace.Tracer:
    """The Hexr tracer (a proxy until a TracerProvider is configured)."""
    return trace.get_tracer(SCOPE, __version__)


def get_meter() -> metrics.Meter:
    """The Hexr meter (a proxy until a MeterProvider is configured)."""
    return metrics.get_meter(SCOPE, __version__)


def setup(settings: TelemetrySettings | None = None, **kwargs: Any) -> TelemetryHandle:
    """Configure the process's telemetry once (see `hexr.telemetry._setup.setup`)."""
    # Imported here so `import hexr` does not load the OpenTelemetry SDK and exporters.
    from hexr.telemetry._setup import setup as _setup

    return _setup(settings, **kwargs)


def current_handle() -> TelemetryHandle | None:
    """The handle of a completed `setup()`, or ``None``."""
    from hexr.telemetry._setup import current_handle as _current

    return _current()


def __getattr__(name: str) -> Any:
    if name == "TelemetryHandle":
        from hexr.telemetry._setup import TelemetryHandle

        return TelemetryHandle
    module = _LAZY.get(name)
    if module is not None:
        import importlib

        return getattr(importlib.import_module(module), name)
    raise AttributeError(name)
