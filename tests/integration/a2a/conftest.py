"""Helpers of the A2A integration tests: the test process as an A2A caller workload."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.fixtures.a2a import mtls

__all__ = ["ECHO_POLICY", "message", "mtls", "rpc"]

# The shared echo sidecar lets one partner of tenant beta in (see test_security).
ECHO_POLICY = {"cross_tenant": [{"tenant": "beta", "agents": ["partner"]}]}


def free_port() -> int:
    """A free loopback TCP port."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def push_receiver() -> Iterator[str]:
    """A loopback HTTP server recording push notifications (``test_push.Receiver``)."""
    from tests.integration.a2a.test_push import Receiver

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.fixture(scope="session")
def echo(a2a_session_sidecars: Any, push_receiver: str) -> Any:
    """The session's echo agent sidecar (tenant acme), with ``ECHO_POLICY``, push allowed to
    ``push_receiver`` only; its Prometheus endpoint is ``echo.metrics_url``."""
    port = free_port()
    env = {
        "HEXR_METRICS_PORT": str(port),
        "HEXR_A2A_PUSH_ALLOW": push_receiver.removeprefix("http://"),
    }
    handle = a2a_session_sidecars("echo", policy=ECHO_POLICY, env=env)
    handle.metrics_url = f"http://127.0.0.1:{port}/metrics"
    return handle


@pytest.fixture(scope="session")
def chat(a2a_session_sidecars: Any) -> Any:
    """The session's chat agent sidecar (direct messages)."""
    return a2a_session_sidecars("chat")


def rpc(client: httpx.Client, url: str, method: str, params: Any, **kw: Any) -> dict[str, Any]:
    """One JSON-RPC 1.0 call; the decoded answer."""
    body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
    headers = {"A2A-Version": "1.0", **kw.pop("headers", {})}
    answer = client.post(f"{url}/a2a/jsonrpc", json=body, headers=headers, **kw)
    result: dict[str, Any] = answer.json()
    return result


def message(text: str, **fields: Any) -> dict[str, Any]:
    """A JSON SendMessage params object for ``text``."""
    import uuid

    msg = {"role": "ROLE_USER", "messageId": uuid.uuid4().hex, "parts": [{"text": text}], **fields}
    return {"message": msg}
