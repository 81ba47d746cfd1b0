"""A tiny Hexr process for the observability tests, configured only by its environment.

OpenTelemetry providers are process-global and set once, so each configuration under
test runs in a fresh process: ``python -m tests.integration.observability.probe MODE``.

Modes: ``spans`` (emit one span, flush, exit), ``serve`` (record metrics, serve
``/metrics``, print its URL, run until stdin closes), ``agent`` (an ``@hexr_agent`` that
logs a line and prints the ids of its span).
"""

from __future__ import annotations

import sys

from hexr.telemetry import get_meter, get_tracer, setup
from hexr.telemetry._cost import CostRecorder


def _agent() -> int:
    """An @hexr_agent that logs through stdlib logging and prints its span's ids."""
    import json
    import logging

    from opentelemetry import trace

    from hexr import hexr_agent

    @hexr_agent(name="probe", tenant="acme")
    def work(task: str) -> None:
        context = trace.get_current_span().get_span_context()
        logging.getLogger("probe.app").info("working on %s", task)
        print(json.dumps({"trace_id": format(context.trace_id, "032x"),
                          "span_id": format(context.span_id, "016x")}), flush=True)

    work("report")
    return 0


def main(mode: str) -> int:
    """Run one probe mode; the exit code is 0 on success."""
    if mode == "agent":
        return _agent()
    handle = setup(agent_name="probe", tenant="acme", resolve_spiffe_id=False)
    tracer = get_tracer()
    if mode == "spans":
        with tracer.start_as_current_span("probe.work") as span:
            span.set_attribute("probe.answer", 42)
        handle.force_flush(5)
        return 0
    if mode == "serve":
        meter = get_meter()
        meter.create_counter("hexr.probe.events", unit="{event}").add(3, {"tenant": "acme"})
        meter.create_histogram("hexr.probe.duration", unit="s").record(0.2, {"tenant": "acme"})
        CostRecorder().record(None, model="gpt-4o-mini", input_tokens=1000, output_tokens=100,
                              attributes={"tenant": "acme", "agent_name": "probe"})
        server = handle.metrics_server
        if server is None:
            print("no metrics server", file=sys.stderr)
            return 2
        print(server.url, flush=True)
        sys.stdin.read()
        return 0
    print(f"unknown mode {mode}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
