"""Benchmark: guard pipeline latency and overhead, sandbox start-to-exit, browser session.

Run::

    .venv/bin/pytest tests/benchmarks/test_guard_sandbox_browser_bench.py -s -p no:cacheprovider

Prints medians and p99s, measured in one run, of:
- the default guard pipeline through the prompt hook (`Guard.before_request`, spans and
  metrics recorded by an SDK tracer/meter) on a short prompt and a 4 kB prompt, and the
  same llm-guard scanner objects called directly on the same texts (the peer): the ratio is
  the guard's overhead (aim: within 1.1x);
- event-loop lag of an async agent while the guard scans a 4 kB prompt on an async client
  (max gap of a 5 ms ticker), against the gap with the scan run inline on the loop;
- `hexr.sandbox.exec("print(1)")` start to exit, against a plain ``subprocess.run`` of
  the same interpreter (the peer);
- one `hexr.browser.browse` navigate + extract_text of a loopback page.
Nothing is asserted about time; the machine may be loaded (say so with the figures).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider

import hexr.sandbox
from hexr.browser import EgressPolicy, browse
from hexr.guard import Guard
from hexr.llm import LLMCallInfo

pytestmark = pytest.mark.benchmark

SHORT = "What is the capital of France? Answer in one word."
LONG = ("Summarise the following meeting notes for the team. " * 80)[:4096]


def _stats(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1e3, ordered[int(len(ordered) * 0.99) - 1] * 1e3


def _measure(n: int, call: Callable[[], Any]) -> list[float]:
    call()
    out = []
    for _ in range(n):
        start = time.perf_counter()
        call()
        out.append(time.perf_counter() - start)
    return out


def _info() -> LLMCallInfo:
    span = trace.get_tracer("bench").start_span("hexr.llm.chat")
    return LLMCallInfo("openai", "bench", False, span)


def test_guard_pipeline_latency_and_overhead() -> None:
    if not isinstance(trace.get_tracer_provider(), TracerProvider):
        trace.set_tracer_provider(TracerProvider())
    guard = Guard()
    guard.warm_up()
    scanners = [s for _, s in guard.pipeline()._scanners("prompt") if s is not None]
    info = _info()
    for label, text in (("short", SHORT), ("4 kB", LONG)):
        messages = [{"role": "user", "content": text}]
        n = 200 if label == "short" else 60

        def direct(text: str = text) -> None:
            for scanner in scanners:
                scanner.scan(text)

        def hooked(messages: list[dict[str, str]] = messages) -> None:
            guard.before_request(info, messages)

        # Interleave the two so that load changes hit both alike.
        d, h = [], []
        for _ in range(4):
            d += _measure(n // 4, direct)
            h += _measure(n // 4, hooked)
        (dp50, dp99), (hp50, hp99) = _stats(d), _stats(h)
        print(
            f"\nguard {label}: hexr p50 {hp50:.2f} ms p99 {hp99:.2f} ms | direct llm-guard "
            f"p50 {dp50:.2f} ms p99 {dp99:.2f} ms | ratio p50 {hp50 / dp50:.3f}x"
        )


class _InlineGuard(Guard):
    """The same guard, scanning on the loop's thread (what a sync hook would do)."""

    async def abefore_request(self, call: LLMCallInfo, messages: Any) -> Any:
        return self.before_request(call, messages)


def test_event_loop_lag_while_scanning() -> None:
    async def lag(guard: Guard) -> float:
        messages = [{"role": "user", "content": LONG}]
        info = _info()
        worst = 0.0
        stop = False

        async def ticker() -> None:
            nonlocal worst
            last = time.perf_counter()
            while not stop:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                worst = max(worst, now - last)
                last = now

        task = asyncio.ensure_future(ticker())
        await asyncio.sleep(0.02)
        for _ in range(10):
            await guard.abefore_request(info, messages)
        stop = True
        await task
        return worst

    offloaded, inline = Guard(), _InlineGuard()
    offloaded.warm_up()
    inline.warm_up()
    off = asyncio.run(lag(offloaded))
    on = asyncio.run(lag(inline))
    print(
        f"\nevent-loop max gap (5 ms ticker) during 10 scans of 4 kB: offloaded {off * 1e3:.1f} ms"
        f" | inline {on * 1e3:.1f} ms"
    )


def test_sandbox_print_1() -> None:
    python = "/usr/bin/python3"
    peer = _measure(
        20,
        lambda: subprocess.run(
            [python, "-I", "-S", "-c", "print(1)"], check=True, capture_output=True
        ),
    )
    box = _measure(20, lambda: hexr.sandbox.exec("print(1)"))
    (pp50, _), (bp50, bp99) = _stats(peer), _stats(box)
    print(
        f"\nsandbox print(1): p50 {bp50:.1f} ms p99 {bp99:.1f} ms | plain subprocess p50 "
        f"{pp50:.1f} ms | ratio {bp50 / pp50:.2f}x"
    )


def test_browser_navigate_and_extract() -> None:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = b"<h1>bench</h1><p>hello</p>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    policy = EgressPolicy((f"127.0.0.1:{port}",))
    try:
        samples = _measure(
            4,
            lambda: browse(
                f"http://127.0.0.1:{port}/", [{"action": "extract_text"}], egress=policy
            ),
        )
    finally:
        server.shutdown()
    p50, _ = _stats(samples)
    print(f"\nbrowser navigate + extract_text (new Chromium per call): p50 {p50:.0f} ms")
