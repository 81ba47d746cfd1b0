"""hexr.telemetry.setup: providers, reuse, sampling, drops, /metrics, disabled mode.

OpenTelemetry providers are process-global and set once, so each scenario that needs a
fresh process runs a short script in a subprocess and reports what it saw as JSON.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from opentelemetry.sdk.trace import ReadableSpan

from hexr.telemetry import TelemetrySettings, get_tracer
from tests.fixtures.otel import OtelCapture

ROOT = Path(__file__).resolve().parents[3]


def _env(**extra: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OTEL_", "HEXR_", "SPIFFE_"))
    }
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT / "sdk"), str(ROOT)])
    # A home without a published platform, so nothing on the machine leaks in.
    env["HEXR_HOME"] = str(ROOT / ".pytest_cache" / "no-platform")
    env.update(extra)
    return env


def run_script(code: str, timeout: float = 30.0, **env: str) -> dict[str, Any]:
    """Run ``code`` in a fresh interpreter; its last stdout line is JSON."""
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(**env),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_identity_on_every_span(otel: OtelCapture) -> None:
    with get_tracer().start_as_current_span("foreign"):
        pass
    (span,) = otel.spans("foreign")
    assert span.attributes is not None
    # Every span in the process carries the caller's SPIFFE ID and tenant.
    assert span.attributes["hexr.spiffe_id"] == otel.handle.spiffe_id
    assert span.attributes["tenant"] == otel.handle.settings.tenant


def test_resource_attributes() -> None:
    out = run_script(
        """
        import json
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from hexr.telemetry import TelemetrySettings, setup
        exporter = InMemorySpanExporter()
        setup(TelemetrySettings(service_name="svc", agent_name="a", tenant="t", role="worker",
              spiffe_id="spiffe://hexr.local/agent/t/a/worker",
              span_exporter_factory=lambda s: exporter, batch=False))
        from hexr import hexr_agent

        @hexr_agent(name="a", tenant="t", role="worker")
        def work():
            return 1

        work()
        (span,) = exporter.get_finished_spans()
        print(json.dumps({k: span.resource.attributes.get(k) for k in
              ("service.name", "agent_name", "tenant", "hexr.role", "hexr.spiffe_id")}))
        """,
        OTEL_RESOURCE_ATTRIBUTES="deployment.environment=test,tenant=spoofed",
    )
    assert out == {
        "service.name": "svc",
        "agent_name": "a",
        "tenant": "t",  # Hexr's own attributes win over OTEL_RESOURCE_ATTRIBUTES
        "hexr.role": "worker",
        "hexr.spiffe_id": "spiffe://hexr.local/agent/t/a/worker",
    }


def test_identity_is_stamped_on_a_reused_app_provider() -> None:
    out = run_script(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        from hexr.telemetry import TelemetrySettings, get_tracer, setup
        setup(TelemetrySettings(tenant="t", spiffe_id="spiffe://hexr.local/agent/t/a/main"))
        with get_tracer().start_as_current_span("tool"):
            pass
        (span,) = exporter.get_finished_spans()
        print(json.dumps(dict(span.attributes)))
        """
    )
    assert out == {"hexr.spiffe_id": "spiffe://hexr.local/agent/t/a/main", "tenant": "t"}


def test_explicit_tenant_on_a_span_is_kept(otel: OtelCapture) -> None:
    with get_tracer().start_as_current_span("other", attributes={"tenant": "globex"}):
        pass
    span: ReadableSpan = otel.spans("other")[0]
    assert span.attributes is not None
    assert span.attributes["tenant"] == "globex"


def test_setup_is_idempotent_and_thread_safe() -> None:
    out = run_script(
        """
        import json, threading
        from hexr.telemetry import setup
        handles = []
        threads = [threading.Thread(target=lambda: handles.append(setup(agent_name="a",
                   tenant="t", traces_exporter="none"))) for _ in range(8)]
        [t.start() for t in threads]; [t.join() for t in threads]
        print(json.dumps({"distinct": len({id(h) for h in handles}),
                          "again": setup() is handles[0],
                          "owns": handles[0].owns_tracer_provider}))
        """
    )
    assert out == {"distinct": 1, "again": True, "owns": True}


