"""Process-wide OpenTelemetry setup: the only module that imports the SDK and exporters.

`setup()` runs once per process (thread-safe; later calls return the same handle). It
reuses a TracerProvider / MeterProvider the application already installed and otherwise
installs Hexr's: OTLP traces through a bounded batch queue whose drops are counted, and
metrics in a Prometheus registry that is served on ``/metrics`` (long-lived processes) and
pushed to a Pushgateway at exit (short-lived ones). Telemetry never blocks or breaks the
agent: exports have short deadlines and the exit flush is bounded by a timeout.
"""

from __future__ import annotations

import atexit
import dataclasses
import importlib
import logging
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader
from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation, View
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import ReadableSpan, Span, SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import (
    BatchSpanProcessor,
    ConsoleSpanExporter,
    SimpleSpanProcessor,
    SpanExporter,
    SpanExportResult,
)
from opentelemetry.sdk.trace.sampling import Decision, Sampler, SamplingResult
from opentelemetry.util.types import Attributes
from prometheus_client import CollectorRegistry

from hexr import _env
from hexr.endpoints import published_env
from hexr.telemetry import _names as n
from hexr.telemetry._config import TelemetrySettings
from hexr.telemetry._prometheus import (
    MetricsServer,
    delete_stale_groups,
    push_metrics,
    serve_metrics,
    warn_undelivered,
)

__all__ = ["TelemetryHandle", "current_handle", "setup"]

_log = logging.getLogger("hexr.telemetry")

_lock = threading.Lock()
_handle: TelemetryHandle | None = None


class _DropCounter:
    """Counts spans that never reach the collector, by reason (bounded label set)."""

    def __init__(self) -> None:
        self._counter = metrics.get_meter(n.SCOPE).create_counter(
            n.METRIC_TELEMETRY_DROPPED_SPANS,
            unit="{span}",
            description="Spans dropped before export (queue full or export failed).",
        )
        self._attrs = {
            reason: {"reason": reason} for reason in ("queue_full", "export_failed", "shutdown")
        }
        self.total = 0
        # Spans the collector accepted: the collector path's throughput, per process
        # (rotel serves no metrics of its own).
        self.exported = metrics.get_meter(n.SCOPE).create_counter(
            n.METRIC_TELEMETRY_EXPORTED_SPANS,
            unit="{span}",
            description="Spans accepted by the collector (OTLP export succeeded).",
        )

    def add(self, count: int, reason: str) -> None:
        self.total += count
        self._counter.add(count, self._attrs[reason])


class _CountingExporter(SpanExporter):
    """Delegates to the real exporter and counts batches it failed to deliver."""

    def __init__(self, inner: SpanExporter, drops: _DropCounter) -> None:
        self._inner = inner
        self._drops = drops

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        try:
            result = self._inner.export(spans)
        except Exception:  # noqa: BLE001 - an exporter bug must not kill the worker thread
            _log.warning("span export raised; %d spans dropped", len(spans))
            result = SpanExportResult.FAILURE
        if result is SpanExportResult.SUCCESS:
            self._drops.exported.add(len(spans))
        else:
            self._drops.add(len(spans), "export_failed")
        return result

    def shutdown(self) -> None:
        self._inner.shutdown()

    def force_flush(self, timeout_millis: int = 30000) -> bool:
        return self._inner.force_flush(timeout_millis)


class _BoundedBatchProcessor(BatchSpanProcessor):
    """A BatchSpanProcessor that counts the spans its full queue drops."""

    def __init__(self, exporter: SpanExporter, settings: TelemetrySettings, drops: _DropCounter):
        super().__init__(
            exporter,
            max_queue_size=settings.max_queue_size,
            schedule_delay_millis=settings.schedule_delay_ms,
            max_export_batch_size=min(settings.max_export_batch_size, settings.max_queue_size),
            export_timeout_millis=settings.export_timeout_s * 1000,
        )
        self._max_queue = settings.max_queue_size
        self._drops = drops
        # Pinned SDK internals (covered by a test): read per span, so kept at hand.
        self._queue = self._batch_processor._queue

    def queue_length(self) -> int:
        """Spans waiting for export."""
        return len(self._queue)

    def on_end(self, span: ReadableSpan) -> None:
        # The SDK's deque silently evicts when full; count before it does.
        if len(self._queue) >= self._max_queue:
            context = span.context
            if context is not None and context.trace_flags.sampled:
                self._drops.add(1, "queue_full")
        super().on_end(span)


