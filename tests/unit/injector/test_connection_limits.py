"""Issue 17, finding 2: header, body, keep-alive, TLS handshake and connection-count bounds.

The injector's own uvicorn settings (`server_config`, `BoundedServer`) serve the real app
on a loopback port; raw sockets play the slow or idle client. Each bound is 0.5 s here.
"""

from __future__ import annotations

import contextlib
import datetime
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hexr_injector import InjectorSettings, build_service, create_app, load_config
from hexr_injector.__main__ import _listen_socket, connection_limits, server_config
from hexr_injector._connection_limits import BoundedServer
from tests.fixtures.injector import TokenMint

BOUND = 0.5
MAX_CONNECTIONS = 4


def _self_signed(directory: Path) -> ssl.SSLContext:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(1)
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(hours=1))
            .sign(key, hashes.SHA256()))
    (directory / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (directory / "key.pem").write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(directory / "cert.pem", directory / "key.pem")
    return context


def _serve(tmp_path: Path, token_mint: TokenMint, tls: bool) -> Iterator[int]:
    config_path = tmp_path / "injector.yaml"
    config_path.write_text("issuer: http://127.0.0.1:1\n")
    settings = InjectorSettings(
        state_dir=tmp_path / "state", body_timeout_s=BOUND, header_timeout_s=BOUND,
        handshake_timeout_s=BOUND, keep_alive_s=1, max_connections=MAX_CONNECTIONS,
    )
    service = build_service(settings, load_config(config_path), jwks=token_mint.fetch_jwks)
    uv_config = server_config(create_app(settings, service=service), settings)
    uv_config.load()
    if tls:
        uv_config.ssl = _self_signed(tmp_path)
    sock = _listen_socket("127.0.0.1", 0)
    server = BoundedServer(uv_config, connection_limits(settings))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    try:
        yield sock.getsockname()[1]
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture(scope="module")
def plain_port(tmp_path_factory: pytest.TempPathFactory, token_mint: TokenMint) -> Iterator[int]:
    yield from _serve(tmp_path_factory.mktemp("plain"), token_mint, tls=False)


def _closed_by_server(sock: socket.socket, within: float = 5.0) -> bytes:
    """Everything the server sends until it closes (raises on a stall beyond ``within``)."""
    sock.settimeout(within)
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def _health_answer(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    answer = b""
    while not answer.endswith(b'"ok"}'):
        answer += sock.recv(4096)
    return answer


def test_slow_headers_are_cut_off(plain_port: int) -> None:
    with socket.create_connection(("127.0.0.1", plain_port)) as sock:
        sock.sendall(b"POST /exchange HTTP/1.1\r\nhost: x\r\n")  # headers never finished
        assert _closed_by_server(sock) == b""


def test_connection_that_sends_nothing_is_closed(plain_port: int) -> None:
    with socket.create_connection(("127.0.0.1", plain_port)) as sock:
        assert _closed_by_server(sock) == b""


def test_slow_body_gets_408(plain_port: int) -> None:
    with socket.create_connection(("127.0.0.1", plain_port)) as sock:
        sock.sendall(b"POST /exchange HTTP/1.1\r\nhost: x\r\ncontent-length: 100\r\n\r\n{")
        answer = _closed_by_server(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"request_timeout"' in answer


def test_idle_keep_alive_is_closed_and_each_request_gets_a_header_deadline(
    plain_port: int,
) -> None:
    with socket.create_connection(("127.0.0.1", plain_port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        assert _health_answer(sock).startswith(b"HTTP/1.1 200 ")
        sock.sendall(b"GET /healthz HTTP/1.1\r\n")  # a second, never finished request
        assert _closed_by_server(sock) == b""
    with socket.create_connection(("127.0.0.1", plain_port)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        assert _health_answer(sock).startswith(b"HTTP/1.1 200 ")
        assert _closed_by_server(sock) == b""  # idle after the answer: keep-alive bound


def test_connections_beyond_the_cap_are_closed_at_once(plain_port: int) -> None:
    held = [socket.create_connection(("127.0.0.1", plain_port)) for _ in range(MAX_CONNECTIONS)]
    try:
        time.sleep(0.1)  # let the server accept them all
        with socket.create_connection(("127.0.0.1", plain_port)) as extra:
            extra.sendall(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
            try:
                answer = _closed_by_server(extra, within=BOUND / 2)
            except ConnectionResetError:
                answer = b""
        assert answer == b""  # closed without an answer, well before the header deadline
    finally:
        for sock in held:
            sock.close()


def test_stalled_tls_handshake_is_aborted(
    tmp_path: Path, token_mint: TokenMint
) -> None:
    for port in _serve(tmp_path, token_mint, tls=True):
        # A TCP connection that never starts its TLS handshake.
        with (socket.create_connection(("127.0.0.1", port)) as sock,
              contextlib.suppress(ConnectionResetError)):
            assert _closed_by_server(sock) == b""
