"""ahexr_tool: an httpx.AsyncClient whose auth awaits the cache, so the loop never stalls.

The injector here is a loopback server speaking its wire protocol (``POST /exchange``)
that takes `DELAY` seconds to answer, like a slow provider exchange; the API the client
then calls is the same server (``GET /api`` echoes the credential it was sent).
"""

from __future__ import annotations

import asyncio
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from hexr.credentials import ahexr_tool
from hexr.credentials._broker import CredentialBroker
from hexr.credentials._exchange import InjectorClient

DELAY = 0.6


class SlowInjector:
    """Loopback injector whose exchanges take `DELAY` s; counts them."""

    def __init__(self) -> None:
        self.exchanges = 0
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", "0")))
                outer.exchanges += 1
                time.sleep(DELAY)
                credential = {"kind": "token", "expires_at": time.time() + 3600,
                              "values": {"token": "tok-1", "base_url": outer.url}}
                self._send({"credential": credential})

            def do_GET(self) -> None:
                self._send({"authorization": self.headers.get("authorization")})

            def _send(self, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()


class Identity:
    def jwt_svid(self, audience: str) -> str:
        return "header.claims.signature"


@pytest.fixture
def injector() -> Iterator[SlowInjector]:
    server = SlowInjector()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.thread.join(timeout=5)


class LoopLag:
    """The longest gap between 5 ms ticks of the running loop while it is measured."""

    def __init__(self) -> None:
        self.worst = 0.0
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> LoopLag:
        self._task = asyncio.create_task(self._tick())
        await asyncio.sleep(0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._task is not None
        self._task.cancel()

    async def _tick(self) -> None:
        last = time.perf_counter()
        while True:
            await asyncio.sleep(0.005)
            now = time.perf_counter()
            self.worst = max(self.worst, now - last - 0.005)
            last = now


async def test_loop_stays_responsive_while_ahexr_tool_exchanges(injector: SlowInjector) -> None:
    broker = CredentialBroker(
        "spiffe://hexr.local/agent/acme/bot/main",
        InjectorClient(injector.url, Identity(), audience="spiffe://hexr.local/service/ci"),
    )
    async with LoopLag() as during_tool:
        client = await ahexr_tool("weather", broker=broker)  # L3 miss: a slow exchange
    assert isinstance(client, httpx.AsyncClient)
    broker.cache.clear()  # so the request's auth misses too and awaits a new exchange
    async with LoopLag() as during_request, client:
        answer = await client.get("/api")
    assert answer.json() == {"authorization": "Bearer tok-1"}
    assert injector.exchanges == 2
    # The same miss done the blocking way, on the loop: what the lag meter sees then.
    broker.cache.clear()
    async with LoopLag() as blocking:
        broker.lookup("weather", "us-east-1")
        await asyncio.sleep(0.01)
    print(f"\nloop lag: ahexr_tool {during_tool.worst * 1000:.1f} ms, request "
          f"{during_request.worst * 1000:.1f} ms, blocking lookup {blocking.worst * 1000:.1f} ms"
          f" (exchange {DELAY * 1000:.0f} ms)")
    assert blocking.worst >= DELAY * 0.9
    assert during_tool.worst < DELAY / 2
    assert during_request.worst < DELAY / 2
    broker.close()
