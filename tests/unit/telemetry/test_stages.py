import time

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hexr.telemetry import _names as n
from hexr.telemetry._stages import StageRecorder


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def recorder(reader: InMemoryMetricReader) -> StageRecorder:
    return StageRecorder(MeterProvider(metric_readers=[reader]).get_meter("t"))


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def _points(reader: InMemoryMetricReader) -> dict[tuple[str, str], HistogramDataPoint]:
    data = reader.get_metrics_data()
    assert data is not None
    points = {}
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                # The meter also carries the deferred queue's drain hook
                # (hexr.telemetry.dropped_measurements); only stage samples matter here.
                if metric.name != n.METRIC_STAGE_DURATION:
                    continue
                for point in metric.data.data_points:
                    attrs = point.attributes or {}
                    assert isinstance(point, HistogramDataPoint)
                    points[(str(attrs["component"]), str(attrs["stage"]))] = point
    return points


def test_record_adds_span_event_and_histogram_sample(
    recorder: StageRecorder, reader: InMemoryMetricReader, tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    with tracer_provider.get_tracer("t").start_as_current_span("request") as span:
        recorder.record(span, "injector", "policy", 0.0042, {"decision": "allow"})
        recorder.record(span, "injector", "policy", 0.001)
    (finished,) = exporter.get_finished_spans()
    (first, second) = finished.events
    assert first.name == "policy"
    assert dict(first.attributes or {}) == {
        "hexr.stage": "policy", "hexr.stage.duration_ms": 4.2, "decision": "allow"
    }
    assert second.attributes is not None
    assert "decision" not in second.attributes
    point = _points(reader)[("injector", "policy")]
    assert point.count == 2
    assert point.sum == pytest.approx(0.0052)
    # Event attributes never become metric labels (cardinality stays bounded).
    assert set((point.attributes or {}).keys()) == {"component", "stage"}


def test_stage_context_manager_times_the_block_on_the_current_span(
    recorder: StageRecorder, reader: InMemoryMetricReader, tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    with tracer_provider.get_tracer("t").start_as_current_span("request"):
        with recorder.stage("gateway", "serialization"):
            time.sleep(0.01)
        with pytest.raises(KeyError), recorder.stage("gateway", "upstream"):
            raise KeyError("upstream failed")
    (span,) = exporter.get_finished_spans()
    assert [e.name for e in span.events] == ["serialization", "upstream"]
    points = _points(reader)
    assert points[("gateway", "serialization")].sum >= 0.01
    assert points[("gateway", "upstream")].count == 1


def test_without_a_recording_span_only_the_histogram_records(
    recorder: StageRecorder, reader: InMemoryMetricReader
) -> None:
    recorder.record(None, "a2a", "upstream", 0.5)
    with recorder.stage("a2a", "serialization"):
        pass
    assert set(_points(reader)) == {("a2a", "upstream"), ("a2a", "serialization")}
