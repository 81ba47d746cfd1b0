"""Benchmark: ``hexr.vault`` get latency, cold and warm (on demand).

Run: ``.venv/bin/pytest tests/benchmarks/test_vault_bench.py -s -p no:cacheprovider``

Real OpenBao dev server and real identity service; OTel SDK tracer installed (spans are
recorded as in production). Prints p50/p99 of:
- warm: `VaultClient.get` with a cached vault token (one KV read + span + metrics);
- cold: a new `VaultClient` (login with the cached JWT-SVID, then the read);
- cold + SVID: a new identity source and client (Workload API connect, JWT-SVID fetch,
  login, read), what an agent process pays on its first secret;
- raw hvac KV read with the agent's own vault token (the SDK's overhead on top);
- peer: a raw hvac KV read with a root token (no ACL evaluation on the server), measured
  in the same run; ratios are against it. Nothing is asserted about time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

import hvac
import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

from hexr.identity import IdentitySource
from hexr.vault import VaultClient
from tests.fixtures.vault import VaultEnv

pytestmark = pytest.mark.benchmark

N_WARM = 400
N_COLD = 60
N_FULL = 20


def _percentiles(samples_ns: list[int]) -> tuple[float, float]:
    ordered = sorted(samples_ns)
    p50 = statistics.median(ordered) / 1e6
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] / 1e6
    return p50, p99


def _measure(n: int, call: Callable[[], Any]) -> list[int]:
    call()  # warm-up: imports, connection pools
    samples = []
    for _ in range(n):
        start = time.perf_counter_ns()
        call()
        samples.append(time.perf_counter_ns() - start)
    return samples


def test_vault_get_latency(vault_env: VaultEnv, identity_service: Any) -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    vault_env.enroll("bench", "reader")
    vault_env.seed("bench", "shared/db", {"password": "bench-value"})
    sid = identity_service.spiffe_id("bench", "reader")
    results: dict[str, list[int]] = {}
    with identity_service.as_workload(sid):
        source = IdentitySource()
        try:
            warm = VaultClient(vault_env.url, identity=source)
            results["warm (cached token)"] = _measure(N_WARM, lambda: warm.get("shared/db"))
            # Same token, no SDK: isolates the SDK's own cost from the server's ACL check.
            same_token = hvac.Client(vault_env.url, token=warm._hvac.token)
            results["raw hvac read, the agent's token"] = _measure(
                N_WARM,
                lambda: same_token.secrets.kv.v2.read_secret_version(
                    "tenants/bench/shared/db", mount_point="hexr-kv", raise_on_deleted_version=True
                ),
            )

            def cold() -> None:
                client = VaultClient(vault_env.url, identity=source)
                client.get("shared/db")
                client.close()

            results["cold (new client: login + read)"] = _measure(N_COLD, cold)
        finally:
            source.close()

        def full() -> None:
            with IdentitySource() as fresh:
                client = VaultClient(vault_env.url, identity=fresh)
                client.get("shared/db")
                client.close()

        results["cold + SVID (new source: fetch + login + read)"] = _measure(N_FULL, full)

    root = hvac.Client(vault_env.url, token=vault_env.root_token)
    results["peer: raw hvac read, root token"] = _measure(
        N_WARM,
        lambda: root.secrets.kv.v2.read_secret_version(
            "tenants/bench/shared/db", mount_point="hexr-kv", raise_on_deleted_version=True
        ),
    )
    peer_p50, peer_p99 = _percentiles(results["peer: raw hvac read, root token"])
    print("\nhexr.vault get latency (ms)")
    print(f"{'case':<50} {'n':>4} {'p50':>8} {'p99':>8} {'p50/peer':>9} {'p99/peer':>9}")
    for name, samples in results.items():
        p50, p99 = _percentiles(samples)
        print(f"{name:<50} {len(samples):>4} {p50:>8.3f} {p99:>8.3f} "
              f"{p50 / peer_p50:>8.2f}x {p99 / peer_p99:>8.2f}x")
    assert all(results.values())
