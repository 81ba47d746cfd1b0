from __future__ import annotations

import json
from pathlib import Path

import pytest

from hexr import _env
from hexr.errors import IdentityError
from hexr.identity._address import resolve_socket


def _publish(home: Path, socket: str) -> None:
    (home / "run").mkdir(parents=True)
    (home / "run" / "platform.json").write_text(
        json.dumps({"env": {_env.SPIFFE_ENDPOINT_SOCKET: socket}})
    )


def test_precedence_explicit_env_platform(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(_env.HEXR_HOME, str(tmp_path))
    monkeypatch.delenv(_env.SPIFFE_ENDPOINT_SOCKET, raising=False)
    with pytest.raises(IdentityError, match="no Workload API configured"):
        resolve_socket()
    _publish(tmp_path, "unix:///platform.sock")
    assert resolve_socket() == "unix:///platform.sock"
    monkeypatch.setenv(_env.SPIFFE_ENDPOINT_SOCKET, "/env.sock")
    assert resolve_socket() == "unix:///env.sock"
    assert resolve_socket("unix:///explicit.sock") == "unix:///explicit.sock"


def test_non_unix_addresses_are_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(IdentityError, match="unix"):
        resolve_socket("tcp://127.0.0.1:8081")
    with pytest.raises(IdentityError, match="unix"):
        resolve_socket("relative/path.sock")
