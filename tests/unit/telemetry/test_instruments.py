"""Instruments: OTel names, kinds and units as exported, and bounded counter cells."""

from __future__ import annotations

import time
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import (
    HistogramDataPoint,
    InMemoryMetricReader,
    NumberDataPoint,
    Sum,
)

from hexr.telemetry import _instruments
from hexr.telemetry._instruments import (
    CounterCells,
    DeferredHistogram,
    Instruments,
    MeasurementQueue,
    deferred_histogram,
    instruments,
)


def _collect(reader: InMemoryMetricReader) -> dict[str, Any]:
    data = reader.get_metrics_data()
    assert data is not None
    return {
        metric.name: metric
        for rm in data.resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    }


def test_exported_names_kinds_and_units() -> None:
    reader = InMemoryMetricReader()
    provider = MeterProvider(metric_readers=[reader])
    inst = Instruments(provider.get_meter("hexr"))
    attrs = {"agent_name": "a", "tenant": "t", "framework": "none", "status": "ok"}
    inst.agent_invocations.cell(attrs).add(2)
    active = inst.agent_active.cell({"agent_name": "a", "tenant": "t", "framework": "none"})
    active.add(1)
    active.add(1)
    active.add(-1)
    inst.agent_duration.record(0.5, attrs)
    llm = {"gen_ai.system": "openai", "gen_ai.request.model": "m"}
    inst.llm_calls.cell(llm).add(1)
    inst.llm_input_tokens.cell(llm).add(12)
    inst.llm_output_tokens.cell(llm).add(34)
    inst.genai_token_usage.record(12, {**llm, "gen_ai.token.type": "input"})
    metrics = _collect(reader)

    invocations = metrics["hexr.agent.invocations"]
    assert isinstance(invocations.data, Sum)
    assert invocations.data.is_monotonic
    assert invocations.unit == "{invocation}"
    (point,) = invocations.data.data_points
    assert isinstance(point, NumberDataPoint)
    assert (dict(point.attributes or {}), point.value) == (attrs, 2)

    active_metric = metrics["hexr.agent.active"]
    assert isinstance(active_metric.data, Sum)
    assert not active_metric.data.is_monotonic
    assert [p.value for p in active_metric.data.data_points] == [1]

    duration = metrics["hexr.agent.duration"]
    assert duration.unit == "s"
    (hist,) = duration.data.data_points
    assert isinstance(hist, HistogramDataPoint)
    assert (hist.count, hist.sum) == (1, 0.5)

    tokens = {
        name: [p.value for p in metrics[name].data.data_points]  # type: ignore[union-attr]
        for name in ("hexr.llm.calls", "hexr.llm.input_tokens", "hexr.llm.output_tokens")
    }
    assert tokens == {
        "hexr.llm.calls": [1],
        "hexr.llm.input_tokens": [12],
        "hexr.llm.output_tokens": [34],
    }
    assert metrics["gen_ai.client.token.usage"].unit == "{token}"
    provider.shutdown()


def test_cells_are_shared_per_label_set_and_bounded(monkeypatch: Any) -> None:
    monkeypatch.setattr(_instruments, "_MAX_CELLS", 3)
    cells = CounterCells()
    first = cells.cell({"a": "1", "b": "2"})
    assert cells.cell({"b": "2", "a": "1"}) is first  # label order does not matter
    cells.cell({"a": "2"})
    cells.cell({"a": "3"})
    overflow = cells.cell({"a": "4"})
    assert cells.cell({"a": "5"}) is overflow
    overflow.add(2)
    first.add(1)
    observed = {tuple(sorted((o.attributes or {}).items())): o.value for o in cells.observe(None)}  # type: ignore[arg-type]
    assert observed[(("a", "1"), ("b", "2"))] == 1
    assert observed[(("otel.metric.overflow", "true"),)] == 2
    assert len(observed) == 4


class _Recorder:
    def __init__(self) -> None:
        self.values: list[float] = []

    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        self.values.append(amount)


def test_queue_is_bounded_and_counts_drops() -> None:
    queue = MeasurementQueue(max_size=4, interval_s=60)
    sink = _Recorder()
    for i in range(10):
        queue.put(sink, float(i), {})  # type: ignore[arg-type]
    assert queue.pending() == 4
    assert queue.dropped == 6
    assert queue.drain() == 4
    assert sink.values == [0.0, 1.0, 2.0, 3.0]
    assert queue.pending() == 0


def test_worker_aggregates_without_a_collection() -> None:
    queue = MeasurementQueue(interval_s=0.01)
    sink = _Recorder()
    queue.put(sink, 1.5, {})  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while queue.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sink.values == [1.5]


def _points(reader: InMemoryMetricReader, name: str) -> dict[Any, HistogramDataPoint]:
    metric = _collect(reader)[name]
    return {
        tuple(sorted(p.attributes.items())): p  # type: ignore[union-attr]
        for p in metric.data.data_points
    }


VALUES = [0.003, 0.2, 0.2, 7.5, 42.0, 0.0, 1.25]