def test_reuses_the_application_providers() -> None:
    out = run_script(
        """
        import json
        from opentelemetry import trace
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        app_exporter = InMemorySpanExporter()
        app_provider = TracerProvider()
        app_provider.add_span_processor(SimpleSpanProcessor(app_exporter))
        trace.set_tracer_provider(app_provider)

        from hexr import hexr_agent
        from hexr.telemetry import current_handle

        @hexr_agent(name="a", tenant="t")
        def work():
            return 1

        work()
        handle = current_handle()
        print(json.dumps({
            "same": trace.get_tracer_provider() is app_provider,
            "owns": handle.owns_tracer_provider,
            "spans": [s.name for s in app_exporter.get_finished_spans()],
        }))
        """
    )
    assert out == {"same": True, "owns": False, "spans": ["hexr.agent.invoke"]}


def test_metrics_count_when_traces_are_not_sampled() -> None:
    out = run_script(
        """
        import json
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from hexr.telemetry import TelemetrySettings, setup
        exporter = InMemorySpanExporter()
        handle = setup(TelemetrySettings.from_env(agent_name="a", tenant="t",
                       span_exporter_factory=lambda s: exporter, batch=False))
        from hexr import hexr_agent

        @hexr_agent(name="a", tenant="t")
        def work():
            return 1

        for _ in range(5):
            work()
        value = handle.registry.get_sample_value("hexr_agent_invocations_total", {
            "agent_name": "a", "tenant": "t", "framework": "none", "status": "ok",
            "otel_scope_name": "hexr", "otel_scope_version": "0.1.0",
            "otel_scope_schema_url": ""})
        print(json.dumps({"spans": len(exporter.get_finished_spans()), "count": value}))
        """,
        OTEL_TRACES_SAMPLER="always_off",
    )
    assert out == {"spans": 0, "count": 5.0}


def test_unreachable_collector_keeps_agent_running_with_bounded_queue() -> None:
    started = time.monotonic()
    out = run_script(
        """
        import json
        from hexr.telemetry import TelemetrySettings, setup
        handle = setup(TelemetrySettings.from_env(agent_name="a", tenant="t",
                       max_queue_size=64, export_timeout_s=0.2, schedule_delay_ms=50,
                       flush_timeout_s=0.5))
        from hexr import hexr_agent

        @hexr_agent(name="a", tenant="t")
        def work(i):
            return i * 2

        results, peak = [], 0
        for i in range(3000):
            results.append(work(i))
            peak = max(peak, handle.pending_spans())
        dropped = handle.registry.get_sample_value("hexr_telemetry_dropped_spans_total", {
            "reason": "queue_full", "otel_scope_name": "hexr", "otel_scope_version": "",
            "otel_scope_schema_url": ""})
        print(json.dumps({"ok": results == [i * 2 for i in range(3000)], "peak": peak,
                          "dropped_total": handle.dropped_spans, "dropped_metric": dropped}))
        """,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{_closed_port()}",
    )
    assert out["ok"] is True
    assert 0 < out["peak"] <= 64
    assert out["dropped_total"] >= 3000 - 64 - 512  # the rest may be in flight or failed
    assert out["dropped_metric"] is not None
    assert out["dropped_metric"] > 0
    # The exit flush against the dead collector is bounded by flush_timeout_s.
    assert time.monotonic() - started < 20