class _IdentityStamp(SpanProcessor):
    """Puts the process's SPIFFE ID and tenant on every span that lacks them.

    For a provider the application installed; on Hexr's own provider `_IdentitySampler`
    does it for less (a span's ``attributes`` view costs ~1 µs per read).
    """

    def __init__(self, attributes: Mapping[str, str]) -> None:
        self._items = tuple(attributes.items())

    def on_start(self, span: Span, parent_context: otel_context.Context | None = None) -> None:
        existing = span.attributes or {}
        for key, value in self._items:
            if key not in existing:
                span.set_attribute(key, value)


class _IdentitySampler(Sampler):
    """The configured sampler, adding the identity attributes a sampled span lacks.

    The SDK creates a span with the attributes its sampler returns, so the identity is
    part of the span's one attribute validation pass instead of extra ``set_attribute``
    calls from a processor.
    """

    def __init__(self, inner: Sampler, identity: Mapping[str, str]) -> None:
        self._inner = inner
        self._identity = dict(identity)

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: trace.SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        """The inner decision, with the identity added to the span's attributes."""
        result = self._inner.should_sample(
            parent_context, trace_id, name, kind, attributes, links, trace_state
        )
        if result.decision is Decision.DROP:  # not recorded: no attributes to complete
            return result
        current = result.attributes
        for key in self._identity:
            if key not in current:
                return SamplingResult(
                    result.decision, {**self._identity, **current}, result.trace_state
                )
        return result

    def get_description(self) -> str:
        """The inner sampler's description (what the SDK reports)."""
        return self._inner.get_description()


class _IdentityParentBased(_IdentitySampler):
    """The SDK default (``parentbased_always_on``) with the identity, in one call.

    Same decisions as ``ParentBased(ALWAYS_ON)``: a span is dropped only under a parent
    that was not sampled, and keeps the parent's trace state. The SDK's version is three
    nested sampler calls per span; this is the hot path of every span in the process.
    """

    def should_sample(
        self,
        parent_context: otel_context.Context | None,
        trace_id: int,
        name: str,
        kind: trace.SpanKind | None = None,
        attributes: Attributes = None,
        links: Sequence[trace.Link] | None = None,
        trace_state: trace.TraceState | None = None,
    ) -> SamplingResult:
        """Sample unless the parent was not; add the identity the attributes lack."""
        parent = trace.get_current_span(parent_context).get_span_context()
        state = parent.trace_state if parent.is_valid else None
        if parent.is_valid and not parent.trace_flags.sampled:
            return SamplingResult(Decision.DROP, None, state)
        identity = self._identity
        if attributes:
            for key in identity:
                if key not in attributes:
                    attributes = {**identity, **attributes}
                    break
        else:
            attributes = identity
        return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)


def _default_sampler_configured() -> bool:
    """No sampler named by the environment: the SDK would use parentbased_always_on."""
    name = os.environ.get(_env.OTEL_TRACES_SAMPLER, "").strip().lower()
    return name in ("", "parentbased_always_on")


