"""Pushgateway clean-up: a malformed answer is logged, never raised at exit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from hexr.telemetry._prometheus import delete_stale_groups


@contextmanager
def _gateway(body: bytes) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    "body",
    [
        b"[]",
        b'{"data": "nope"}',
        b'{"data": ["a group"]}',
        b'{"data": [{"labels": ["job", "hexr"]}]}',
        b'{"data": [{"labels": {"job": "hexr", "agent": "a"}, "push_time_seconds": []}]}',
    ],
)
def test_a_malformed_group_listing_deletes_nothing_and_does_not_raise(body: bytes) -> None:
    with _gateway(body) as url:
        keep = {"instance": "h:1", "agent": "a"}
        assert delete_stale_groups(url, "hexr", keep, older_than_s=0.0, timeout=2.0) == 0