def test_metrics_endpoint_serves_prometheus_text() -> None:
    port = _closed_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                """
                import sys, time
                from hexr import hexr_agent

                @hexr_agent(name="served", tenant="t")
                def work():
                    return 1

                work(); work()
                print("ready", flush=True)
                sys.stdin.read()
                """
            ),
        ],
        env=_env(HEXR_METRICS_PORT=str(port), OTEL_TRACES_EXPORTER="none"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        assert (
            'hexr_agent_invocations_total{agent_name="served",framework="none",'
            'otel_scope_name="hexr",otel_scope_schema_url="",otel_scope_version="0.1.0",'
            'status="ok",tenant="t"} 2.0'
        ) in body
        assert httpx.get(f"http://127.0.0.1:{port}/other", timeout=5).status_code == 404
    finally:
        proc.kill()
        proc.wait(timeout=5)
        for stream in (proc.stdin, proc.stdout):
            if stream is not None:
                stream.close()


def test_sdk_disabled_installs_nothing_and_agent_works() -> None:
    out = run_script(
        """
        import json
        from opentelemetry import trace
        from hexr import hexr_agent
        from hexr.telemetry import current_handle

        @hexr_agent(name="a", tenant="t")
        def work():
            return 41 + 1

        print(json.dumps({"result": work(),
                          "proxy": type(trace.get_tracer_provider()).__name__,
                          "registry": current_handle().registry is None}))
        """,
        OTEL_SDK_DISABLED="true",
    )
    assert out == {"result": 42, "proxy": "ProxyTracerProvider", "registry": True}


def test_broken_exporter_config_does_not_stop_the_agent() -> None:
    out = run_script(
        """
        import json
        from hexr import hexr_agent
        from hexr.telemetry import TelemetrySettings, setup

        def broken(settings):
            raise RuntimeError("bad exporter config")

        from hexr.telemetry import current_handle

        try:
            setup(TelemetrySettings(span_exporter_factory=broken))
        except RuntimeError:
            pass
        nothing_installed = current_handle() is None

        @hexr_agent(name="a", tenant="t")
        def work():
            return "still works"

        handle = current_handle()
        print(json.dumps({"result": work(), "nothing_installed": nothing_installed,
                          "owns": [handle.owns_tracer_provider, handle.owns_meter_provider]}))
        """,
        OTEL_TRACES_EXPORTER="none",
    )
    assert out == {"result": "still works", "nothing_installed": True, "owns": [True, True]}


def test_exit_is_bounded_with_a_dead_collector() -> None:
    # 2048 queued spans and a 2 s export deadline: the SDK's own exit shutdown would retry
    # batch after batch for many seconds; Hexr's exit hook stops after its flush timeout.
    started = time.monotonic()
    out = run_script(
        """
        import json
        from hexr.telemetry import TelemetrySettings, setup
        handle = setup(TelemetrySettings.from_env(agent_name="a", tenant="t",
                       flush_timeout_s=0.5))
        from hexr import hexr_agent

        @hexr_agent(name="a", tenant="t")
        def work(i):
            return i

        for i in range(3000):
            work(i)
        print(json.dumps({"pending": handle.pending_spans()}))
        """,
        OTEL_EXPORTER_OTLP_ENDPOINT=f"http://127.0.0.1:{_closed_port()}",
        HEXR_LOG_LEVEL="ERROR",
    )
    assert out["pending"] > 1000
    assert time.monotonic() - started < 5


@pytest.mark.parametrize(
    ("endpoint", "env_insecure", "insecure"),
    [
        ("http://collector:4317", None, True),
        ("https://collector:4317", None, False),
        # A bare host:port is TLS unless OTEL_EXPORTER_OTLP_INSECURE says otherwise (the
        # OTLP exporter's rule): the export headers are usually credentials.
        ("collector.example:4317", None, False),
        ("collector.example:4317", "true", True),
    ],
)
def test_otlp_grpc_transport_security(
    monkeypatch: pytest.MonkeyPatch, endpoint: str, env_insecure: str | None, insecure: bool
) -> None:
    from hexr.telemetry._setup import _span_exporter

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_INSECURE", raising=False)
    if env_insecure is not None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", env_insecure)
    exporter = _span_exporter(
        TelemetrySettings(traces_exporter="otlp-grpc", otlp_endpoint=endpoint)
    )
    assert exporter is not None
    try:
        assert exporter._insecure is insecure  # type: ignore[attr-defined]
    finally:
        exporter.shutdown()


def test_every_hexr_histogram_gets_its_bucket_view() -> None:
    from hexr.telemetry import _names as n
    from hexr.telemetry._setup import _views

    def bounds(view: object) -> tuple[float, ...]:
        return tuple(view._aggregation._boundaries)  # type: ignore[attr-defined]

    views = {v._instrument_name: bounds(v) for v in _views(TelemetrySettings())}
    assert views == {
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