def test_collection_sees_exactly_what_the_sdk_would_have_recorded() -> None:
    # Two readers, cells for the hexr histogram, the same values straight into the SDK
    # on a twin histogram: buckets, count, sum, min and max must be identical.
    readers = [InMemoryMetricReader(), InMemoryMetricReader()]
    provider = MeterProvider(metric_readers=readers)
    meter = provider.get_meter("hexr")
    inst = Instruments(meter)
    inst.queue = MeasurementQueue(interval_s=3600)  # no worker: only cells and collection
    deferred = DeferredHistogram(inst.genai_operation_duration._histogram, inst.queue)
    twin = meter.create_histogram("twin", unit="s")
    attrs = {"gen_ai.operation.name": "chat"}
    for value in VALUES:
        deferred.record(value, attrs)
        deferred.record(value * 2, {"gen_ai.operation.name": "chat", "error.type": "X"})
        twin.record(value, attrs)
    assert inst.queue.pending() == 0  # aggregated in cells, not queued
    for reader in readers:
        ours = _points(reader, "gen_ai.client.operation.duration")
        theirs = _points(reader, "twin")
        key = (("gen_ai.operation.name", "chat"),)
        for field in ("count", "sum", "min", "max", "bucket_counts", "explicit_bounds"):
            assert getattr(ours[key], field) == getattr(theirs[key], field), field
        assert ours[(("error.type", "X"), *key)].count == len(VALUES)
    # A second collection (cumulative) adds only what came since.
    deferred.record(0.5, attrs)
    assert _points(readers[0], "gen_ai.client.operation.duration")[key].count == len(VALUES) + 1
    provider.shutdown()


def test_an_unmergeable_histogram_falls_back_to_the_queue() -> None:
    # A view keeping only some attributes: the SDK aggregation's attributes differ from
    # the label set, so no cell merges into it; records take the queued SDK path.
    from opentelemetry.sdk.metrics.view import View

    reader = InMemoryMetricReader()
    provider = MeterProvider(
        metric_readers=[reader], views=[View(instrument_name="h", attribute_keys={"a"})]
    )
    meter = provider.get_meter("hexr")
    inst = Instruments(meter)
    inst.queue = MeasurementQueue(interval_s=3600)
    deferred = DeferredHistogram(meter.create_histogram("h"), inst.queue)
    for value in VALUES:
        deferred.record(value, {"a": "1", "b": "2"})
    assert inst.queue.pending() == len(VALUES) - 1  # the first went straight to the SDK
    (point,) = _points(reader, "h").values()
    assert point.count == len(VALUES)
    assert point.sum == sum(VALUES)
    provider.shutdown()


def test_deferred_histogram_uses_the_process_queue() -> None:
    sink = _Recorder()
    histogram = deferred_histogram(sink)  # type: ignore[arg-type]
    histogram.record(4.0, {"stage": "upstream"})
    instruments().queue.drain()
    assert sink.values == [4.0]


class _Flaky(_Recorder):
    def record(self, amount: float, attributes: Any = None, context: Any = None) -> None:
        if amount < 0:
            raise ValueError("this histogram refuses negative values")
        super().record(amount, attributes, context)


def test_a_raising_record_costs_only_itself() -> None:
    # One bad record must neither stop the drain nor kill the aggregation worker: the
    # queue would then only empty at collections and drop everything in between.
    queue = MeasurementQueue(interval_s=0.01)
    sink = _Flaky()
    queue.put(sink, 1.0, {})  # type: ignore[arg-type]
    queue.put(sink, -1.0, {})  # type: ignore[arg-type]
    queue.put(sink, 2.0, {})  # type: ignore[arg-type]
    assert queue.drain() == 3
    assert sink.values == [1.0, 2.0]
    queue.put(sink, -1.0, {})  # type: ignore[arg-type]
    deadline = time.monotonic() + 5
    while queue.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    queue.put(sink, 3.0, {})  # type: ignore[arg-type]
    while queue.pending() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sink.values == [1.0, 2.0, 3.0]


def test_lock_free_ticks_fold_into_the_total_across_reads() -> None:
    cell = _instruments.Cell({"a": "1"})
    for _ in range(5):
        cell.inc()
    cell.dec()
    cell.add(0.5)
    assert cell.total() == 4.5
    assert cell.total() == 4.5  # a read does not count itself
    cell.inc()
    assert cell.total() == 5.5


def test_a_forked_child_starts_its_own_aggregation_worker() -> None:
    import multiprocessing

    queue = MeasurementQueue(interval_s=0.01)
    queue.put(_Recorder(), 1.0, {})  # type: ignore[arg-type]  # starts the parent's worker

    def child(out: Any) -> None:
        sink = _Recorder()
        queue.put(sink, 2.0, {})  # type: ignore[arg-type]
        deadline = time.monotonic() + 5
        while queue.pending() and time.monotonic() < deadline:
            time.sleep(0.01)
        out.put(sink.values)

    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(target=child, args=(out,))
    proc.start()
    assert out.get(timeout=10) == [2.0]
    proc.join(10)


def test_identity_sampler_keeps_parent_based_decisions() -> None:
    # hexr's default sampler: ParentBased(ALWAYS_ON) decisions plus the identity.
    from opentelemetry import trace
    from opentelemetry.sdk.trace.sampling import ALWAYS_ON, Decision, ParentBased
    from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags, TraceState

    from hexr.telemetry._setup import _IdentityParentBased

    ours = _IdentityParentBased(ParentBased(ALWAYS_ON), {"hexr.spiffe_id": "s", "tenant": "t"})
    sdk = ParentBased(ALWAYS_ON)
    state = TraceState([("k", "v")])
    parents = [None] + [
        trace.set_span_in_context(NonRecordingSpan(SpanContext(1, 2, remote, flags, state)))
        for remote in (True, False)
        for flags in (TraceFlags(TraceFlags.SAMPLED), TraceFlags(TraceFlags.DEFAULT))
    ]
    for parent in parents:
        got = ours.should_sample(parent, 7, "s", attributes={"tenant": "own"})
        want = sdk.should_sample(parent, 7, "s", attributes={"tenant": "own"})
        assert got.decision is want.decision
        assert got.trace_state == want.trace_state
        if got.decision is Decision.RECORD_AND_SAMPLE:
            # The identity is added where missing; a span's own value wins.
            assert dict(got.attributes) == {"hexr.spiffe_id": "s", "tenant": "own"}
