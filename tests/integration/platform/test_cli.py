"""`hexr dev` through the real console script, as a user runs it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from hexr_platform import ProcessRef

HEXR = str(Path(sys.executable).with_name("hexr"))


def _hexr(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEXR_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [HEXR, "dev", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    try:
        yield tmp_path / "hexr"
    finally:
        _hexr(tmp_path / "hexr", "down")


def _components(home: Path) -> dict[str, dict[str, object]]:
    return json.loads((home / "run" / "platform.json").read_text())["components"]  # type: ignore[no-any-return]


def test_up_status_crash_restart_down(home: Path) -> None:
    began = time.perf_counter()
    up = _hexr(home, "up")
    elapsed = time.perf_counter() - began
    print(f"\n`hexr dev up` (fresh, all components, wall clock): {elapsed:.2f} s")
    assert up.returncode == 0, up.stdout + up.stderr
    assert "Hexr platform up" in up.stdout

    status = _hexr(home, "status")
    assert status.returncode == 0, status.stdout
    for name in ("valkey", "openbao", "collector", "prometheus", "alertmanager", "pushgateway"):
        assert any(line.split()[:2] == [name, "healthy"] for line in status.stdout.splitlines())

    env = _hexr(home, "env")
    assert env.returncode == 0
    assert "export HEXR_VALKEY_URL=valkey://127.0.0.1:" in env.stdout
    assert "export OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:" in env.stdout

    again = _hexr(home, "up")
    assert again.returncode == 0
    assert "already running" in again.stdout
    assert "nothing to do" in again.stdout

    record = _components(home)["valkey"]
    process = ProcessRef(int(record["pid"]), int(record["start_time"]))  # type: ignore[call-overload]
    os.killpg(process.pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while process.alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    crashed = _hexr(home, "status")
    assert crashed.returncode == 1
    assert any(line.split()[:2] == ["valkey", "crashed"] for line in crashed.stdout.splitlines())
    assert "valkey crashed — last lines of" in crashed.stdout
    assert "Ready to accept connections" in crashed.stdout  # the log tail itself

    restart = _hexr(home, "up")
    assert restart.returncode == 0
    assert "Restarted crashed: valkey" in restart.stdout
    assert _hexr(home, "status").returncode == 0

    pids = [int(rec["pid"]) for rec in _components(home).values()]  # type: ignore[call-overload]
    down = _hexr(home, "down")
    assert down.returncode == 0
    assert "Stopped:" in down.stdout
    for pid in pids:
        assert not Path(f"/proc/{pid}").exists() or "Z" in Path(f"/proc/{pid}/stat").read_text()
    assert not (home / "run" / "platform.json").exists()
    assert "was not running" in _hexr(home, "down").stdout
    stopped = _hexr(home, "status")
    assert stopped.returncode == 3
    assert "not running" in stopped.stdout
    assert _hexr(home, "env").returncode == 3


def test_unknown_component_is_a_clear_error(home: Path) -> None:
    result = _hexr(home, "up", "--component", "nope")
    assert result.returncode == 1
    assert "unknown component(s): nope" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_port_config_is_a_clear_error(home: Path) -> None:
    env = {**os.environ, "HEXR_HOME": str(home), "HEXR_DEV_PORTS": "valkey=notaport"}
    result = subprocess.run(
        [HEXR, "dev", "up"], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 1
    assert "HEXR_DEV_PORTS" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_bad_port_config_is_a_clear_error_for_watch_too(home: Path) -> None:
    env = {**os.environ, "HEXR_HOME": str(home), "HEXR_DEV_PORTS": "valkey=notaport"}
    result = subprocess.run(
        [HEXR, "dev", "watch"], env=env, capture_output=True, text=True, timeout=30, check=False
    )
    assert result.returncode == 1
    assert "HEXR_DEV_PORTS" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_single_component_up(home: Path) -> None:
    result = _hexr(home, "up", "-c", "valkey")
    assert result.returncode == 0, result.stdout
    assert list(_components(home)) == ["valkey"]


def test_watch_restarts_a_crashed_component(home: Path) -> None:
    assert _hexr(home, "up", "-c", "valkey", "-c", "pushgateway").returncode == 0
    env = {**os.environ, "HEXR_HOME": str(home), "NO_COLOR": "1"}
    watcher = subprocess.Popen(
        [HEXR, "dev", "watch", "--interval", "0.3"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        record = _components(home)["valkey"]
        old = ProcessRef(int(record["pid"]), int(record["start_time"]))  # type: ignore[call-overload]
        os.killpg(old.pid, signal.SIGKILL)
        deadline = time.monotonic() + 20
        new_pid = old.pid
        while time.monotonic() < deadline:
            new = _components(home)["valkey"]
            new_pid = int(new["pid"])  # type: ignore[call-overload]
            if new_pid != old.pid and ProcessRef.of(new_pid) is not None:
                break
            time.sleep(0.1)
        assert new_pid != old.pid, "watch did not restart valkey"
        assert _hexr(home, "status").returncode == 0
    finally:
        watcher.send_signal(signal.SIGINT)
        output, _ = watcher.communicate(timeout=10)
    assert "valkey had crashed — restarted" in output
    assert "Stopped watching; the platform keeps running." in output
    assert watcher.returncode == 0
    assert _hexr(home, "status").returncode == 0, "stopping the watcher leaves the platform up"
