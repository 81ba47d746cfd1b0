"""Cost of ``import hexr`` against ``import opentelemetry.sdk.trace``, in the same run.

Each import runs in a fresh interpreter, alternating, many times; the interpreter's own
start (``python -c pass``) is subtracted. Run: ``pytest tests/benchmarks/test_import_cost.py -s``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time

RUNS = 25
PROGRAMS = {
    "python": "pass",
    "hexr": "import hexr",
    "hexr+vault": "import hexr; hexr.vault",
    "otel-sdk-trace": "import opentelemetry.sdk.trace",
}


def _once(code: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True)
    return time.perf_counter() - start


def test_import_hexr_cost() -> None:
    times: dict[str, list[float]] = {name: [] for name in PROGRAMS}
    for _ in range(RUNS):
        for name, code in PROGRAMS.items():  # interleaved, so load changes hit all alike
            times[name].append(_once(code))
    median = {name: statistics.median(values) for name, values in times.items()}
    base = median["python"]
    net = {name: (value - base) * 1000 for name, value in median.items() if name != "python"}
    for name, ms in net.items():
        print(f"{name:16s} {ms:7.1f} ms over the interpreter start ({RUNS} runs, median)")
    ratio = net["hexr"] / net["otel-sdk-trace"]
    print(f"import hexr / import opentelemetry.sdk.trace = {ratio:.2f}")
    assert all(ms > 0 for ms in net.values())
