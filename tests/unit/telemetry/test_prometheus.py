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


@contextmanager
def _not_http() -> Iterator[str]:
    """A TCP server that answers every connection with bytes that are not HTTP."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.recv(65536)
                conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()


def test_a_push_to_something_that_is_not_a_pushgateway_fails_quietly() -> None:
    from prometheus_client import CollectorRegistry

    from hexr.telemetry._prometheus import push_metrics

    keep = {"instance": "h:1", "agent": "a"}
    with _not_http() as address:
        assert push_metrics(address, "hexr", CollectorRegistry(), keep, 2.0) is False
        assert delete_stale_groups(address, "hexr", keep, older_than_s=0.0, timeout=2.0) == 0
    assert push_metrics("pgw:90x1", "hexr", CollectorRegistry(), keep, 2.0) is False
    assert delete_stale_groups("pgw:90x1", "hexr", keep, older_than_s=0.0, timeout=2.0) == 0


def test_an_idle_connection_to_metrics_is_closed(monkeypatch: pytest.MonkeyPatch) -> None:
    # Without a socket timeout every idle connection holds a server thread forever.
    import socket

    from prometheus_client import CollectorRegistry

    from hexr.telemetry import TelemetrySettings
    from hexr.telemetry._prometheus import _QuietHandler, serve_metrics

    assert 0 < _QuietHandler.timeout <= 30
    monkeypatch.setattr(_QuietHandler, "timeout", 0.2)
    server = serve_metrics(CollectorRegistry(), TelemetrySettings(metrics_port=0))
    assert server is not None
    try:
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as idle:
            assert idle.recv(1024) == b""  # closed by the server, not by our timeout
    finally:
        server.close()


def test_metrics_can_be_served_on_an_ipv6_address() -> None:
    # metrics.host accepts IPv6 addresses (e.g. "::" on dual-stack clusters).
    import httpx
    from prometheus_client import CollectorRegistry, Counter

    from hexr.telemetry import TelemetrySettings
    from hexr.telemetry._prometheus import serve_metrics

    registry = CollectorRegistry()
    Counter("hexr_test_v6", "test", registry=registry).inc()
    server = serve_metrics(registry, TelemetrySettings(metrics_port=0, metrics_host="::1"))
    assert server is not None
    try:
        assert server.url == f"http://[::1]:{server.port}/metrics"
        response = httpx.get(server.url, timeout=5)
        assert response.status_code == 200
        assert "hexr_test_v6_total 1.0" in response.text
    finally:
        server.close()
