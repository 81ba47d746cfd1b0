"""The sidecar's Prometheus exposition carries the metric contract's names and labels."""

from __future__ import annotations

import re
from typing import Any

import httpx

from hexr.a2a import AsyncA2AClient
from tests.integration.a2a.conftest import message, mtls, rpc


async def test_sidecar_metrics_contract(echo: Any, caller: Any, valkey_server: Any) -> None:
    with caller("acme", "metered"):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        await client.send("echo", "count me")
        events = [r.state async for r in client.stream("echo", "stream me")]
        await client.aclose()
    assert events[-1] == "completed"
    with caller("beta", "outsider") as source, httpx.Client(verify=mtls(source)) as http:
        assert "error" in rpc(http, echo.url, "SendMessage", message("no"))
    text = httpx.get(echo.metrics_url, timeout=5).text

    def value(name: str, **labels: str) -> float:
        """Sum of the series of ``name`` whose labels include ``labels``."""
        total, seen = 0.0, False
        for line in text.splitlines():
            if not line.startswith(name + "{"):
                continue
            series = dict(re.findall(r'(\w+)="([^"]*)"', line.split("}", 1)[0]))
            if all(series.get(k) == v for k, v in labels.items()):
                total += float(line.rsplit(" ", 1)[1])
                seen = True
        assert seen, f"{name}{labels} not in /metrics"
        return total

    mine = {"tenant": "acme", "agent_name": "echo"}
    assert value("hexr_a2a_task_transitions_total", **mine, state="completed") >= 2
    assert value("hexr_a2a_task_transitions_total", **mine, state="working") >= 2
    assert (
        value("hexr_a2a_messages_total", tenant="acme", source_agent="metered", target_agent="echo")
        >= 2
    )
    assert value("hexr_a2a_task_duration_seconds_count", **mine, state="completed") >= 2
    assert value("hexr_a2a_task_duration_seconds_bucket", **mine, le="0.5") >= 1
    assert value("hexr_a2a_store_operations_total", **mine, op="save", result="ok") >= 4
    assert value("hexr_a2a_store_operation_duration_seconds_count", **mine, op="get") >= 1
    assert (
        value("hexr_a2a_bridge_executions_total", **mine, source_agent="metered", status="ok") >= 2
    )
    assert (
        value(
            "hexr_a2a_cross_tenant_calls_total",
            source_tenant="beta",
            target_tenant="acme",
            decision="denied",
        )
        >= 1
    )
    assert value("hexr_a2a_requests_total", **mine, method="SendMessage", code="ok") >= 1
    assert value("hexr_a2a_requests_total", **mine, method="SendMessage", code="403") >= 1
    assert value("hexr_a2a_requests_total", **mine, method="SendStreamingMessage") >= 1
    assert value("hexr_a2a_sse_connections", **mine) == 0  # the stream has closed
    assert "task_id" not in text
