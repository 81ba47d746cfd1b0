"""mTLS between two registered identities: authorized peers connect, others fail."""

from __future__ import annotations

import asyncio
import socket
import ssl
import subprocess
import sys
from pathlib import Path

import pytest

from hexr.identity import IdentitySource, authorize_id, peer_spiffe_id

_SERVER = Path(__file__).with_name("mtls_echo_server.py")


@pytest.fixture(scope="module")
def echo_server(identity_service):
    server_id = identity_service.spiffe_id("tenant-b", "echo")
    proc = identity_service.spawn(server_id, [sys.executable, str(_SERVER)], stdout=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        assert line, "echo server did not start"
        yield server_id, int(line)
    finally:
        proc.kill()
        proc.wait(timeout=5)
        proc.stdout.close()


def _exchange(context: ssl.SSLContext, port: int) -> tuple[str, bytes]:
    """Say hi; return the server's SPIFFE ID and its answer (b"" when it hung up)."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=5) as raw,
        context.wrap_socket(raw) as tls,
    ):
        peer = str(peer_spiffe_id(tls)) if context.verify_mode == ssl.CERT_REQUIRED else ""
        tls.sendall(b"hi")
        return peer, tls.recv(256)


def _rejected_by_server(context: ssl.SSLContext, port: int) -> bool:
    # TLS 1.3: the client completes its side first and learns of the rejection when it
    # reads (an alert or a closed connection), never as an answer.
    try:
        _, answer = _exchange(context, port)
    except (ssl.SSLError, ConnectionError):
        return True
    return answer == b""


def test_authorized_identities_connect(identity_service, echo_server) -> None:
    server_id, port = echo_server
    client_id = identity_service.spiffe_id("tenant-a", "caller")
    with identity_service.as_workload(client_id), IdentitySource() as source:
        peer, answer = _exchange(source.client_ssl_context(authorize_id(server_id)), port)
    assert peer == str(server_id)
    assert answer.decode() == f"hello {client_id}"


def test_client_rejects_a_server_with_another_id(identity_service, echo_server) -> None:
    _, port = echo_server
    expected = identity_service.spiffe_id("tenant-b", "someone-else")
    caller = identity_service.spiffe_id("tenant-a", "caller")
    with identity_service.as_workload(caller), IdentitySource() as source:
        context = source.client_ssl_context(authorize_id(expected))
        with pytest.raises(ssl.SSLCertVerificationError, match="not authorized"):
            _exchange(context, port)


def test_server_rejects_a_client_of_another_tenant(identity_service, echo_server) -> None:
    server_id, port = echo_server
    intruder = identity_service.spiffe_id("tenant-c", "intruder")
    with identity_service.as_workload(intruder), IdentitySource() as source:
        assert _rejected_by_server(source.client_ssl_context(authorize_id(server_id)), port)


def test_client_without_svid_is_rejected(echo_server) -> None:
    _, port = echo_server
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    assert _rejected_by_server(context, port)


async def test_asyncio_client_authorizes_the_server(identity_service, echo_server) -> None:
    server_id, port = echo_server
    caller = identity_service.spiffe_id("tenant-a", "async")
    with identity_service.as_workload(caller), IdentitySource() as source:
        good = source.client_ssl_context(authorize_id(server_id))
        reader, writer = await asyncio.open_connection("127.0.0.1", port, ssl=good)
        writer.write(b"hi")
        answer = await reader.read(256)
        writer.close()
        assert answer.decode() == f"hello {caller}"
        other = identity_service.spiffe_id("tenant-b", "other")
        bad = source.client_ssl_context(authorize_id(other))
        with pytest.raises(ssl.SSLCertVerificationError):
            await asyncio.open_connection("127.0.0.1", port, ssl=bad)


# spiffe-tls 0.4 itself calls deprecated py-spiffe / pyOpenSSL APIs; not ours to fix.
@pytest.mark.filterwarnings("ignore::DeprecationWarning")
def test_spiffe_tls_client_interoperates(identity_service, echo_server) -> None:
    """The ecosystem's spiffe-tls (pyOpenSSL), unchanged, with SVIDs from our service."""
    from spiffe import SpiffeId as PySpiffeId
    from spiffe import X509Source
    from spiffetls import dial
    from spiffetls.errors import TLSConnectionError
    from spiffetls.tlsconfig.authorize import authorize_id as spiffetls_authorize_id

    server_id, port = echo_server
    caller = identity_service.spiffe_id("tenant-a", "spiffetls")
    with identity_service.as_workload(caller):
        source = X509Source(socket_path=identity_service.endpoint, timeout_in_seconds=5)
        try:
            conn = dial(
                f"127.0.0.1:{port}",
                source,
                authorize_fn=spiffetls_authorize_id(PySpiffeId(str(server_id))),
            )
            try:
                conn.sendall(b"hi")
                assert conn.recv(256).decode() == f"hello {caller}"
            finally:
                conn.close()
            wrong = PySpiffeId(str(identity_service.spiffe_id("tenant-b", "other")))
            with pytest.raises(TLSConnectionError):
                dial(f"127.0.0.1:{port}", source, authorize_fn=spiffetls_authorize_id(wrong))
        finally:
            source.close()
