"""docs/reference/ is generated from the code and must not drift from it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from opentelemetry.exporter.prometheus import PrometheusMetricReader
from opentelemetry.sdk.metrics import MeterProvider
from prometheus_client import CollectorRegistry, generate_latest

from hexr.telemetry.names import prometheus_name

ROOT = Path(__file__).resolve().parents[2]


def _generator() -> ModuleType:
    path = ROOT / "scripts" / "gen_reference.py"
    spec = importlib.util.spec_from_file_location("gen_reference", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while building
    spec.loader.exec_module(module)
    return module


def test_reference_pages_match_the_code() -> None:
    # On failure: python scripts/gen_reference.py, and commit the pages.
    assert _generator().main(["--check"]) == 0


def test_the_check_sees_drift(tmp_path: Path) -> None:
    gen = _generator()
    assert gen.main(["--check"], out=tmp_path) == 1  # no pages at all
    assert gen.main([], out=tmp_path) == 0
    assert gen.main(["--check"], out=tmp_path) == 0
    page = tmp_path / "environment.md"
    page.write_text(page.read_text().replace("HEXR_VAULT_ADDR", "HEXR_VAULT_URL"))
    assert gen.main(["--check"], out=tmp_path) == 1


@pytest.mark.parametrize(
    ("kind", "unit"),
    [("counter", "usd"), ("counter", "{call}"), ("counter", ""), ("histogram", "s"),
     ("up_down_counter", "{session}")],
)
def test_prometheus_names_are_what_the_exporter_exposes(kind: str, unit: str) -> None:
    registry = CollectorRegistry()
    reader = PrometheusMetricReader(registry=registry)
    provider = MeterProvider(metric_readers=[reader])
    try:
        meter = provider.get_meter("t")
        instrument = getattr(meter, f"create_{kind}")("hexr.probe.value", unit=unit)
        if kind == "histogram":
            instrument.record(1.0)
        else:
            instrument.add(1)
        exposed = generate_latest(registry).decode()
    finally:
        provider.shutdown()
    expected = prometheus_name("hexr.probe.value", unit, counter=kind == "counter")
    suffix = "_count" if kind == "histogram" else ""
    assert f"\n{expected}{suffix} " in exposed or f"\n{expected}{suffix}{{" in exposed, exposed
