from __future__ import annotations

import os
import socket

import pytest

from hexr.identity import SpiffeId
from hexr_identity._attest import (
    NotAttested,
    PeerCred,
    attest,
    peer_credentials,
    process_start_time,
)
from hexr_identity._registry import Entry, InMemoryRegistrationStore, RegistrationError

SID = SpiffeId.for_agent("acme", "planner")


def test_peer_credentials_are_the_kernels() -> None:
    left, right = socket.socketpair(socket.AF_UNIX)
    with left, right:
        cred = peer_credentials(left)
    assert (cred.pid, cred.uid, cred.gid) == (os.getpid(), os.getuid(), os.getgid())


def test_process_start_time() -> None:
    assert process_start_time(os.getpid()) == process_start_time(os.getpid())
    assert process_start_time(os.getpid()) > 0
    assert process_start_time(2**31 - 2) is None


def test_attest_matches_pid_start_time_and_uid() -> None:
    store = InMemoryRegistrationStore()
    me = PeerCred(os.getpid(), os.getuid(), os.getgid())
    with pytest.raises(NotAttested):
        attest(store, me)
    start = process_start_time(me.pid)
    assert start is not None
    store.add(Entry(SID, me.pid, start, uid=me.uid))
    assert attest(store, me).spiffe_id == SID
    with pytest.raises(NotAttested):
        attest(store, PeerCred(me.pid, me.uid + 1, me.gid))  # uid selector differs
    store.add(Entry(SID, me.pid, start - 1))  # as if the pid had been recycled
    with pytest.raises(NotAttested):
        attest(store, me)
    with pytest.raises(NotAttested):
        attest(store, PeerCred(0, 0, 0))  # peer in another pid namespace


def test_store_refuses_a_second_identity_and_overflow() -> None:
    store = InMemoryRegistrationStore(max_entries=1)
    store.add(Entry(SID, 10, 1))
    store.add(Entry(SID, 10, 1))  # same registration again is fine
    with pytest.raises(RegistrationError, match="already registered"):
        store.add(Entry(SpiffeId.for_agent("other", "x"), 10, 1))
    store.add(Entry(SpiffeId.for_agent("other", "x"), 10, 2))  # a new process on that pid
    with pytest.raises(RegistrationError, match="full"):
        store.add(Entry(SID, 11, 1))
    assert store.remove(10)
    assert not store.remove(10)
    assert store.entries() == []


def test_file_store_persists_entries(tmp_path) -> None:
    import stat

    from hexr_identity._registry import FileRegistrationStore

    path = tmp_path / "registrations.json"
    store = FileRegistrationStore(path)
    store.add(Entry(SID, 10, 1, uid=0))
    store.add(Entry(SpiffeId.for_service("gateway"), 11, 2))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    store.remove(11)
    reloaded = FileRegistrationStore(path)
    assert reloaded.entries() == [Entry(SID, 10, 1, uid=0)]
    path.write_text("{not json")
    assert FileRegistrationStore(path).entries() == []


def test_unpersistable_registration_is_refused_and_not_kept(tmp_path) -> None:
    from hexr_identity._registration import RegistrationServer
    from hexr_identity._registry import FileRegistrationStore

    store = FileRegistrationStore(tmp_path / "gone" / "registrations.json")  # cannot be written
    server = RegistrationServer(store, "hexr.local")
    answer = server._dispatch(
        b'{"op": "register", "spiffe_id": "spiffe://hexr.local/agent/acme/bot/main"}',
        os.getpid(),
    )
    assert answer == {"ok": False, "error": "registration could not be persisted"}
    assert store.get(os.getpid()) is None  # memory grants nothing the file does not hold


def test_registration_request_nested_past_the_decoder_limit_is_refused(tmp_path) -> None:
    from hexr_identity._registration import RegistrationServer

    server = RegistrationServer(InMemoryRegistrationStore(), "hexr.local")
    answer = server._dispatch(b"[" * 5000, os.getpid())
    assert answer == {"ok": False, "error": "request is not JSON"}
