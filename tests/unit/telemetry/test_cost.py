from decimal import Decimal
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from hexr import ConfigError
from hexr.telemetry import _names as n
from hexr.telemetry._cost import CostRecorder, PriceTable


@pytest.fixture(scope="module")
def table() -> PriceTable:
    return PriceTable.load()


def test_shipped_table_loads_as_package_data(table: PriceTable) -> None:
    assert len(table) >= 20
    price = table.lookup("gpt-4o-mini")
    assert price is not None
    assert price.input == Decimal("0.15") / 1_000_000
    assert price.output == Decimal("0.60") / 1_000_000
    assert price.cached_input == Decimal("0.075") / 1_000_000


def test_cost_uses_input_output_and_cached_prices(table: PriceTable) -> None:
    # gpt-4o: 2.50 in, 10.00 out, 1.25 cached per 1M tokens.
    cost = table.cost("gpt-4o", input_tokens=1000, output_tokens=500, cached_input_tokens=200)
    assert cost == Decimal("800") * Decimal("2.50") / 10**6 + Decimal("200") * Decimal(
        "1.25"
    ) / 10**6 + Decimal("500") * Decimal("10.00") / 10**6
    assert cost == Decimal("0.00725")


def test_missing_cached_price_bills_cached_tokens_as_input(table: PriceTable) -> None:
    assert table.cost("gpt-4-turbo", 100, 0, cached_input_tokens=100) == table.cost(
        "gpt-4-turbo", 100, 0
    )


@pytest.mark.parametrize(
    "model",
    ["gpt-4o-2024-08-06", "GPT-4o", "openai/gpt-4o", "gpt-4o-latest", "gpt-4o-20240806"],
)
def test_snapshots_and_prefixes_resolve(table: PriceTable, model: str) -> None:
    assert table.lookup(model) == table.lookup("gpt-4o")


@pytest.mark.parametrize("model", ["gpt-4o-turbo-x", "gpt-5-hypothetical", "", "llama-3"])
def test_unknown_models_are_not_guessed(table: PriceTable, model: str) -> None:
    assert table.lookup(model) is None
    assert table.cost(model, 10, 10) is None


@pytest.mark.parametrize(
    "bogus", ["12", None, float("nan"), float("inf"), float("-inf"), True, [3]]
)
def test_bogus_token_counts_count_as_zero_or_the_cap(table: PriceTable, bogus: object) -> None:
    cost = table.cost("gpt-4o", bogus, 0)  # type: ignore[arg-type]
    assert cost in (Decimal(0), table.cost("gpt-4o", 10**9, 0))


def test_token_counts_are_bounded(table: PriceTable) -> None:
    assert table.cost("gpt-4o", -5, -5) == 0
    assert table.cost("gpt-4o", 10**15, 0) == table.cost("gpt-4o", 10**9, 0)
    # Cached tokens cannot exceed the input tokens they are part of.
    assert table.cost("gpt-4o", 10, 0, cached_input_tokens=50) == table.cost(
        "gpt-4o", 10, 0, cached_input_tokens=10
    )


