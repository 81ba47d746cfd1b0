from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from hexr_platform import ProcessRef
from hexr_platform._process import spawn_detached

# A parent that forks a grandchild, then both sleep: `stop` must take the whole group.
_FAMILY = "import os, time\nif os.fork() == 0:\n    time.sleep(60)\nelse:\n    time.sleep(60)\n"


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
def family(tmp_path: Path):
    proc, ref = spawn_detached(
        [sys.executable, "-c", _FAMILY], log_path=tmp_path / "log", cwd=tmp_path, env=os.environ
    )
    try:
        yield ref
    finally:
        ref.stop(grace_s=0.5)
        proc.wait(timeout=5)


def test_spawned_process_leads_its_own_group(family: ProcessRef) -> None:
    assert os.getpgid(family.pid) == family.pid
    assert os.getsid(family.pid) == family.pid
    assert family.alive()


def test_stop_kills_the_whole_group(family: ProcessRef) -> None:
    time.sleep(0.1)  # let the grandchild fork
    family.stop(grace_s=2.0)
    assert not family.alive()
    deadline = time.monotonic() + 3
    while _group_alive(family.pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not _group_alive(family.pid)
    family.stop()  # idempotent


def test_reused_pid_is_not_mistaken_for_ours(family: ProcessRef) -> None:
    # Same pid, different start time: what a recycled pid looks like.
    impostor = ProcessRef(family.pid, family.start_time + 1)
    assert not impostor.alive()
    impostor.stop(grace_s=0.1)
    assert family.alive(), "stop() of a stale reference must not signal the new owner"


def test_exited_process_reads_dead_even_as_zombie(tmp_path: Path) -> None:
    proc, ref = spawn_detached(
        [sys.executable, "-c", "pass"], log_path=tmp_path / "log", cwd=tmp_path, env=os.environ
    )
    deadline = time.monotonic() + 5
    while ref.alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not ref.alive()
    proc.wait(timeout=5)


def test_output_goes_to_log(tmp_path: Path) -> None:
    log = tmp_path / "logs" / "x.log"
    proc, _ = spawn_detached(
        [sys.executable, "-c", "import sys; print('out'); print('err', file=sys.stderr)"],
        log_path=log,
        cwd=tmp_path,
        env=os.environ,
    )
    proc.wait(timeout=10)
    assert log.read_text().split() == ["out", "err"]


_ORPHAN_PARENT = """
import os, sys
from pathlib import Path
from hexr_platform._process import spawn_detached
_, ref = spawn_detached([sys.executable, "-c", "import time; time.sleep(60)"],
                        log_path=Path(sys.argv[1]), cwd=Path(sys.argv[2]), env=os.environ,
                        die_with_parent=True)
print(ref.pid, ref.start_time, flush=True)
import time; time.sleep(60)
"""


def test_die_with_parent_leaves_no_orphan_after_sigkill(tmp_path: Path) -> None:
    import signal
    import subprocess

    parent = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_PARENT, str(tmp_path / "log"), str(tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert parent.stdout is not None
        pid, start_time = map(int, parent.stdout.readline().split())
        child = ProcessRef(pid, start_time)
        assert child.alive()
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=5)
        deadline = time.monotonic() + 5
        while child.alive() and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not child.alive(), "a fixture's process must die with a SIGKILLed pytest"
    finally:
        parent.kill()
        parent.wait(timeout=5)


def test_stop_escalates_to_sigkill_when_sigterm_is_ignored(tmp_path: Path) -> None:
    stubborn = "import signal, sys, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    stubborn += "print('ready', flush=True)\ntime.sleep(60)\n"
    log = tmp_path / "log"
    proc, ref = spawn_detached([sys.executable, "-c", stubborn], log_path=log, cwd=tmp_path,
                               env=os.environ)
    try:
        deadline = time.monotonic() + 10
        while "ready" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.02)
        began = time.monotonic()
        ref.stop(grace_s=0.3)
        # It ignores SIGTERM, so only the SIGKILL after the grace period can have ended it.
        assert not ref.alive()
        assert time.monotonic() - began >= 0.3
        proc.wait(timeout=5)
    finally:
        ref.stop(grace_s=0.1)
