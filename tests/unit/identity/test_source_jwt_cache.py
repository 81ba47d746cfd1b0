"""IdentitySource's JWT-SVID cache bookkeeping, with the Workload API client stubbed."""

from __future__ import annotations

import threading

import pytest
from spiffe.errors import PySpiffeError

from hexr.errors import IdentityError
from hexr.identity import IdentitySource


class _FailingClient:
    def fetch_jwt_svid(self, audiences: set[str]) -> object:
        raise PySpiffeError("workload api refused")


def _source() -> IdentitySource:
    # Only the JWT path is exercised: no connection, no X.509 watcher.
    source = object.__new__(IdentitySource)
    source._lock = threading.Lock()
    source._jwt_cache = {}
    source._jwt_locks = {}
    source._timeout = 0.1
    source._client = _FailingClient()  # type: ignore[assignment]
    return source


def test_failed_fetches_leave_no_per_audience_state_behind() -> None:
    source = _source()
    for n in range(500):
        with pytest.raises(IdentityError):
            source.jwt_svid(f"spiffe://hexr.local/service/s{n}")
    assert source._jwt_cache == {}
    assert source._jwt_locks == {}  # one lock per audience ever asked would grow forever
