"""Benchmark: the trace pipeline (SDK → rotel → Phoenix), on demand.

Run: ``HEXR_PHOENIX_VENV=... .venv/bin/pytest tests/benchmarks/test_traces_bench.py -s
-p no:cacheprovider`` (needs ``hexr traces install``).

Prints p50/p99 of the delay from a span's end to the moment ``GET /v1/projects/default/
spans?trace_id=`` returns it, through the collector and, as the peer, exported straight to
Phoenix — both with the SDK's batch processor (1 s schedule, the default) and with
immediate export (the pipeline alone). And the agent-side cost per span of the collector
path against the same batch processor with an exporter that discards (subprocesses,
20 000 spans each, 3 rounds). Nothing is asserted about time.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.grpc.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

from hexr_traces.platform import trace_store_spec
from tests.fixtures.platform import ComponentHandle

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(900)]

ROUNDS = 10
REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def phoenix(tmp_path_factory: pytest.TempPathFactory) -> Any:
    handle = ComponentHandle(trace_store_spec(), tmp_path_factory.mktemp("phoenix"), {})
    handle.start()
    try:
        yield handle
    finally:
        handle.stop()


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _delays(url: str, endpoint: str, make: Callable[[OTLPSpanExporter], SpanProcessor]
            ) -> list[float]:
    provider = TracerProvider()
    provider.add_span_processor(make(OTLPSpanExporter(endpoint=endpoint, insecure=True)))
    tracer = provider.get_tracer("bench")
    delays = []
    with httpx.Client(base_url=url, timeout=5) as client:
        for _ in range(ROUNDS):
            with tracer.start_as_current_span("hexr.bench.e2e") as span:
                trace_id = format(span.get_span_context().trace_id, "032x")
            ended = time.perf_counter()
            while True:
                got = client.get("/v1/projects/default/spans", params={"trace_id": trace_id})
                if got.status_code == 200 and got.json()["data"]:
                    break
                time.sleep(0.01)
            delays.append(time.perf_counter() - ended)
    provider.shutdown()
    return delays


def test_span_end_to_queryable_delay(phoenix: Any, collector_factory: Any) -> None:
    grpc = phoenix.ctx.ports["grpc"]
    url = f"http://127.0.0.1:{phoenix.ctx.ports['http']}"
    collector = collector_factory(["--exporter", "otlp", "--otlp-exporter-endpoint",
                                   f"http://127.0.0.1:{grpc}", "--otlp-exporter-protocol",
                                   "grpc"])
    paths = {"collector": collector.otlp_grpc_endpoint, "direct": f"http://127.0.0.1:{grpc}"}
    processors: dict[str, Callable[[OTLPSpanExporter], SpanProcessor]] = {
        # The Hexr SDK's schedule (TelemetrySettings.schedule_delay_ms); OTel's default is 5 s.
        "batch (1 s)": lambda e: BatchSpanProcessor(e, schedule_delay_millis=1000),
        "immediate": SimpleSpanProcessor,
    }
    _delays(url, paths["direct"], SimpleSpanProcessor)  # warm up (project creation)
    print()
    results: dict[tuple[str, str], list[float]] = {}
    for pname, make in processors.items():
        for path, endpoint in paths.items():
            results[pname, path] = d = _delays(url, endpoint, make)
            print(f"span end -> queryable, {pname:11} via {path:9}: p50 {_pct(d, .5)*1000:7.1f}"
                  f" ms  p99 {_pct(d, .99)*1000:7.1f} ms")
    for pname in processors:
        ratio = statistics.median(results[pname, "collector"]) / statistics.median(
            results[pname, "direct"])
        print(f"collector / direct ({pname}): {ratio:.2f}x")


def _worker(mode: str, *args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "tests.benchmarks._trace_path_worker", mode, "20000", *args],
        capture_output=True, text=True, timeout=300, cwd=REPO, check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def test_collector_path_cost_per_span(phoenix: Any, collector_factory: Any) -> None:
    grpc = phoenix.ctx.ports["grpc"]
    collector = collector_factory(["--exporter", "otlp", "--otlp-exporter-endpoint",
                                   f"http://127.0.0.1:{grpc}", "--otlp-exporter-protocol",
                                   "grpc"])
    otlp, discard = [], []
    for _ in range(3):
        otlp.append(_worker("otlp", collector.otlp_grpc_endpoint))
        discard.append(_worker("discard"))
    o = statistics.median(r["us_per_span"] for r in otlp)
    d = statistics.median(r["us_per_span"] for r in discard)
    flush_o = statistics.median(r["flush_s"] for r in otlp) * 1000
    flush_d = statistics.median(r["flush_s"] for r in discard) * 1000
    dropped = max(r["dropped"] for r in otlp)
    print(f"\nagent thread per span: collector path {o:.1f} µs, discarding exporter {d:.1f} µs,"
          f" ratio {o / d:.2f}x; flush at exit {flush_o:.0f} ms vs {flush_d:.0f} ms;"
          f" dropped {dropped}")