class TelemetryHandle:
    """What `setup()` installed: providers, the Prometheus registry, flush and shutdown."""

    def __init__(
        self,
        settings: TelemetrySettings,
        tracer_provider: trace.TracerProvider,
        meter_provider: metrics.MeterProvider,
        *,
        owns_tracer_provider: bool,
        owns_meter_provider: bool,
        registry: CollectorRegistry | None,
        span_processor: BatchSpanProcessor | SimpleSpanProcessor | None,
        drops: _DropCounter,
    ) -> None:
        self.settings = settings
        self.tracer_provider = tracer_provider
        self.meter_provider = meter_provider
        self.owns_tracer_provider = owns_tracer_provider
        self.owns_meter_provider = owns_meter_provider
        self.registry = registry
        """Prometheus registry with Hexr's metrics; ``None`` if the app owns metrics."""
        self.span_processor = span_processor
        self.metrics_server: MetricsServer | None = None
        self._drops = drops
        self._closed = False
        self.identity_attributes: dict[str, str] = {}
        if settings.spiffe_id:
            self.identity_attributes[n.ATTR_SPIFFE_ID] = settings.spiffe_id
        if settings.tenant:
            self.identity_attributes[n.ATTR_TENANT] = settings.tenant

    @property
    def spiffe_id(self) -> str | None:
        """The SPIFFE ID stamped on this process's telemetry, if known."""
        return self.settings.spiffe_id

    @property
    def dropped_spans(self) -> int:
        """Spans dropped so far (queue full, export failures)."""
        return self._drops.total

    def pending_spans(self) -> int:
        """Spans queued for export right now (bounded by ``max_queue_size``)."""
        if isinstance(self.span_processor, _BoundedBatchProcessor):
            return self.span_processor.queue_length()
        return 0

    def add_span_processor(self, processor: SpanProcessor) -> None:
        """Attach another span processor (test exporters, extra pipelines)."""
        add = getattr(self.tracer_provider, "add_span_processor", None)
        if add is None:
            raise TypeError("the installed TracerProvider does not accept span processors")
        add(processor)

    def force_flush(self, timeout_s: float | None = None) -> bool:
        """Export queued spans, waiting at most ``timeout_s``; True if done in time."""
        timeout = self.settings.flush_timeout_s if timeout_s is None else timeout_s
        flush = getattr(self.tracer_provider, "force_flush", None)
        if flush is None:
            return True
        # The SDK ignores the flush timeout and exporters retry; a thread bounds the wait.
        return _run_bounded(
            lambda: flush(int(timeout * 1000)), timeout, "flush", logging.WARNING
        )

    def push_metrics(self, timeout_s: float | None = None) -> bool:
        """Push the current metrics to the Pushgateway, if one is configured."""
        url = self.settings.pushgateway_url
        if self.registry is None:
            return False
        if not url:
            if self.metrics_server is None and published_env():
                # A local platform runs but offers no Pushgateway (Debian's is missing):
                # without a push or a pull endpoint this process's metrics vanish.
                warn_undelivered(
                    "the local platform has no Pushgateway (apt-get install"
                    " prometheus-pushgateway, then hexr dev up)"
                )
            return False
        timeout = self.settings.flush_timeout_s if timeout_s is None else timeout_s
        key = _grouping_key(self.settings)
        pushed = push_metrics(url, self.settings.pushgateway_job, self.registry, key, timeout)
        stale = self.settings.pushgateway_stale_s
        if pushed and stale is not None:
            delete_stale_groups(url, self.settings.pushgateway_job, key, stale, timeout)
        return pushed

    def flush_on_exit(self) -> None:
        """Exit hook: flush spans, push metrics; bounded by ``flush_timeout_s``."""
        if self._closed:
            return
        self._closed = True
        self.force_flush()
        self.push_metrics()
        if self.metrics_server is not None:
            self.metrics_server.close()
        if self.owns_tracer_provider:
            # The provider is built without the SDK's own exit hook, whose shutdown would
            # retry a dead collector batch by batch; what the flush could not send is lost.
            _run_bounded(
                self.tracer_provider.shutdown,  # type: ignore[attr-defined]
                _SHUTDOWN_GRACE_S,
                "shutdown",
                logging.DEBUG,
            )


_SHUTDOWN_GRACE_S = 0.2


def _run_bounded(func: Any, timeout_s: float, what: str, failure_level: int) -> bool:
    """Run ``func`` on a daemon thread and wait at most ``timeout_s``; True if it finished.

    Best effort: an exception is logged at ``failure_level``, never raised.
    """
    done = threading.Event()

    def run() -> None:
        try:
            func()
        except Exception:  # noqa: BLE001 - flush and shutdown are best effort
            _log.log(failure_level, "telemetry %s failed", what, exc_info=True)
        finally:
            done.set()

    threading.Thread(target=run, name=f"hexr-telemetry-{what}", daemon=True).start()
    return done.wait(timeout_s)


def _grouping_key(settings: TelemetrySettings) -> dict[str, str]:
    key = {"instance": f"{socket.gethostname()}:{os.getpid()}"}
    if settings.agent_name:
        key["agent"] = settings.agent_name
    if settings.tenant:
        key["tenant"] = settings.tenant
    return key


def _lookup_spiffe_id() -> str | None:
    """Ask the identity module for this process's SPIFFE ID; any failure means unknown."""
    try:
        identity = importlib.import_module("hexr.identity")
        lookup = getattr(identity, "try_current_spiffe_id", None)
        value = lookup() if callable(lookup) else None
    except Exception:  # noqa: BLE001 - telemetry setup must work without an identity
        _log.debug("no SPIFFE ID for telemetry", exc_info=True)
        return None
    return str(value) if value is not None else None


