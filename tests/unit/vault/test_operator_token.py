"""Where operator commands find their vault token, and the checks on a token file."""

import os
from pathlib import Path
from typing import Any

import pytest

from hexr.errors import ConfigError
from hexr_vault import operator_token


def test_mode_is_checked_on_the_file_that_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("HEXR_VAULT_TOKEN", raising=False)
    path = tmp_path / "token"
    path.write_text("private-token")
    path.chmod(0o600)
    shared = tmp_path / "shared"
    shared.write_text("world-readable-token")
    shared.chmod(0o644)
    real_stat = Path.stat

    def stat_then_swap(self: Path, **kwargs: Any) -> os.stat_result:
        # A world-readable file replaces the checked one right after a stat() of the path.
        result = real_stat(self, **kwargs)
        if self == path and shared.exists():
            os.replace(shared, path)
        return result

    monkeypatch.setattr(Path, "stat", stat_then_swap)
    try:
        token: str | None = operator_token(path)
    except ConfigError:  # refusing is fine too; returning the unchecked file's token is not
        token = None
    assert token in (None, "private-token")


def test_world_readable_file_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HEXR_VAULT_TOKEN", raising=False)
    path = tmp_path / "token"
    path.write_text("t")
    path.chmod(0o640)
    with pytest.raises(ConfigError, match="readable by others"):
        operator_token(path)
    path.chmod(0o600)
    assert operator_token(path) == "t"


def test_explicit_token_file_wins_over_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # `--token-file` is documented as "else $HEXR_VAULT_TOKEN": an explicit argument first.
    monkeypatch.setenv("HEXR_VAULT_TOKEN", "token-from-env")
    path = tmp_path / "token"
    path.write_text("token-from-file\n")
    path.chmod(0o600)
    assert operator_token(path) == "token-from-file"
    assert operator_token() == "token-from-env"
