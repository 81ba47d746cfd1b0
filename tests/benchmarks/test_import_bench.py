"""Benchmark: ``import hexr`` against its floor, ``import opentelemetry.sdk.trace``.

Each sample is a fresh interpreter (``python -c "import X"``) minus the interpreter's own
start (``python -c pass``), the three interleaved per round so machine load hits all
alike. Prints p50 per target and the per-round ratio spread (aim: hexr <= 1.3 x the floor).
Run: ``.venv/bin/pytest tests/benchmarks/test_import_bench.py -s -p no:cacheprovider``
(``HEXR_BENCH_IMPORT_RUNS``, default 30). Nothing is asserted about time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time

import pytest

pytestmark = pytest.mark.benchmark

TARGETS = {"python": "pass", "otel": "import opentelemetry.sdk.trace", "hexr": "import hexr"}


def _once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
    return time.perf_counter() - start


def test_import_hexr_vs_otel_sdk() -> None:
    runs = int(os.environ.get("HEXR_BENCH_IMPORT_RUNS", "30"))
    samples: dict[str, list[float]] = {name: [] for name in TARGETS}
    ratios = []
    for index in range(runs):
        names = list(TARGETS)
        names = names[index % 3:] + names[: index % 3]
        got = {name: _once(TARGETS[name]) for name in names}
        for name, value in got.items():
            samples[name].append(value)
        floor = got["otel"] - got["python"]
        if floor > 0:
            ratios.append((got["hexr"] - got["python"]) / floor)
    python = statistics.median(samples["python"])
    lines = [f"\nimport cost over a bare interpreter ({runs} interleaved runs, load "
             f"{os.getloadavg()[0]:.1f} on 2 shared cores)"]
    for name in ("otel", "hexr"):
        cost = 1000 * (statistics.median(samples[name]) - python)
        lines.append(f"  {TARGETS[name]:<32} {cost:7.1f} ms")
    ratios.sort()
    lines.append(
        f"  hexr / opentelemetry.sdk.trace per round: {ratios[0]:.2f}-"
        f"{statistics.median(ratios):.2f}-{ratios[-1]:.2f} (min-median-max; aim ≤ 1.30)"
    )
    print("\n".join(lines), file=sys.stderr)
