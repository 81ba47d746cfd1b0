"""Benchmark: what the observability features cost per event (on demand).

Run: ``.venv/bin/pytest tests/benchmarks/test_observability_overhead.py -s -p no:cacheprovider``

Prints p50/p99 (µs) of each case and its ratio to a peer measured in the same run:
- LLM call bookkeeping: pricing a call and recording it (`CostRecorder.record`) and one
  stage (`StageRecorder.record`: span event + histogram), against the peer "one OTel
  counter add" (the cheapest thing an instrumented call already does several times);
- a log line through Hexr's pipeline (standard fields, trace ids, redaction, JSON), against
  the peer structlog's own stdlib-bridged JSON pipeline without Hexr's processors;
- a ``/metrics`` scrape with basic-auth protection, against the same endpoint unprotected.
Nothing is asserted about time.
"""

from __future__ import annotations

import io
import logging
import statistics
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, make_server

import httpx
import pytest
import structlog
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from prometheus_client import CollectorRegistry, Counter, make_wsgi_app
from prometheus_client.exposition import ThreadingWSGIServer

from hexr.config import ObservabilityConfig
from hexr.logs import configure_logging
from hexr.telemetry._cost import CostRecorder, PriceTable
from hexr.telemetry._metrics_auth import MetricsGuard, wsgi_middleware
from hexr.telemetry._stages import StageRecorder

pytestmark = pytest.mark.benchmark

N_FAST = 20_000
N_LOG = 5_000
N_SCRAPE = 300


def _time(fn: Callable[[], Any], n: int) -> list[int]:
    samples = []
    for _ in range(n):
        started = time.perf_counter_ns()
        fn()
        samples.append(time.perf_counter_ns() - started)
    return samples


def _p(samples: list[int]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) / 1e3, ordered[int(len(ordered) * 0.99) - 1] / 1e3


def _report(title: str, peer: str, results: dict[str, list[int]]) -> None:
    peer_p50, peer_p99 = _p(results[peer])
    print(f"\n{title}")
    print(f"{'case':<52} {'n':>6} {'p50 µs':>9} {'p99 µs':>9} {'p50/peer':>9} {'p99/peer':>9}")
    for name, samples in results.items():
        p50, p99 = _p(samples)
        print(f"{name:<52} {len(samples):>6} {p50:>9.2f} {p99:>9.2f} "
              f"{p50 / peer_p50:>8.2f}x {p99 / peer_p99:>8.2f}x")


def test_llm_call_bookkeeping() -> None:
    meter = MeterProvider(metric_readers=[InMemoryMetricReader()]).get_meter("bench")
    tracer = TracerProvider().get_tracer("bench")
    cost = CostRecorder(PriceTable.load(), meter)
    stages = StageRecorder(meter)
    counter = meter.create_counter("bench.calls")
    labels = {"tenant": "acme", "agent_name": "bench", "gen_ai.request.model": "gpt-4o-mini"}
    span = tracer.start_span("hexr.llm.chat")
    results = {
        "peer: one OTel counter add": _time(lambda: counter.add(1, labels), N_FAST),
        "cost: price + span attribute + counter": _time(
            lambda: cost.record(span, model="gpt-4o-mini-2024-07-18", input_tokens=812,
                                output_tokens=230, cached_input_tokens=128,
                                attributes=labels),
            N_FAST,
        ),
        "cost: unknown model (unpriced counter)": _time(
            lambda: cost.record(span, model="mystery", input_tokens=1, output_tokens=1,
                                attributes=labels),
            N_FAST,
        ),
        "stage: span event + histogram": _time(
            lambda: stages.record(span, "llm", "upstream", 0.123), N_FAST
        ),
    }
    span.end()
    _report("LLM call bookkeeping (per call / per stage)", "peer: one OTel counter add", results)


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)
    structlog.reset_defaults()


def _plain_structlog(stream: io.StringIO) -> None:
    shared: list[Any] = [
        structlog.stdlib.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    handler = logging.StreamHandler(stream)
    handler.setFormatter(structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                    structlog.processors.JSONRenderer()],
    ))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)
    structlog.configure(
        processors=[structlog.stdlib.filter_by_level, *shared,
                    structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
    )


def test_log_line(restore_logging: None) -> None:
    tracer = TracerProvider().get_tracer("bench")
    results: dict[str, list[int]] = {}
    fields = {"tool": "aws_s3", "region": "eu-west-1", "cache_tier": "L2", "input_tokens": 812}

    stream = io.StringIO()
    _plain_structlog(stream)
    peer_log = structlog.stdlib.get_logger("bench")
    with tracer.start_as_current_span("op"):
        results["peer: structlog JSON (no Hexr processors)"] = _time(
            lambda: peer_log.info("credential fetched", **fields), N_LOG
        )

    stream = io.StringIO()
    configure_logging("agent", ObservabilityConfig(), tenant="acme", agent="bench",
                      stream=stream)
    log = structlog.stdlib.get_logger("bench")
    stdlib = logging.getLogger("bench.stdlib")
    with tracer.start_as_current_span("op"):
        results["hexr: structlog line (fields, trace ids, redaction)"] = _time(
            lambda: log.info("credential fetched", **fields), N_LOG
        )
        results["hexr: stdlib logging line through the bridge"] = _time(
            lambda: stdlib.info("credential fetched for %s", "aws_s3"), N_LOG
        )
        results["hexr: line with a secret-shaped value (redacted)"] = _time(
            lambda: log.info("auth", header="Bearer abcdefghijklmnopqrstuvwxyz012345"), N_LOG
        )
    _report("One log line", "peer: structlog JSON (no Hexr processors)", results)


class _Quiet(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return


def _serve(app: Any) -> tuple[str, Callable[[], None]]:
    server = make_server("127.0.0.1", 0, app, ThreadingWSGIServer, handler_class=_Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()

    def stop() -> None:
        server.shutdown()
        server.server_close()
        thread.join(5)

    return f"http://127.0.0.1:{server.server_address[1]}/metrics", stop


def test_metrics_scrape() -> None:
    registry = CollectorRegistry()
    counter = Counter("bench_events", "events", ["tenant"], registry=registry)
    for tenant in range(50):
        counter.labels(str(tenant)).inc()
    guard = MetricsGuard(basic_auth=("prometheus", "a-long-scrape-password"))
    open_url, stop_open = _serve(make_wsgi_app(registry))
    protected_url, stop_protected = _serve(wsgi_middleware(guard)(make_wsgi_app(registry)))
    try:
        with httpx.Client() as client:
            auth = ("prometheus", "a-long-scrape-password")
            results = {
                "peer: unprotected scrape": _time(lambda: client.get(open_url), N_SCRAPE),
                "protected scrape (basic auth ok)": _time(
                    lambda: client.get(protected_url, auth=auth), N_SCRAPE
                ),
                "protected scrape refused (401)": _time(
                    lambda: client.get(protected_url), N_SCRAPE
                ),
            }
    finally:
        stop_open()
        stop_protected()
    _report("/metrics scrape over loopback", "peer: unprotected scrape", results)
