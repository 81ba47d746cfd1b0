from __future__ import annotations

import stat
from pathlib import Path

from hexr.endpoints import platform_file, published_env
from hexr_platform._state import ComponentRecord, PlatformState, remove_state


def _state() -> PlatformState:
    record = ComponentRecord(
        pid=123, start_time=456, ports={"port": 1}, address="x", log="/l", started_at=1.5
    )
    return PlatformState(
        {"valkey": record},
        {"HEXR_VALKEY_URL": "valkey://127.0.0.1:1", "NOT_PUBLISHED": "secret"},
    )


def test_save_load_roundtrip_and_mode(tmp_path: Path) -> None:
    _state().save(tmp_path)
    path = platform_file(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    loaded = PlatformState.load(tmp_path)
    assert loaded.components["valkey"].process.pid == 123
    assert loaded.components["valkey"].process.start_time == 456
    assert loaded.env == {"HEXR_VALKEY_URL": "valkey://127.0.0.1:1"}


def test_sdk_discovers_published_env(tmp_path: Path) -> None:
    _state().save(tmp_path)
    assert published_env(tmp_path) == {"HEXR_VALKEY_URL": "valkey://127.0.0.1:1"}


def test_corrupt_or_missing_file_reads_empty(tmp_path: Path) -> None:
    assert PlatformState.load(tmp_path).components == {}
    path = platform_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"components": {"valkey": {"pid": "x"}}}')
    assert PlatformState.load(tmp_path).components == {}
    path.write_text("not json")
    assert PlatformState.load(tmp_path).components == {}


def test_remove_is_idempotent(tmp_path: Path) -> None:
    _state().save(tmp_path)
    remove_state(tmp_path)
    remove_state(tmp_path)
    assert not platform_file(tmp_path).exists()


def test_published_env_returns_a_copy(tmp_path: Path) -> None:
    # The parsed file is cached per mtime: a caller's edit must not change later answers.
    _state().save(tmp_path)
    published_env(tmp_path)["HEXR_VALKEY_URL"] = "valkey://elsewhere:1"
    assert published_env(tmp_path) == {"HEXR_VALKEY_URL": "valkey://127.0.0.1:1"}


def test_malformed_published_env_reads_empty(tmp_path: Path) -> None:
    # Endpoint discovery runs inside every SDK client: a bad run file must not crash it.
    path = platform_file(tmp_path)
    path.parent.mkdir(parents=True)
    path.write_text('{"env": ["HEXR_VALKEY_URL"]}')
    assert published_env(tmp_path) == {}


def test_published_env_sees_a_rewrite_within_one_mtime_tick(tmp_path: Path) -> None:
    # `up` saves the run file several times within microseconds; on a filesystem with
    # coarse timestamps two versions share an mtime, and a reader of the first must
    # still see the second.
    import os

    state = _state()
    state.env = {}
    state.save(tmp_path)
    path = platform_file(tmp_path)
    first = path.stat()
    assert published_env(tmp_path) == {}
    _state().save(tmp_path)
    os.utime(path, ns=(first.st_atime_ns, first.st_mtime_ns))
    assert published_env(tmp_path) == {"HEXR_VALKEY_URL": "valkey://127.0.0.1:1"}
