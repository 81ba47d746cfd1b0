"""Credential metrics, read from real processes (each process owns its meter provider)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.fixtures.injector import injector_document

REPO = Path(__file__).resolve().parents[3]

_AGENT = """
import json, sys
from opentelemetry import metrics
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader

reader = InMemoryMetricReader()
metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))

from hexr import hexr_tool
from hexr.identity import default_source
from tests.integration.credentials._pods import make_pod

class Injector:
    url, audience = sys.argv[1], sys.argv[2]

valkey_url = sys.argv[3]
source = default_source()
pod_a, _ = make_pod(source, Injector, valkey_url)
pod_b, _ = make_pod(source, Injector, valkey_url)
hexr_tool("aws_s3", broker=pod_a)
tiers = [pod_a.lookup("aws_s3", "us-east-1").tier, pod_b.lookup("aws_s3", "us-east-1").tier]
print(json.dumps({"phase": 1, "tiers": tiers}), flush=True)
sys.stdin.readline()  # the parent kills Valkey now
pod_c, _ = make_pod(source, Injector, valkey_url)
tiers.append(pod_c.lookup("aws_s3", "us-east-1").tier)
points = []
for rm in reader.get_metrics_data().resource_metrics:
    for sm in rm.scope_metrics:
        for m in sm.metrics:
            for p in m.data.data_points:
                value = getattr(p, "value", None)
                if value is None:
                    value = p.count
                points.append({"name": m.name, "attrs": dict(p.attributes), "value": value})
print(json.dumps({"phase": 2, "tiers": tiers, "points": points}), flush=True)
"""


def _value(points: list[dict[str, Any]], name: str, **attrs: str) -> float:
    return sum(p["value"] for p in points
               if p["name"] == name and all(p["attrs"].get(k) == v for k, v in attrs.items()))


def test_agent_metrics_by_tier_and_degraded_gauge(
    identity_service: Any, credential_injector: Any, valkey_server_factory: Any, tmp_path: Path,
) -> None:
    server = valkey_server_factory()
    script = tmp_path / "agent.py"
    script.write_text(_AGENT)
    env = {**os.environ, "PYTHONPATH": str(REPO), "AWS_EC2_METADATA_DISABLED": "true"}
    child = identity_service.spawn(
        identity_service.spiffe_id("acme", "metrics"),
        [sys.executable, str(script), credential_injector.url, credential_injector.audience,
         server.url],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, cwd=str(REPO),
    )
    try:
        assert child.stdout is not None
        assert child.stdin is not None
        first = json.loads(child.stdout.readline())
        assert first["tiers"] == ["L1", "L2"]  # hexr_tool made the L3 exchange
        server.kill()
        child.stdin.write(b"go\n")
        child.stdin.flush()
        second = json.loads(child.stdout.readline())
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert second["tiers"][-1] == "L3"  # Valkey gone: still served, by the injector
    points = second["points"]
    assert _value(points, "hexr.cache.hits", tier="L1") == 1
    assert _value(points, "hexr.cache.misses", tier="L1") == 3
    assert _value(points, "hexr.cache.hits", tier="L2") == 1
    assert _value(points, "hexr.cache.misses", tier="L2") == 2  # pod A, and pod C (down)
    assert _value(points, "hexr.cache.hits", tier="L3") == 2
    assert _value(points, "hexr.cache.lookup.duration", tier="L3") == 2
    assert _value(points, "hexr.cache.degraded", tier="L2") == 1
    assert _value(points, "hexr.cache.errors", tier="L2") >= 1
    assert _value(points, "hexr.tool.invocations", service="aws_s3", status="ok") == 1
    assert _value(points, "hexr.tool.duration", service="aws_s3", status="ok") == 1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_injector_exposes_exchange_and_failure_counters(
    identity_service: Any, injector_factory: Any, moto_server: Any,
) -> None:
    from hexr.identity import authorize_id, default_source

    port = _free_port()
    injector = injector_factory(
        identity_service, injector_document(identity_service, moto_server.url),
        env={"HEXR_METRICS_PORT": str(port)},
    )
    for tenant, expected in (("acme", 200), ("gamma", 403)):
        with identity_service.as_workload(identity_service.spiffe_id(tenant, "bot")):
            source = default_source()
            ctx = source.client_ssl_context(authorize_id(injector.audience))
            with httpx.Client(verify=ctx, timeout=10) as http:
                response = http.post(
                    f"{injector.url}/exchange", json={"service": "aws_s3"},
                    headers={"authorization": f"Bearer {source.jwt_svid(injector.audience)}"},
                )
            assert response.status_code == expected
    deadline = time.monotonic() + 10
    text = ""
    while time.monotonic() < deadline:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
        if "hexr_credential_failures" in text:
            break
        time.sleep(0.2)
    lines = [line for line in text.splitlines() if line.startswith("hexr_credential_")]
    assert any(line.startswith("hexr_credential_exchanges_total{")
               and 'status="ok"' in line and 'provider="aws_sts"' in line for line in lines), lines
    assert any(line.startswith("hexr_credential_failures_total{")
               and 'reason="permission_denied"' in line for line in lines), lines
