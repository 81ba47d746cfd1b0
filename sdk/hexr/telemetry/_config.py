"""The settings object `setup()` takes.

A plain frozen dataclass rather than a `BaseSettings`: the observability config (YAML plus
``HEXR_*``) builds one of these, tests build one by hand, and `from_env()` is the zero-config
path. Hooks (exporter factory, extra readers, views, a ``/metrics`` middleware) are values,
so new exporters or metric protection slot in without touching `_setup.py`.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from hexr import _env

if TYPE_CHECKING:
    from opentelemetry.sdk.metrics.export import MetricReader
    from opentelemetry.sdk.metrics.view import View
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.sdk.trace.sampling import Sampler

__all__ = ["DEFAULT_OTLP_ENDPOINT", "TelemetrySettings", "TracesExporter", "WsgiApp"]

DEFAULT_OTLP_ENDPOINT = "http://localhost:4317"
"""The local collector's OTLP/gRPC address (`hexr dev up` runs it there)."""

TracesExporter = Literal["otlp", "otlp-grpc", "otlp-http", "console", "none"]
WsgiApp = Callable[..., Any]

def _env_bool(name: str, default: bool = False) -> bool:
    from hexr.env import env_flag

    return env_flag(name, default)


def _env_float(name: str, default: float) -> float:
    """A duration in seconds; anything not finite and non-negative means the default."""
    try:
        value = float(os.environ.get(name) or default)
    except ValueError:
        return default
    return value if math.isfinite(value) and value >= 0 else default


def _env_int(name: str) -> int | None:
    raw = os.environ.get(name, "").strip()
    try:
        return int(raw) if raw else None
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class TelemetrySettings:
    """What `hexr.telemetry.setup()` needs to configure a process's telemetry."""

    service_name: str = "hexr-agent"
    agent_name: str | None = None
    tenant: str | None = None
    role: str = "main"
    spiffe_id: str | None = None
    """Known SPIFFE ID; ``None`` asks `hexr.identity` once at setup (never fails setup)."""
    resolve_spiffe_id: bool = True
    resource_attributes: Mapping[str, str] = field(default_factory=dict)

    traces_exporter: TracesExporter = "otlp"
    otlp_endpoint: str | None = None
    """``None``: ``OTEL_EXPORTER_OTLP_ENDPOINT``, the local platform's, or the default."""
    otlp_headers: Mapping[str, str] = field(default_factory=dict, repr=False)
    """Sent with every export; usually credentials, so kept out of ``repr``."""
    export_timeout_s: float = 2.0
    """Per-export deadline, short so a dead collector never holds the worker for long."""
    max_queue_size: int = 2048
    """Spans buffered for export; beyond this, new spans are dropped and counted."""
    max_export_batch_size: int = 512
    schedule_delay_ms: int = 1000
    batch: bool = True
    """``False`` exports each span synchronously when it ends (tests, debugging only)."""
    span_exporter_factory: Callable[[TelemetrySettings], SpanExporter] | None = None
    """Overrides `traces_exporter` (zipkin, in-memory test exporter, ...)."""
    sampler: Sampler | None = None
    """``None``: the SDK's ``OTEL_TRACES_SAMPLER`` / ``OTEL_TRACES_SAMPLER_ARG`` handling."""

    metric_readers: tuple[MetricReader, ...] = ()
    """Extra readers next to the Prometheus one (e.g. an OTLP periodic reader)."""
    views: tuple[View, ...] = ()
    prometheus: bool = True
    """Keep a Prometheus registry for ``/metrics`` and the Pushgateway."""
    metrics_prefix: str = ""
    metrics_const_labels: Mapping[str, str] = field(default_factory=dict)
    """Labels on every exposed metric (e.g. environment, region; bounded values only)."""
    metrics_port: int | None = None
    """``None``: no ``/metrics`` server; ``0``: an ephemeral port (see the handle)."""
    metrics_host: str = "127.0.0.1"
    metrics_path: str = "/metrics"
    metrics_middleware: Callable[[WsgiApp], WsgiApp] | None = None
    """Wraps the ``/metrics`` WSGI app (authentication, allow lists)."""
    pushgateway_url: str | None = None
    """Push metrics here at exit (short-lived processes)."""
    pushgateway_job: str = "hexr"
    pushgateway_stale_s: float | None = 3600.0
    """At exit, delete the same agent's groups pushed longer ago (``None``: keep all)."""

    flush_timeout_s: float = 2.0
    """Deadline of each step of the exit work, not of their sum: the span flush, the
    metric push and the stale-group clean-up each get up to this long (a dead collector
    must not cost the push its time)."""
    capture_content: bool = False

    @classmethod
    def from_env(
        cls,
        *,
        agent_name: str | None = None,
        tenant: str | None = None,
        role: str = "main",
        **overrides: Any,
    ) -> TelemetrySettings:
        """Settings from ``OTEL_*`` / ``HEXR_*`` environment, the local platform, defaults."""
        # Deferred: endpoint discovery loads pydantic-settings, which `import hexr` avoids.
        from hexr.endpoints import resolve_endpoint

        exporter = (os.environ.get(_env.OTEL_TRACES_EXPORTER) or "otlp").strip().lower()
        if exporter not in ("otlp", "otlp-grpc", "otlp-http", "console", "none"):
            exporter = "otlp"
        # HEXR_* over OTEL_*, as the configuration file's loader resolves it.
        service = (
            os.environ.get(_env.HEXR_SERVICE_NAME)
            or os.environ.get(_env.OTEL_SERVICE_NAME)
            or agent_name
            or "hexr-agent"
        )
        values: dict[str, Any] = {
            "service_name": service,
            "agent_name": agent_name,
            "tenant": tenant,
            "role": role,
            "traces_exporter": exporter,
            "otlp_endpoint": resolve_endpoint(_env.OTEL_EXPORTER_OTLP_ENDPOINT),
            "max_queue_size": _env_int(_env.OTEL_BSP_MAX_QUEUE_SIZE) or 2048,
            "metrics_port": _env_int(_env.HEXR_METRICS_PORT),
            "metrics_host": os.environ.get(_env.HEXR_METRICS_HOST) or "127.0.0.1",
            "pushgateway_url": resolve_endpoint(_env.HEXR_PUSHGATEWAY_URL),
            "flush_timeout_s": _env_float(_env.HEXR_TELEMETRY_FLUSH_TIMEOUT, 2.0),
            "pushgateway_stale_s": _env_float(_env.HEXR_PUSHGATEWAY_STALE_AFTER, 3600.0),
            "capture_content": _env_bool(_env.HEXR_CAPTURE_CONTENT),
        }
        values.update(overrides)
        return cls(**values)

    def endpoint(self) -> str:
        """The OTLP endpoint to export to."""
        return self.otlp_endpoint or DEFAULT_OTLP_ENDPOINT
