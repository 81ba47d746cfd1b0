"""The observability config drives a real process's telemetry end to end.

Each case starts a fresh probe process (OpenTelemetry providers are process-global),
configured only through HEXR_* environment variables, and checks what reached a real
receiver or the real ``/metrics`` endpoint.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from opentelemetry.proto.collector.trace.v1 import trace_service_pb2
from prometheus_client.parser import text_string_to_metric_families

from hexr.config import is_unbounded_label
from tests.integration.observability._receivers import http_receiver, otlp_grpc_receiver

ROOT = Path(__file__).resolve().parents[3]
TOKEN = "scrape-token-0123456789"


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    """A clean environment: no HEXR_*/OTEL_* leaking in, no local platform."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEXR_", "OTEL_"))}
    env["HEXR_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _probe(env: dict[str, str], mode: str = "spans") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.integration.observability.probe", mode],
        env=env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )


def test_console_exporter_prints_spans(base_env: dict[str, str]) -> None:
    result = _probe({**base_env, "HEXR_TRACING_EXPORTER": "console",
                     "HEXR_SERVICE_NAME": "billing", "HEXR_SERVICE_VERSION": "1.2.3"})
    assert result.returncode == 0, result.stderr
    span = json.loads(result.stdout)
    assert span["name"] == "probe.work"
    assert span["attributes"]["probe.answer"] == 42
    assert span["resource"]["attributes"]["service.name"] == "billing"
    assert span["resource"]["attributes"]["service.version"] == "1.2.3"


def test_headers_with_env_interpolation_reach_otlp_grpc_receiver(
    base_env: dict[str, str],
) -> None:
    with otlp_grpc_receiver() as (endpoint, received):
        result = _probe({
            **base_env,
            "HEXR_TRACING_ENDPOINT": endpoint,
            "HEXR_TRACING_HEADERS": "Authorization=Bearer ${OTLP_TOKEN},x-hexr-team=payments",
            "OTLP_TOKEN": "hosted-collector-secret",
            "HEXR_SERVICE_NAME": "billing",
        })
        assert result.returncode == 0, result.stderr
        assert received.event.wait(10)
    assert "probe.work" in received.span_names
    metadata = received.headers[0]
    assert metadata["authorization"] == "Bearer hosted-collector-secret"
    assert metadata["x-hexr-team"] == "payments"
    # The token reached the collector, and nothing printed it.
    assert "hosted-collector-secret" not in result.stdout + result.stderr


def test_headers_reach_otlp_http_receiver(base_env: dict[str, str]) -> None:
    with http_receiver("/v1/traces") as (url, received):
        result = _probe({
            **base_env,
            "HEXR_TRACING_PROTOCOL": "http/protobuf",
            "HEXR_TRACING_ENDPOINT": url,
            "HEXR_TRACING_HEADERS": "Authorization=Bearer abc",
        })
        assert result.returncode == 0, result.stderr
        assert received.event.wait(10)
    assert received.headers[0]["authorization"] == "Bearer abc"
    request = trace_service_pb2.ExportTraceServiceRequest.FromString(received.bodies[0])
    names = [s.name for rs in request.resource_spans for ss in rs.scope_spans for s in ss.spans]
    assert names == ["probe.work"]


def test_zipkin_exporter_posts_json_spans(base_env: dict[str, str]) -> None:
    with http_receiver("/api/v2/spans") as (url, received):
        result = _probe({**base_env, "HEXR_TRACING_EXPORTER": "zipkin",
                         "HEXR_TRACING_ENDPOINT": url})
        assert result.returncode == 0, result.stderr
        assert received.event.wait(10)
    spans = json.loads(received.bodies[0])
    assert [s["name"] for s in spans] == ["probe.work"]
    assert spans[0]["localEndpoint"]["serviceName"] == "probe"


def test_sample_rate_zero_exports_nothing(base_env: dict[str, str]) -> None:
    with otlp_grpc_receiver() as (endpoint, received):
        result = _probe({**base_env, "HEXR_TRACING_ENDPOINT": endpoint,
                         "HEXR_TRACING_SAMPLE_RATE": "0"})
        assert result.returncode == 0, result.stderr
    assert received.span_names == []


def test_standard_otel_sampler_still_applies(base_env: dict[str, str]) -> None:
    with otlp_grpc_receiver() as (endpoint, received):
        result = _probe({**base_env, "HEXR_TRACING_ENDPOINT": endpoint,
                         "OTEL_TRACES_SAMPLER": "always_off"})
        assert result.returncode == 0, result.stderr
    assert received.span_names == []


@pytest.mark.parametrize(
    ("env", "field"),
    [
        ({"HEXR_TRACING_SAMPLE_RATE": "2"}, "observability.tracing.sample_rate"),
        ({"HEXR_METRICS_CONST_LABELS": "user_id=7"}, "observability.metrics.const_labels"),
        ({"HEXR_TRACING_EXPORTER": "jaeger"}, "observability.tracing.exporter"),
    ],
)
def test_invalid_config_fails_at_start_naming_the_field(
    base_env: dict[str, str], env: dict[str, str], field: str
) -> None:
    result = _probe({**base_env, **env})
    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert field in result.stderr


@pytest.fixture
def served(base_env: dict[str, str]) -> Iterator[str]:
    env = {
        **base_env,
        "HEXR_METRICS_PORT": "0",
        "HEXR_METRICS_NAMESPACE": "acme",
        "HEXR_METRICS_SUBSYSTEM": "agents",
        "HEXR_METRICS_CONST_LABELS": "environment=test,region=local,team=payments",
        "HEXR_METRICS_BEARER_TOKEN": TOKEN,
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.observability.probe", "serve"],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://"), process.stderr.read() if process.stderr else ""
        yield url
    finally:
        if process.stdin is not None:
            process.stdin.close()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def test_metrics_refuse_unauthenticated_scrape(served: str) -> None:
    response = httpx.get(served)
    assert response.status_code == 401
    assert "acme_agents" not in response.text
    wrong = httpx.get(served, headers={"Authorization": "Bearer wrong-token-000000"})
    assert wrong.status_code == 401


def test_const_labels_and_prefix_on_every_exported_metric(served: str) -> None:
    response = httpx.get(served, headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200
    families = list(text_string_to_metric_families(response.text))
    names = {family.name for family in families}
    assert "acme_agents_hexr_probe_events" in names
    assert "acme_agents_hexr_llm_cost_usd" in names
    samples = [sample for family in families for sample in family.samples]
    assert len(samples) > 10
    for family in families:
        # target_info is OpenTelemetry's fixed-name resource metric (joined on job/instance).
        if family.name != "target_info":
            assert family.name.startswith("acme_agents_"), family.name
        for sample in family.samples:
            assert sample.labels["environment"] == "test", sample
            assert sample.labels["region"] == "local"
            assert sample.labels["team"] == "payments"
            if family.name != "target_info":  # one series per process, by design
                unbounded = [
                    label for label in sample.labels
                    if is_unbounded_label(label) and not label.startswith("otel_scope_")
                ]
                assert unbounded == [], sample
