"""Benchmark: gateway overhead per tool call, and spec load time (on demand).

Run: ``.venv/bin/pytest tests/benchmarks/test_gateway_bench.py -s -p no:cacheprovider``

Real upstream API (its own process), real gateway process (registered workload of the
real identity service; credential from the real OpenBao; rate limit counted in the real
Valkey), called with the SDK's `GatewayClient` (MCP streamable HTTP, JSON-RPC). Prints
p50/p99 of:
- direct: httpx to the upstream with the API key (the peer, same run);
- gateway: ``call_tool`` through the gateway (JWT-SVID verify, Rego, schema validation,
  Valkey rate-limit hit, vault credential from the TTL cache, upstream call, scrubbing);
- spec load: parse + convert a generated spec of 500 operations with shared, recursive
  component schemas, median of several runs.
Nothing is asserted about time.
"""

from __future__ import annotations

import json
import statistics
import time
from typing import Any

import httpx
import pytest

from hexr.gateway import GatewayClient
from hexr_gateway.openapi import convert_spec, parse_spec
from tests.fixtures.gateway import UPSTREAM_KEY, StaticIdentity, gateway_document

pytestmark = pytest.mark.benchmark

N = 300
WARMUP = 30


def _pcts(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2] * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def _timed(call: Any) -> list[float]:
    for _ in range(WARMUP):
        call()
    samples = []
    for _ in range(N):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def _spec_500() -> dict[str, Any]:
    schemas = {f"S{i}": {"type": "object", "required": ["id"], "properties": {
        "id": {"type": "string"}, "next": {"$ref": f"#/components/schemas/S{(i + 1) % 50}"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "kind": {"oneOf": [{"$ref": "#/components/schemas/Leaf"}, {"type": "integer"}]},
    }} for i in range(50)}
    schemas["Leaf"] = {"allOf": [{"type": "object", "properties": {"a": {"type": "string"}}},
                                 {"type": "object", "properties": {"b": {"type": "number"}}}]}
    paths: dict[str, Any] = {}
    for i in range(250):
        paths[f"/res{i}/{{id}}"] = {
            "parameters": [{"name": "id", "in": "path", "required": True,
                            "schema": {"type": "string"}}],
            "get": {"operationId": f"get{i}", "summary": f"Read resource {i}",
                    "parameters": [{"name": "id", "in": "query",
                                    "schema": {"type": "integer"}}]},
            "put": {"requestBody": {"content": {"application/json": {
                "schema": {"$ref": f"#/components/schemas/S{i % 50}"}}}}},
        }
    return {"openapi": "3.0.3", "info": {"title": "big", "version": "1"},
            "servers": [{"url": "http://127.0.0.1:1"}], "paths": paths,
            "components": {"schemas": schemas}}


def test_spec_load_time_500_operations() -> None:
    raw = json.dumps(_spec_500())
    runs = []
    for _ in range(7):
        started = time.perf_counter()
        report = convert_spec(parse_spec(raw), "big")
        runs.append(time.perf_counter() - started)
    assert len(report.tools) == 500
    print(f"\nspec load, 500 operations ({len(raw) // 1024} KiB JSON): "
          f"median {statistics.median(runs) * 1000:.1f} ms, min {min(runs) * 1000:.1f} ms")


def test_gateway_overhead_per_call(
    identity_service: Any, vault_env: Any, valkey_server: Any, upstream_api: Any,
    gateway_factory: Any, agent_token: Any,
) -> None:
    vault_env.seed("acme", "upstreams/shop", {"api_key": UPSTREAM_KEY})
    gateway = gateway_factory(gateway_document(
        identity_service, vault_env, valkey_server.url, upstream_api.url,
        rate_limits=[{"tenant": "acme", "tool": "*", "limit": 10_000_000,
                      "window_seconds": 86400}],
    ))
    identity = StaticIdentity(str(identity_service.spiffe_id("acme", "bench")),
                              agent_token("acme", "bench"))
    with (httpx.Client(base_url=upstream_api.url, headers={"x-api-key": UPSTREAM_KEY}) as raw,
          GatewayClient(gateway.url, identity=identity) as client):
        direct = _timed(lambda: raw.get("/items", params={"limit": 2}).raise_for_status())
        via = _timed(lambda: client.call_tool("shop_listItems", {"limit": 2}))
    d50, d99 = _pcts(direct)
    g50, g99 = _pcts(via)
    print(f"\nupstream direct   p50 {d50:7.2f} ms  p99 {d99:7.2f} ms")
    print(f"through gateway   p50 {g50:7.2f} ms  p99 {g99:7.2f} ms")
    print(f"overhead per call p50 {g50 - d50:7.2f} ms  p99 {g99 - d99:7.2f} ms;"
          f" ratio p50 {g50 / d50:.1f}x  p99 {g99 / d99:.1f}x (N={N}, loaded 2-core machine)")