def _resource(settings: TelemetrySettings) -> Resource:
    attrs: dict[str, str] = {n.ATTR_SERVICE_NAME: settings.service_name, n.ATTR_ROLE: settings.role}
    if settings.agent_name:
        attrs[n.ATTR_AGENT_NAME] = settings.agent_name
    if settings.tenant:
        attrs[n.ATTR_TENANT] = settings.tenant
    if settings.spiffe_id:
        attrs[n.ATTR_SPIFFE_ID] = settings.spiffe_id
    attrs.update(settings.metrics_const_labels)
    attrs.update(settings.resource_attributes)
    # Resource.create merges OTEL_RESOURCE_ATTRIBUTES; ours win on conflicts.
    return Resource.create(attrs)


def _span_exporter(settings: TelemetrySettings) -> SpanExporter | None:
    if settings.span_exporter_factory is not None:
        return settings.span_exporter_factory(settings)
    kind = settings.traces_exporter
    headers = dict(settings.otlp_headers) or None
    if kind in ("otlp", "otlp-grpc"):
        from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import (
            OTLPSpanExporter as GrpcExporter,
        )

        endpoint = settings.endpoint()
        return GrpcExporter(
            endpoint=endpoint,
            # http:// is plaintext; https:// and a bare host:port are TLS unless
            # OTEL_EXPORTER_OTLP_INSECURE says otherwise (the exporter decides on None).
            insecure=True if endpoint.startswith("http://") else None,
            headers=headers,
            timeout=settings.export_timeout_s,
        )
    if kind == "otlp-http":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import (
            OTLPSpanExporter as HttpExporter,
        )

        url = settings.otlp_endpoint
        if url and not url.rstrip("/").endswith("/v1/traces"):
            url = url.rstrip("/") + "/v1/traces"
        return HttpExporter(endpoint=url, headers=headers, timeout=settings.export_timeout_s)
    if kind == "console":
        return ConsoleSpanExporter()
    return None


# Bucket boundaries of Hexr's histograms (the SDK's defaults are for milliseconds).
_HISTOGRAM_BUCKETS: dict[str, Sequence[float]] = {
    n.METRIC_GENAI_TOKEN_USAGE: n.GENAI_TOKEN_USAGE_BUCKETS,
    n.METRIC_GENAI_OPERATION_DURATION: n.GENAI_OPERATION_DURATION_BUCKETS,
    n.METRIC_STAGE_DURATION: n.STAGE_DURATION_BUCKETS,
    n.METRIC_AGENT_SESSION_STEPS: n.SESSION_STEPS_BUCKETS,
    n.METRIC_AGENT_DURATION: n.DURATION_BUCKETS_S,
    n.METRIC_LLM_CALL_DURATION: n.DURATION_BUCKETS_S,
    n.METRIC_LLM_TIME_TO_FIRST_CHUNK: n.DURATION_BUCKETS_S,
    n.METRIC_A2A_SEND_DURATION: n.DURATION_BUCKETS_S,
    n.METRIC_A2A_TASK_DURATION: n.DURATION_BUCKETS_S,
    n.METRIC_A2A_STORE_OPERATION_DURATION: n.STAGE_DURATION_BUCKETS,
    n.METRIC_TLS_HANDSHAKE_DURATION: n.STAGE_DURATION_BUCKETS,
}


def _views(settings: TelemetrySettings) -> list[View]:
    views = [
        View(instrument_name=name, aggregation=ExplicitBucketHistogramAggregation(buckets))
        for name, buckets in _HISTOGRAM_BUCKETS.items()
    ]
    views.extend(settings.views)
    return views


