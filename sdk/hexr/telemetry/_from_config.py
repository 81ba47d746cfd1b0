"""Turn the ``observability:`` config into the `TelemetrySettings` that `setup()` takes.

This is where exporter choice (OTLP over gRPC or HTTP, Zipkin, console), headers,
sampling, the metric name prefix, constant labels and ``/metrics`` protection meet the
OpenTelemetry pipeline. Explicit keyword arguments win over the config.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from hexr.config import ObservabilityConfig
from hexr.telemetry._config import TelemetrySettings
from hexr.telemetry._metrics_auth import MetricsGuard, wsgi_middleware

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.sdk.trace.sampling import Sampler

__all__ = ["ZIPKIN_INSTALL_HINT", "settings_from_config"]

ZIPKIN_INSTALL_HINT = (
    "the zipkin trace exporter needs the 'zipkin' extra: pip install 'hexr[zipkin]'"
)


def _sampler(rate: float) -> Sampler:
    from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

    # Parent-based, so one trace is kept or dropped whole across every hop.
    return ParentBased(TraceIdRatioBased(rate))


def _zipkin_factory(endpoint: str, timeout_s: float) -> Any:
    # Imported now, so a missing extra fails at start rather than at the first export.
    try:
        from opentelemetry.exporter.zipkin.json import ZipkinExporter
    except ImportError as exc:
        raise ImportError(ZIPKIN_INSTALL_HINT) from exc
    # Whole seconds, rounded up: the exporter reads 0 as "use its 10 s default".
    timeout = math.ceil(timeout_s)

    def build(settings: TelemetrySettings) -> SpanExporter:
        exporter: SpanExporter = ZipkinExporter(endpoint=endpoint, timeout=timeout)
        return exporter

    return build


def settings_from_config(config: ObservabilityConfig, **kwargs: Any) -> TelemetrySettings:
    """`TelemetrySettings` for ``config``; ``kwargs`` (agent_name, tenant, ...) win.

    Raises:
        ImportError: the zipkin exporter is selected but its extra is not installed.
    """
    tracing, metrics = config.tracing, config.metrics
    values: dict[str, Any] = {
        "capture_content": config.capture_content,
        "prometheus": metrics.enabled,
        "metrics_prefix": metrics.prefix,
        "metrics_const_labels": dict(metrics.const_labels),
        "metrics_host": metrics.host,
        "metrics_port": metrics.port,
        "metrics_path": metrics.path,
        "otlp_headers": tracing.header_values(),
        "export_timeout_s": tracing.timeout_s,
        # At 1.0 the SDK default (parent-based always-on) is the same and OTEL_TRACES_SAMPLER
        # keeps working; below it, the configured ratio decides.
        "sampler": _sampler(tracing.sample_rate) if tracing.sample_rate < 1.0 else None,
        "traces_exporter": "none",
    }
    service_name = config.service_name or kwargs.get("agent_name") or "hexr-agent"
    values["service_name"] = service_name
    if config.service_version:
        values["resource_attributes"] = {"service.version": config.service_version}
    if metrics.protection.enabled:
        values["metrics_middleware"] = wsgi_middleware(
            MetricsGuard.from_config(metrics.protection)
        )
    if tracing.enabled and tracing.exporter != "none":
        endpoint = config.tracing_url()
        if tracing.exporter == "console":
            values["traces_exporter"] = "console"
        elif tracing.exporter == "zipkin":
            assert endpoint is not None  # noqa: S101 (the model requires it when enabled)
            values["span_exporter_factory"] = _zipkin_factory(endpoint, tracing.timeout_s)
        else:
            values["traces_exporter"] = "otlp-grpc" if tracing.protocol == "grpc" else "otlp-http"
            values["otlp_endpoint"] = endpoint
    values.update(kwargs)
    return TelemetrySettings.from_env(**values)
