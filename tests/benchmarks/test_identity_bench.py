"""Benchmark: SVID and JWT fetch latency from the SDK, cold and cached (on demand).

Run: ``.venv/bin/pytest tests/benchmarks/test_identity_bench.py -s -p no:cacheprovider``

Against the real identity service (``identity_service`` fixture), prints p50/p99 of:

- X.509 cold: a new `IdentitySource` (connect, attest, first SVID, start the rotation
  stream) vs the peer, a new py-spiffe ``WorkloadApiClient`` + ``fetch_x509_context``;
- X.509 cached: `IdentitySource.x509_context()` (memory) vs the peer's
  ``fetch_x509_context`` on an open client (py-spiffe has no cache: one RPC each);
- JWT cold: `IdentitySource.jwt_svid` for a new audience (cache miss: one RPC) vs the
  peer's ``fetch_jwt_svid`` on an open client;
- JWT cached: `IdentitySource.jwt_svid` for a cached audience vs the same peer.

Ratios are SDK / peer in the same run. Nothing is asserted about time.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable

import pytest
from spiffe import WorkloadApiClient

from hexr.identity import IdentitySource

pytestmark = pytest.mark.benchmark


def _measure(fn: Callable[[], object], rounds: int, warmup: int = 3) -> list[float]:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def _p(samples: list[float], q: float) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[int(q) - 1] * 1e6


def test_identity_fetch_latency(identity_service) -> None:
    sid = identity_service.spiffe_id("bench", "agent")
    endpoint = identity_service.endpoint
    rows: list[tuple[str, list[float], list[float]]] = []
    with identity_service.as_workload(sid):

        def sdk_cold() -> None:
            IdentitySource(endpoint).close()

        def peer_cold() -> None:
            with WorkloadApiClient(endpoint) as client:
                client.fetch_x509_context()

        rows.append(("x509 cold", _measure(sdk_cold, 40), _measure(peer_cold, 40)))

        with IdentitySource(endpoint) as source, WorkloadApiClient(endpoint) as peer:
            rows.append(
                (
                    "x509 cached",
                    _measure(source.x509_context, 20000),
                    _measure(peer.fetch_x509_context, 300),
                )
            )
            counter = iter(range(10**9))
            rows.append(
                (
                    "jwt cold (miss)",
                    _measure(lambda: source.jwt_svid(f"aud-{next(counter)}"), 200),
                    _measure(lambda: peer.fetch_jwt_svid({"aud"}), 300),
                )
            )
            source.jwt_svid("cached")
            rows.append(
                (
                    "jwt cached",
                    _measure(lambda: source.jwt_svid("cached"), 20000),
                    _measure(lambda: peer.fetch_jwt_svid({"cached"}), 300),
                )
            )

    print()
    print(
        f"{'operation':<16} {'sdk p50 us':>11} {'sdk p99 us':>11} "
        f"{'peer p50 us':>12} {'peer p99 us':>12} {'p50 ratio':>10}"
    )
    for name, sdk, peer_samples in rows:
        sdk50, sdk99 = _p(sdk, 50), _p(sdk, 99)
        peer50, peer99 = _p(peer_samples, 50), _p(peer_samples, 99)
        print(
            f"{name:<16} {sdk50:>11.1f} {sdk99:>11.1f} {peer50:>12.1f} {peer99:>12.1f} "
            f"{sdk50 / peer50:>9.3f}x"
        )
    print("peer: raw py-spiffe WorkloadApiClient (new client for 'x509 cold', else open client)")
