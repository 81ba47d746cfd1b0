"""One benchmark process: instrument (or not) an OpenAI client, time calls, print JSON.

Run as ``python _overhead_worker.py MODE BASE_URL N_LLM N_DECORATED``; MODE is
``baseline``, ``hexr``, ``traceloop`` or ``openlit``; BASE_URL ``mock`` uses an in-process
canned HTTP transport instead of the server. Each tool is set up the way its docs
describe, with every span going to the same discarding exporter behind a batch processor,
so the numbers compare instrumentation work, not export transports. Each mode runs in its
own process because the peers patch the ``openai`` module globally.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable, Sequence
from typing import Any

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

MESSAGES = [{"role": "user", "content": "benchmark prompt with a few words"}]


class CountingNullExporter(SpanExporter):
    """Discards spans, counting them (proves the instrumentation was active)."""

    def __init__(self) -> None:
        self.count = 0
        self.names: set[str] = set()

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        self.count += len(spans)
        self.names.update(s.name for s in spans)
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        return None


def _plain(x: int) -> int:
    return x + 1


_CANNED = json.dumps(
    {
        "id": "chatcmpl-bench",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "fake-gpt",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": "Hello from hexr-fakellm."},
                "finish_reason": "stop",
            }
        ],
        "usage": {"prompt_tokens": 6, "completion_tokens": 3, "total_tokens": 9},
    }
).encode()


def _make_client(base_url: str) -> Any:
    """An OpenAI client on the fake server, or on an in-process canned transport."""
    import openai

    if base_url != "mock":
        return openai.OpenAI(base_url=base_url, api_key="sk-bench", max_retries=0)
    # The in-process transport removes server and socket noise, leaving client-side cost.
    import httpx

    def handle(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            200, content=_CANNED, headers={"content-type": "application/json"}
        )

    http_client = httpx.Client(transport=httpx.MockTransport(handle))
    return openai.OpenAI(
        base_url="http://bench.invalid/v1", api_key="sk-bench", max_retries=0,
        http_client=http_client,
    )


def setup_mode(mode: str, exporter: CountingNullExporter) -> tuple[Any, Callable[[int], int]]:
    """Instrument per ``mode``; return (OpenAI client, decorated trivial function)."""
    base_url = sys.argv[2]
    if mode == "baseline":
        return _make_client(base_url), _plain
    if mode == "hexr":
        from hexr import hexr_agent, hexr_llm
        from hexr.telemetry import TelemetrySettings, setup

        setup(
            TelemetrySettings(
                agent_name="bench",
                tenant="bench",
                spiffe_id="spiffe://hexr.local/agent/bench/bench/main",
                span_exporter_factory=lambda _: exporter,
            )
        )
        client = hexr_llm(_make_client(base_url))
        return client, hexr_agent(name="bench", tenant="bench")(_plain)
    if mode == "traceloop":
        from opentelemetry.sdk.metrics.export import MetricExporter, MetricExportResult
        from traceloop.sdk import Traceloop
        from traceloop.sdk.decorators import workflow

        class NullMetricExporter(MetricExporter):
            def __init__(self) -> None:
                super().__init__(preferred_temporality={}, preferred_aggregation={})

            def export(self, metrics_data: Any, timeout_millis: float = 10_000, **kw: Any) -> Any:
                return MetricExportResult.SUCCESS

            def force_flush(self, timeout_millis: float = 10_000) -> bool:
                return True

            def shutdown(self, timeout_millis: float = 30_000, **kw: Any) -> None:
                return None

        # Metrics on (like hexr's), into a discarding exporter; content capture off.
        Traceloop.init(
            app_name="bench",
            exporter=exporter,
            metrics_exporter=NullMetricExporter(),
            telemetry_enabled=False,
            disable_batch=False,
        )
        return _make_client(base_url), workflow(name="bench")(_plain)
    if mode == "openlit":
        import openlit
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        provider = TracerProvider()
        provider.add_span_processor(BatchSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        # openlit reuses configured providers; metrics stay in memory like hexr's.
        metrics.set_meter_provider(MeterProvider(metric_readers=[InMemoryMetricReader()]))
        # Only the OpenAI instrumentation, no console event logger: the same work as hexr.
        openlit.init(
            application_name="bench",
            capture_message_content=False,
            disable_events=True,
            disabled_instrumentors=["httpx", "requests", "urllib3", "urllib", "aiohttp"],
        )
        return _make_client(base_url), openlit.trace(_plain)
    raise SystemExit(f"unknown mode {mode}")


def _percentiles(samples: list[int]) -> dict[str, float]:
    ordered = sorted(samples)
    n = len(ordered)
    return {
        "p50_us": ordered[n // 2] / 1000,
        "p99_us": ordered[min(n - 1, int(n * 0.99))] / 1000,
        "mean_us": sum(ordered) / n / 1000,
    }


def main() -> None:
    """Time N LLM calls and N decorated calls; print one JSON line."""
    mode, n_llm, n_deco = sys.argv[1], int(sys.argv[3]), int(sys.argv[4])
    exporter = CountingNullExporter()
    client, decorated = setup_mode(mode, exporter)
    create = client.chat.completions.create
    for _ in range(max(20, n_llm // 10)):
        create(model="fake-gpt", messages=MESSAGES)
    llm: list[int] = []
    clock = time.perf_counter_ns
    for _ in range(n_llm):
        start = clock()
        create(model="fake-gpt", messages=MESSAGES)
        llm.append(clock() - start)
    for i in range(1000):
        decorated(i)
    deco: list[int] = []
    for i in range(n_deco):
        start = clock()
        decorated(i)
        deco.append(clock() - start)
    from opentelemetry import trace

    flush = getattr(trace.get_tracer_provider(), "force_flush", None)
    if flush is not None:
        flush()
    print(
        json.dumps(
            {
                "mode": mode,
                "pid": os.getpid(),
                "llm": _percentiles(llm),
                "decorated": _percentiles(deco),
                "spans": exporter.count,
                "span_names": sorted(exporter.names),
            }
        )
    )


if __name__ == "__main__":
    main()