def _install_tracing(
    settings: TelemetrySettings, exporter: SpanExporter | None, drops: _DropCounter
) -> tuple[trace.TracerProvider, bool, BatchSpanProcessor | SimpleSpanProcessor | None]:
    identity = {
        key: value
        for key, value in ((n.ATTR_SPIFFE_ID, settings.spiffe_id), (n.ATTR_TENANT, settings.tenant))
        if value
    }
    existing = trace.get_tracer_provider()
    if not isinstance(existing, trace.ProxyTracerProvider):
        if exporter is not None:
            exporter.shutdown()
        add = getattr(existing, "add_span_processor", None)
        if identity and add is not None:
            # The app's pipeline stays as it is, but Hexr's spans still carry the identity.
            add(_IdentityStamp(identity))
        return existing, False, None
    provider = TracerProvider(
        resource=_resource(settings), sampler=settings.sampler, shutdown_on_exit=False
    )
    if identity:
        # Before any tracer exists: tracers take the provider's sampler when created. (Without
        # a configured one the provider has read OTEL_TRACES_SAMPLER: that one is wrapped.)
        if settings.sampler is None and _default_sampler_configured():
            provider.sampler = _IdentityParentBased(provider.sampler, identity)
        else:
            provider.sampler = _IdentitySampler(provider.sampler, identity)
    processor: BatchSpanProcessor | SimpleSpanProcessor | None = None
    if exporter is not None:
        counted = _CountingExporter(exporter, drops)
        processor = (
            _BoundedBatchProcessor(counted, settings, drops)
            if settings.batch
            else SimpleSpanProcessor(counted)
        )
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    return provider, True, processor


def _install_metrics(
    settings: TelemetrySettings,
) -> tuple[metrics.MeterProvider, bool, CollectorRegistry | None]:
    existing = metrics.get_meter_provider()
    if type(existing).__name__ != "_ProxyMeterProvider":
        return existing, False, None
    readers: list[MetricReader] = list(settings.metric_readers)
    registry: CollectorRegistry | None = None
    if settings.prometheus:
        from opentelemetry.exporter.prometheus import PrometheusMetricReader

        registry = CollectorRegistry(auto_describe=True)
        const = frozenset(settings.metrics_const_labels)
        readers.append(
            PrometheusMetricReader(
                prefix=settings.metrics_prefix,
                registry=registry,
                # Constant labels ride on the resource; copy exactly those onto every metric.
                resource_attribute_filter=const.__contains__ if const else None,
            )
        )
    provider = MeterProvider(
        metric_readers=readers, resource=_resource(settings), views=_views(settings)
    )
    metrics.set_meter_provider(provider)
    return provider, True, registry


def _disabled() -> bool:
    return os.environ.get(_env.OTEL_SDK_DISABLED, "").strip().lower() == "true"


def setup(settings: TelemetrySettings | None = None, **kwargs: Any) -> TelemetryHandle:
    """Configure telemetry for this process once; later calls return the same handle.

    Args:
        settings: What to configure; ``None`` builds it from the observability config
            (`hexr.config`) and ``kwargs`` (``agent_name``, ``tenant``, ``role``, overrides).
        **kwargs: Passed to `settings_from_config` when ``settings`` is None.

    Returns:
        The process's `TelemetryHandle` (providers, registry, flush/shutdown).

    Raises:
        ConfigError: the observability config is invalid (only when ``settings`` is None).
    """
    global _handle
    if _handle is not None:
        return _handle
    with _lock:
        if _handle is not None:
            return _handle
        if settings is None:
            # The observability config (YAML + HEXR_* + OTEL_*); invalid config fails here.
            from hexr.config import get_observability_config
            from hexr.telemetry._from_config import settings_from_config

            settings = settings_from_config(get_observability_config(), **kwargs)
        if settings.spiffe_id is None and settings.resolve_spiffe_id:
            spiffe_id = _lookup_spiffe_id()
            if spiffe_id:
                settings = dataclasses.replace(settings, spiffe_id=spiffe_id)
        if _disabled():
            drops = _DropCounter()
            handle = TelemetryHandle(
                settings,
                trace.get_tracer_provider(),
                metrics.get_meter_provider(),
                owns_tracer_provider=False,
                owns_meter_provider=False,
                registry=None,
                span_processor=None,
                drops=drops,
            )
        else:
            # Built first: a bad exporter config fails setup before anything is installed.
            exporter = _span_exporter(settings)
            meter_provider, owns_meters, registry = _install_metrics(settings)
            drops = _DropCounter()
            tracer_provider, owns_traces, processor = _install_tracing(settings, exporter, drops)
            handle = TelemetryHandle(
                settings,
                tracer_provider,
                meter_provider,
                owns_tracer_provider=owns_traces,
                owns_meter_provider=owns_meters,
                registry=registry,
                span_processor=processor,
                drops=drops,
            )
            if registry is not None and settings.metrics_port is not None:
                handle.metrics_server = serve_metrics(registry, settings)
            atexit.register(handle.flush_on_exit)
        _handle = handle
        return handle


def current_handle() -> TelemetryHandle | None:
    """The handle of the completed `setup()`, or ``None`` before setup."""
    return _handle
