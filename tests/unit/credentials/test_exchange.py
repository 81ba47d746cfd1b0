"""InjectorClient against a real loopback HTTP server answering what each case needs."""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from hexr.credentials._exchange import InjectorClient
from hexr.errors import CredentialError, PolicyDenied


class Injectorish:
    """A loopback server whose next answer is set by the test; records requests."""

    def __init__(self) -> None:
        self.status = 200
        self.body: bytes = b"{}"
        self.requests: list[dict[str, Any]] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length", "0"))
                outer.requests.append({
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": json.loads(self.rfile.read(length) or b"{}"),
                })
                self.send_response(outer.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(outer.body)))
                self.end_headers()
                self.wfile.write(outer.body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def answer(self, status: int, body: Any) -> None:
        self.status = status
        self.body = body if isinstance(body, bytes) else json.dumps(body).encode()


@pytest.fixture
def injector() -> Iterator[Injectorish]:
    server = Injectorish()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.thread.join(timeout=5)


class Identity:
    def __init__(self) -> None:
        self.audiences: list[str] = []

    def jwt_svid(self, audience: str) -> str:
        self.audiences.append(audience)
        return "header.claims.signature"


KEY = base64.b64encode(b"k" * 32).decode()
GOOD = {"credential": {"kind": "token", "values": {"token": "tok-1"}, "expires_at": 2e9},
        "sealing_key": KEY}


def client(url: str, identity: Any = None) -> InjectorClient:
    return InjectorClient(url, identity or Identity(), audience="spiffe://td/service/ci")


def test_exchange_sends_jwt_svid_body_and_trace_context(injector: Injectorish) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider

    identity = Identity()
    injector.answer(200, GOOD)
    tracer = TracerProvider().get_tracer("t")
    with tracer.start_as_current_span("caller") as span:
        credential, key = client(injector.url, identity).exchange("github", "eu-west-1")
        trace_id = f"{span.get_span_context().trace_id:032x}"
    assert credential.values["token"] == "tok-1"
    assert key == b"k" * 32
    sent = injector.requests[-1]
    assert sent["path"] == "/exchange"
    assert sent["body"] == {"service": "github", "region": "eu-west-1"}
    assert sent["headers"]["authorization"] == "Bearer header.claims.signature"
    assert trace_id in sent["headers"]["traceparent"]
    assert identity.audiences == ["spiffe://td/service/ci"]
    assert trace.get_current_span() is not None


def test_403_is_policy_denied(injector: Injectorish) -> None:
    injector.answer(403, {"error": {"code": "permission_denied", "message": "no grant"}})
    with pytest.raises(PolicyDenied, match="no grant"):
        client(injector.url).exchange("aws_s3", "us-east-1")


@pytest.mark.parametrize(
    ("status", "body", "match"),
    [
        (502, {"error": {"code": "provider_failed", "message": "STS down"}}, "502: STS down"),
        (401, {"error": {"code": "unauthenticated", "message": "expired"}}, "401: expired"),
        (500, b"<html>boom</html>", "500: no details"),
        (200, b"not json", "not a JSON object"),
        (200, {"credential": {"kind": "magic", "values": {}, "expires_at": 1}}, "unknown kind"),
        (200, {"credential": {"kind": "token", "values": {}, "expires_at": 1}}, "misses"),
        (200, {"credential": {"kind": "token", "values": {"token": "x"}}}, "no expiry"),
        # JSON's Infinity / NaN (and 1e400) would cache forever, or never, and break L2's TTL.
        (200, b'{"credential": {"kind": "token", "values": {"token": "x"}, "expires_at": '
              b"Infinity}}", "no expiry"),
        (200, b'{"credential": {"kind": "token", "values": {"token": "x"}, "expires_at": '
              b"NaN}}", "no expiry"),
        (200, b'{"credential": {"kind": "token", "values": {"token": "x"}, "expires_at": '
              b"1e400}}", "no expiry"),
        (200, b'{"credential": {"kind": "token", "values": {"token": "x"}, "expires_at": 1'
              + b"0" * 400 + b"}}", "no expiry"),
        (200, {**GOOD, "sealing_key": "short"}, "sealing key"),
        (200, {"credential": GOOD["credential"], "pad": "x" * 70000}, "too large"),
        (200, b"[" * 5000, "not a JSON object"),  # nested past the decoder's limit
    ],
)
def test_failures_are_credential_errors(
    injector: Injectorish, status: int, body: Any, match: str
) -> None:
    injector.answer(status, body)
    with pytest.raises(CredentialError, match=match):
        client(injector.url).exchange("aws_s3", "us-east-1")


def test_unreachable_injector_is_credential_error() -> None:
    with pytest.raises(CredentialError, match="unreachable"):
        client("http://127.0.0.1:9").exchange("aws_s3", "us-east-1")


def test_identity_failure_is_credential_error(injector: Injectorish) -> None:
    class Broken:
        def jwt_svid(self, audience: str) -> str:
            raise RuntimeError("workload api down")

    with pytest.raises(CredentialError, match="no JWT-SVID"):
        client(injector.url, Broken()).exchange("aws_s3", "us-east-1")
    assert injector.requests == []


def test_sealing_key_route(injector: Injectorish) -> None:
    injector.answer(200, {"sealing_key": KEY})
    assert client(injector.url).sealing_key() == b"k" * 32
    assert injector.requests[-1]["path"] == "/sealing-key"
    injector.answer(200, {})
    with pytest.raises(CredentialError):
        client(injector.url).sealing_key()


def test_non_http_url_is_rejected() -> None:
    with pytest.raises(CredentialError):
        client("ftp://example")


def test_endless_answer_is_cut_at_the_bound() -> None:
    class Endless(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", "0")))
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            try:
                for _ in range(100_000):  # ~6 GiB, slowly: never read whole
                    chunk = b"x" * 65536
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    time.sleep(0.01)
            except OSError:
                return

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Endless)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}"
        started = time.monotonic()
        with pytest.raises(CredentialError, match="too large"):
            client(url).exchange("aws_s3", "us-east-1")
        assert time.monotonic() - started < 5
    finally:
        server.shutdown()
        thread.join(timeout=5)
