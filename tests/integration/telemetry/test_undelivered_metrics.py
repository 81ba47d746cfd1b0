"""Issue 17, first run 1: an agent whose metrics cannot be delivered says so once on
stderr (a dead Pushgateway here: a closed loopback port), instead of losing them silently."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

AGENT = """
from hexr import hexr_agent
from hexr.telemetry import current_handle

@hexr_agent(name="batchjob", tenant="acme")
def step(i):
    return i

step(1)
handle = current_handle()
assert handle is not None
handle.push_metrics(timeout_s=1)
handle.push_metrics(timeout_s=1)
"""


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_undeliverable_metrics_are_reported_once_on_stderr(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTEL_", "HEXR_", "SPIFFE_"))}
    env.update(
        HEXR_HOME=str(tmp_path / "no-platform"),
        HEXR_PUSHGATEWAY_URL=f"http://hexr:pw-not-shown@127.0.0.1:{_closed_port()}",
        OTEL_TRACES_EXPORTER="none",
    )
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(AGENT)], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    notices = [line for line in proc.stderr.splitlines()
               if line.startswith("hexr: this process's metrics were not delivered")]
    assert len(notices) == 1, proc.stderr[-3000:]  # three pushes (two + exit), one notice
    assert "127.0.0.1" in notices[0]
    assert "pw-not-shown" not in proc.stderr
