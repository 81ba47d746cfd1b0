"""Issue 17, finding 6: a registered process that exited (still an unreaped zombie, so its
pid and start time still match) is no longer attested, whoever holds its connection."""

from __future__ import annotations

import os
import subprocess
import time

import pytest

from hexr.identity import SpiffeId
from hexr_identity._attest import NotAttested, PeerCred, attest, is_running, process_start_time
from hexr_identity._registry import Entry, InMemoryRegistrationStore

SID = SpiffeId.parse("spiffe://hexr.local/agent/acme/parent/main")


def test_zombie_parent_is_refused_while_alive_one_is_attested() -> None:
    child = subprocess.Popen(["sleep", "30"])
    try:
        start = process_start_time(child.pid)
        assert start is not None
        store = InMemoryRegistrationStore()
        store.add(Entry(SID, child.pid, start))
        peer = PeerCred(child.pid, os.getuid(), os.getgid())
        assert attest(store, peer).spiffe_id == SID
        child.kill()
        # Not reaped: the kernel keeps it as a zombie with the same pid and start time.
        for _ in range(500):
            if not is_running(child.pid):
                break
            time.sleep(0.01)
        assert process_start_time(child.pid) == start  # the old check alone would pass
        with pytest.raises(NotAttested, match="no longer running"):
            attest(store, peer)
    finally:
        child.kill()
        child.wait()
    assert not is_running(child.pid)