def test_user_file_overrides_and_extends(tmp_path: Path) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(
        "currency: USD\nper_tokens: 1000\nmodels:\n"
        "  gpt-4o: {input: 1, output: 2}\n"
        "  my-local-model: {input: 0.5, output: 0.5, cached_input: 0}\n"
    )
    table = PriceTable.load(path)
    assert table.cost("gpt-4o", 1000, 1000) == Decimal(3)
    assert table.cost("my-local-model", 2000, 0, cached_input_tokens=1000) == Decimal("0.5")
    assert table.lookup("claude-3-5-haiku") is not None  # shipped entries remain


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("models: [1]", "needs a 'models' mapping"),
        ("currency: EUR\nmodels: {m: {input: 1, output: 1}}", "only USD"),
        ("per_tokens: 0\nmodels: {m: {input: 1, output: 1}}", "per_tokens"),
        ("models: {m: {input: 1}}", r"models\.m: needs 'input' and 'output'"),
        ("models: {m: {input: -1, output: 1}}", r"models\.m\.input: must be a finite"),
        ("models: {m: {input: .nan, output: 1}}", r"models\.m\.input: must be a finite"),
        ("models: {m: {input: cheap, output: 1}}", r"models\.m\.input: must be a number"),
        ("models: {m: {input: 1, output: 1, extra: 2}}", "unknown field 'extra'"),
        ("models: {m: {input: [", "not valid YAML"),
    ],
)
def test_bad_price_files_name_the_problem(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "prices.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=fragment):
        PriceTable.load(path)


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        PriceTable.load(tmp_path / "absent.yaml")
    big = tmp_path / "big.yaml"
    big.write_text("#" * ((1 << 20) + 1))
    with pytest.raises(ConfigError, match="larger than"):
        PriceTable.load(big)


def _sums(reader: InMemoryMetricReader) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    data = reader.get_metrics_data()
    out: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    assert data is not None
    for rm in data.resource_metrics:
        for sm in rm.scope_metrics:
            for metric in sm.metrics:
                for point in metric.data.data_points:
                    key = tuple(sorted((k, str(v)) for k, v in (point.attributes or {}).items()))
                    out[(metric.name, key)] = point.value  # type: ignore[union-attr]
    return out


def test_recorder_sets_span_attribute_and_counts_by_tenant_agent_model(
    table: PriceTable,
) -> None:
    reader = InMemoryMetricReader()
    recorder = CostRecorder(table, MeterProvider(metric_readers=[reader]).get_meter("t"))
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = tracer_provider.get_tracer("t")

    with tracer.start_as_current_span("call") as span:
        cost = recorder.record(
            span, model="gpt-4o-mini", input_tokens=2000, output_tokens=1000,
            attributes={"tenant": "acme", "agent": "billing", "model": "gpt-4o-mini"},
        )
    with tracer.start_as_current_span("call2") as span:
        recorder.record(
            span, model="gpt-4o-mini", input_tokens=2000, output_tokens=1000,
            attributes={"tenant": "acme", "agent": "billing", "model": "gpt-4o-mini"},
        )
    with tracer.start_as_current_span("unknown") as span:
        mystery = {"tenant": "acme", "agent": "billing", "model": "mystery-1"}
        assert recorder.record(span, model="mystery-1", input_tokens=5, output_tokens=5,
                               attributes=mystery) is None

    assert cost == Decimal("0.0009")
    spans = {s.name: s for s in exporter.get_finished_spans()}
    assert spans["call"].attributes is not None
    assert spans["call"].attributes[n.ATTR_LLM_COST_USD] == pytest.approx(0.0009)
    assert spans["unknown"].attributes is not None
    assert spans["unknown"].attributes[n.ATTR_LLM_UNPRICED] is True
    assert n.ATTR_LLM_COST_USD not in spans["unknown"].attributes

    sums = _sums(reader)
    labels = (("agent", "billing"), ("model", "gpt-4o-mini"), ("tenant", "acme"))
    assert sums[(n.METRIC_LLM_COST, labels)] == pytest.approx(0.0018)
    unpriced = (("agent", "billing"), ("model", "mystery-1"), ("tenant", "acme"))
    assert sums[(n.METRIC_LLM_UNPRICED_CALLS, unpriced)] == 1
    assert (n.METRIC_LLM_COST, unpriced) not in sums


def test_recorder_without_span_still_counts(table: PriceTable) -> None:
    reader = InMemoryMetricReader()
    recorder = CostRecorder(table, MeterProvider(metric_readers=[reader]).get_meter("t"))
    assert recorder.record(None, model="o3", input_tokens=1_000_000, output_tokens=0) == 2
    assert sum(v for (name, _), v in _sums(reader).items() if name == n.METRIC_LLM_COST) == 2.0
