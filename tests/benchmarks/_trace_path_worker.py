"""Worker of test_traces_bench: one process, one telemetry pipeline, N spans.

argv: ``MODE N [ENDPOINT]`` with MODE ``otlp`` (the SDK's batch exporter to the
collector at ENDPOINT) or ``discard`` (the same batch processor, an exporter that drops
every batch). Prints JSON: µs per span in the agent thread, and the flush time.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Sequence

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from hexr.telemetry import TelemetrySettings, get_tracer, setup


class _Discard(SpanExporter):
    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        return SpanExportResult.SUCCESS


def main() -> None:
    """Emit N spans (in batches of 100 with a pause, as a busy agent does) and time it."""
    mode, count = sys.argv[1], int(sys.argv[2])
    factory = (lambda _s: _Discard()) if mode == "discard" else None
    settings = TelemetrySettings(
        service_name="bench", tenant="acme", agent_name="bench", resolve_spiffe_id=False,
        otlp_endpoint=sys.argv[3] if mode == "otlp" else None, span_exporter_factory=factory,
        prometheus=False, max_queue_size=count,
    )
    handle = setup(settings)
    tracer = get_tracer()
    spent = 0.0
    for _ in range(count // 100):
        started = time.perf_counter()
        for _ in range(100):
            with tracer.start_as_current_span("hexr.bench.work") as span:
                span.set_attribute("agent_name", "bench")
        spent += time.perf_counter() - started
        time.sleep(0.002)  # the agent's own work: the exporter thread runs meanwhile
    flush_started = time.perf_counter()
    handle.force_flush(30)
    flush = time.perf_counter() - flush_started
    print(json.dumps({"us_per_span": spent / count * 1e6, "flush_s": flush,
                      "dropped": handle.dropped_spans}))


if __name__ == "__main__":
    main()
