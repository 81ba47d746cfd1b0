"""Agent processes of the demo, each launched as its own workload by ``hexr dev run``."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from hexr.errors import HexrError

__all__ = ["AgentProcess", "run_agent_json"]


def _dev_run(tenant: str, agent: str, extra: Sequence[str], command: Sequence[str]) -> list[str]:
    return [sys.executable, "-m", "hexr_cli", "dev", "run", "--tenant", tenant, "--agent", agent,
            *extra, "--", *command]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class AgentProcess:
    """One acme agent: its main process (holding) and its A2A sidecar serving ``function``."""

    def __init__(self, tenant: str, name: str, function: str, run_dir: Path,
                 env: Mapping[str, str]) -> None:
        self.tenant, self.name = tenant, name
        self._url_file = run_dir / f"{tenant}-{name}.url"
        self._log = run_dir / f"{tenant}-{name}.log"
        self._url_file.unlink(missing_ok=True)
        self.metrics_port = _free_port()
        argv = _dev_run(tenant, name, ["--a2a", function],
                        [sys.executable, "-m", "hexr_demo.hold", str(self._url_file)])
        with open(self._log, "ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
                argv, env={**env, "HEXR_METRICS_PORT": str(self.metrics_port)}, stdout=log,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            )

    def wait_url(self, timeout_s: float = 60.0) -> str:
        """The sidecar's URL once the agent published it."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._url_file.exists():
                return self._url_file.read_text().strip()
            if self.process.poll() is not None:
                break
            time.sleep(0.05)
        tail = self._log.read_text(errors="replace")[-600:] if self._log.exists() else ""
        raise HexrError(f"agent {self.tenant}/{self.name} did not start: {tail}")

    def stop(self) -> None:
        """SIGTERM the agent's process group (its sidecar stops with it), then SIGKILL."""
        if self.process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)


def run_agent_json(tenant: str, agent: str, command: Sequence[str], env: Mapping[str, str],
                   log: Path, timeout_s: float) -> dict[str, Any]:
    """Run a one-shot agent and parse the JSON object it prints last on stdout."""
    argv = _dev_run(tenant, agent, [], [sys.executable, *command])
    with open(log, "ab") as errors:
        done = subprocess.run(  # noqa: S603 - our own interpreter and module
            argv, env=dict(env), stdout=subprocess.PIPE, stderr=errors,
            stdin=subprocess.DEVNULL, timeout=timeout_s, check=False,
        )
    lines = [line for line in done.stdout.decode(errors="replace").splitlines() if line.strip()]
    if done.returncode != 0 or not lines:
        raise HexrError(f"agent {tenant}/{agent} exited {done.returncode}; see {log}")
    result = json.loads(lines[-1])
    if not isinstance(result, dict):
        raise HexrError(f"agent {tenant}/{agent} printed no JSON object")
    return result
