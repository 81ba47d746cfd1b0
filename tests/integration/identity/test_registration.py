"""The registration API and the launcher: the trusted path to an identity."""

from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hexr.errors import IdentityError
from hexr.identity import IdentitySource
from hexr_identity.registration_client import list_entries, register


def _entries(service) -> dict[int, str]:
    return {e["pid"]: e["spiffe_id"] for e in list_entries(service.registration_socket)}


def test_socket_modes(identity_service) -> None:
    reg = Path(identity_service.registration_socket)
    assert stat.S_IMODE(reg.stat().st_mode) == 0o600
    assert stat.S_IMODE(reg.parent.stat().st_mode) == 0o700
    workload = Path(identity_service.socket_path)
    assert stat.S_IMODE(workload.stat().st_mode) == 0o666
    state = Path(identity_service.home, "identity", "hexr.local")
    assert stat.S_IMODE(state.stat().st_mode) == 0o700
    assert stat.S_IMODE((state / "authorities.json").stat().st_mode) == 0o600


def test_launched_child_keeps_its_pid_and_gets_the_identity(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "launched", "worker")
    code = (
        "import os; from hexr.identity import try_current_spiffe_id;"
        "print(os.getpid(), try_current_spiffe_id(5), os.environ['SPIFFE_ENDPOINT_SOCKET'],"
        " os.environ.get('HEXR_IDENTITY_REGISTRATION_SOCKET'))"
    )
    child = identity_service.spawn(
        sid,
        [sys.executable, "-c", code],
        env={"HEXR_IDENTITY_REGISTRATION_SOCKET": identity_service.registration_socket},
        stdout=subprocess.PIPE,
    )
    out, _ = child.communicate(timeout=30)
    pid, spiffe_id, endpoint, registration = out.decode().split()
    assert registration == "None"  # the launcher does not hand the workload the admin API
    assert int(pid) == child.pid  # exec kept the registered pid
    assert spiffe_id == str(sid)
    assert endpoint == identity_service.endpoint


def test_launcher_refuses_foreign_trust_domain_and_runs_nothing(identity_service, tmp_path) -> None:
    marker = tmp_path / "ran"
    child = identity_service.spawn(
        "spiffe://evil.example/agent/acme/x/main",
        [sys.executable, "-c", f"open({str(marker)!r}, 'w').close()"],
        stderr=subprocess.PIPE,
    )
    _, err = child.communicate(timeout=30)
    assert child.returncode == 1
    assert b"trust domain" in err
    assert not marker.exists()


def test_entries_of_dead_processes_are_collected(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "mortal")
    child = identity_service.spawn(sid, [sys.executable, "-c", "import time; time.sleep(30)"])
    deadline = time.time() + 10
    while child.pid not in _entries(identity_service) and time.time() < deadline:
        time.sleep(0.05)
    assert _entries(identity_service)[child.pid] == str(sid)
    child.kill()
    child.wait(5)
    while child.pid in _entries(identity_service) and time.time() < deadline:
        time.sleep(0.1)
    assert child.pid not in _entries(identity_service)


def test_registration_rejects_bad_requests(identity_service) -> None:
    with pytest.raises(IdentityError, match="invalid"):
        register(identity_service.registration_socket, "spiffe://hexr.local/agent/../x/main")
    with pytest.raises(IdentityError, match="no process"):
        register(
            identity_service.registration_socket, "spiffe://hexr.local/service/x", pid=2**31 - 2
        )
    own = identity_service.spiffe_id("acme", "first")
    other = identity_service.spiffe_id("acme", "second")
    with (
        identity_service.as_workload(own),
        pytest.raises(IdentityError, match="already registered"),
    ):
        identity_service.register(os.getpid(), other)

    def raw(payload: bytes) -> dict:
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(5)
            sock.connect(identity_service.registration_socket)
            sock.sendall(payload)
            return json.loads(sock.makefile("rb").readline())

    assert raw(b"not json\n") == {"ok": False, "error": "request is not JSON"}
    assert raw(b'{"op": "drop-table"}\n') == {"ok": False, "error": "unknown op"}
    assert raw(b'{"op": "unregister", "pid": true}\n')["ok"] is False
    assert raw(b'{"op": "register", "spiffe_id": "x' + b"x" * 70000 + b'"}\n')["ok"] is False


def test_uid_selector_must_match_the_callers_uid(identity_service, monkeypatch) -> None:
    from spiffe import WorkloadApiClient
    from spiffe.workloadapi.errors import FetchX509SvidError

    sid = identity_service.spiffe_id("acme", "uid-bound")
    monkeypatch.setenv("SPIFFE_ENDPOINT_SOCKET", identity_service.endpoint)
    try:
        identity_service.register(os.getpid(), sid, uid=os.getuid() + 1)
        with WorkloadApiClient(identity_service.endpoint) as client:
            with pytest.raises(FetchX509SvidError, match="PERMISSION_DENIED"):
                client.fetch_x509_svid(timeout=5)
            identity_service.unregister(os.getpid())
            identity_service.register(os.getpid(), sid, uid=os.getuid())
            assert str(client.fetch_x509_svid(timeout=5).spiffe_id) == str(sid)
    finally:
        identity_service.unregister(os.getpid())


def test_registrations_and_ca_survive_a_service_restart(identity_service_factory) -> None:
    from spiffe import TrustDomain, WorkloadApiClient

    service = identity_service_factory()
    sid = service.spiffe_id("acme", "survivor")
    with service.as_workload(sid), IdentitySource(service.endpoint) as source:
        with WorkloadApiClient(service.endpoint) as client:
            before = client.fetch_x509_context(timeout=5)
        token = source.jwt_svid("vault")
        service.restart()
        # A long-lived source keeps working across the restart: its channel reconnects and
        # UNAVAILABLE during grpc's reconnect backoff is retried, not raised.
        assert source.validate_jwt_svid(token, "vault")["sub"] == str(sid)
        with IdentitySource(service.endpoint) as fresh:
            after = fresh.x509_context()
    assert str(after.default_svid.spiffe_id) == str(sid)
    td = TrustDomain("hexr.local")
    assert (
        before.x509_bundle_set.get_bundle_for_trust_domain(td).x509_authorities
        == after.x509_bundle_set.get_bundle_for_trust_domain(td).x509_authorities
    )
