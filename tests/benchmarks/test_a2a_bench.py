"""Benchmark: SendMessage through a Hexr A2A sidecar vs a bare a2a-sdk server, same run.

Hexr: the real sidecar (``python -m hexr_a2a``) serving the test echo agent — mTLS with
X.509-SVIDs, Rego caller policy, Valkey task store and event stream, limits, spans and
metrics on. Peer: a bare a2a-sdk 1.3.0 echo agent over plain HTTP with its in-memory store
(``_a2a_bare_server.py``), with the same task event sequence. One driver (httpx, raw
JSON-RPC ``SendMessage``, keep-alive connections) measures both, at concurrency 1 and 16,
rounds interleaved; the figures are medians over rounds. Nothing here is a timed assertion.

    .venv/bin/pytest tests/benchmarks/test_a2a_bench.py -s

Env: ``HEXR_BENCH_A2A_MESSAGES`` (per round and mode, default 600), ``HEXR_BENCH_ROUNDS`` (3).
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import statistics
import subprocess
import sys
import time
import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.a2a import mtls

pytestmark = [pytest.mark.benchmark, pytest.mark.timeout(1800)]

MESSAGES = int(os.environ.get("HEXR_BENCH_A2A_MESSAGES", "600"))
ROUNDS = int(os.environ.get("HEXR_BENCH_ROUNDS", "3"))


def _body() -> dict[str, Any]:
    return {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "SendMessage",
        "params": {
            "message": {
                "role": "ROLE_USER",
                "messageId": uuid.uuid4().hex,
                "parts": [{"text": "hi"}],
            }
        },
    }


async def _drive(
    url: str, verify: ssl.SSLContext | bool, concurrency: int, count: int
) -> dict[str, float]:
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(verify=verify, limits=limits, timeout=30) as http:
        headers = {"A2A-Version": "1.0"}
        await http.post(f"{url}/a2a/jsonrpc", json=_body(), headers=headers)  # warm-up
        remaining = count

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                answer = await http.post(f"{url}/a2a/jsonrpc", json=_body(), headers=headers)
                latencies.append(time.perf_counter() - started)
                state = answer.json()["result"]["task"]["status"]["state"]
                assert state == "TASK_STATE_COMPLETED"

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "msg_s": len(latencies) / elapsed,
        "p50_ms": latencies[len(latencies) // 2] * 1000,
        "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
    }


@pytest.fixture
def bare_server() -> Any:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.benchmarks._a2a_bare_server"],
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": os.getcwd()},
    )
    assert process.stdout is not None
    url = json.loads(process.stdout.readline())["url"]
    try:
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


async def test_sidecar_vs_bare_a2a_sdk(a2a_sidecars: Any, caller: Any, bare_server: str) -> None:
    sidecar = a2a_sidecars("echo", env={"OTEL_TRACES_EXPORTER": "none"})
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    with caller("acme", "bench") as source:
        context = mtls(source)
        for _ in range(ROUNDS):
            for concurrency in (1, 16):
                for mode, url, verify in (
                    ("bare", bare_server, False),
                    ("hexr", sidecar.url, context),
                ):
                    figures = await _drive(url, verify, concurrency, MESSAGES)
                    results.setdefault((mode, concurrency), []).append(figures)

    def median(mode: str, concurrency: int, key: str) -> float:
        return statistics.median(r[key] for r in results[(mode, concurrency)])

    print(f"\nA2A SendMessage, {MESSAGES} messages x {ROUNDS} rounds (medians), loaded machine")
    for concurrency in (1, 16):
        for mode in ("bare", "hexr"):
            print(
                f"  c={concurrency:<2} {mode:<4} {median(mode, concurrency, 'msg_s'):7.1f} msg/s"
                f"  p50 {median(mode, concurrency, 'p50_ms'):6.2f} ms"
                f"  p99 {median(mode, concurrency, 'p99_ms'):6.2f} ms"
            )
        ratio = median("hexr", concurrency, "msg_s") / median("bare", concurrency, "msg_s")
        print(f"  c={concurrency:<2} throughput ratio hexr/bare = {ratio:.2f}x")
