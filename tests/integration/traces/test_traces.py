"""The trace store end to end: ``hexr dev up`` (with Phoenix), an agent under
``hexr dev run``, then ``hexr traces`` / ``hexr traces show``; and the agent keeps working
with the trace store or the collector gone.

Needs the trace store's environment (``hexr traces install``; ``.ci/run`` does it).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from hexr import _env
from hexr.endpoints import published_env
from hexr_platform import ComponentState, Platform
from hexr_traces import phoenix_executable, venv_dir

HEXR = str(Path(sys.executable).with_name("hexr"))
AGENT = str(Path(__file__).with_name("_agent.py"))
REPO = Path(__file__).resolve().parents[3]


def _env_for(platform: Platform) -> dict[str, str]:
    return {**os.environ, _env.HEXR_HOME: str(platform.home), "PYTHONPATH": str(REPO)}


def _hexr(platform: Platform, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([HEXR, *args], env=_env_for(platform), capture_output=True,
                          text=True, timeout=60)


def _run_agent(platform: Platform) -> dict[str, Any]:
    out = _hexr(platform, "dev", "run", "--tenant", "acme", "--agent", "analyst", "--",
                sys.executable, AGENT)
    assert out.returncode == 0, out.stderr
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.fixture(scope="module")
def traced_platform(local_platform: Platform) -> Platform:
    """The session platform once its trace store serves (it starts in the background)."""
    assert phoenix_executable() is not None, f"run `hexr traces install` ({venv_dir()})"
    url = published_env(local_platform.home)[_env.HEXR_TRACES_URL]
    deadline = time.monotonic() + 180  # ~10 s idle, up to a minute on a loaded machine
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).is_success:
                return local_platform
        except httpx.TransportError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"trace store never became healthy: {local_platform.home}/logs")


def _wait_for_trace(platform: Platform, trace_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        out = _hexr(platform, "traces", "show", trace_id, "--json")
        if out.returncode == 0:
            shown: dict[str, Any] = json.loads(out.stdout)
            names = _names(shown["tree"])
            if "hexr.credential.exchange" in names:  # the injector's span arrived too
                return shown
        time.sleep(0.5)
    raise AssertionError(f"trace {trace_id} incomplete in the store: {out.stdout}{out.stderr}")


def _names(nodes: list[dict[str, Any]]) -> list[str]:
    return [n for node in nodes for n in (node["name"], *_names(node["children"]))]


def _path_to(nodes: list[dict[str, Any]], name: str) -> list[str] | None:
    for node in nodes:
        if node["name"] == name:
            return [name]
        below = _path_to(node["children"], name)
        if below is not None:
            return [node["name"], *below]
    return None


def test_agent_trace_is_listed_and_shown_with_the_injector_span(traced_platform: Platform):
    run = _run_agent(traced_platform)
    shown = _wait_for_trace(traced_platform, run["trace_id"])
    # One tree: agent -> tool -> L3 lookup -> the injector's exchange (another process).
    assert _path_to(shown["tree"], "hexr.credential.exchange") == [
        "hexr.agent.invoke", "hexr.tool.invoke", "hexr.cache.lookup",
        "hexr.credential.exchange",
    ]
    assert shown["tenant"] == "acme"
    assert shown["agent"] == "analyst"
    assert shown["status"] == "ERROR"  # the local injector grants nothing: denied

    listed = json.loads(_hexr(traced_platform, "traces", "--tenant", "acme", "--agent",
                              "analyst", "--status", "error", "--since", "10m",
                              "--json").stdout)
    assert run["trace_id"] in [t["trace_id"] for t in listed]
    other = json.loads(_hexr(traced_platform, "traces", "--tenant", "nobody", "--json").stdout)
    assert other == []
    slow = json.loads(_hexr(traced_platform, "traces", "--min-duration", "1h", "--json").stdout)
    assert slow == []
    tree = _hexr(traced_platform, "traces", "show", run["trace_id"])
    assert "hexr.credential.exchange" in tree.stdout
    assert "└──" in tree.stdout


def test_bad_input_and_missing_trace_are_clear_errors(traced_platform: Platform) -> None:
    bad = _hexr(traced_platform, "traces", "show", "not-a-trace-id")
    assert bad.returncode == 2
    assert "32 hex digits" in bad.stderr
    missing = _hexr(traced_platform, "traces", "show", "0" * 31 + "1")
    assert missing.returncode == 1
    assert "not found" in missing.stderr
    since = _hexr(traced_platform, "traces", "--since", "soon")
    assert since.returncode == 2
    assert "Traceback" not in since.stderr


def _kill(platform: Platform, name: str) -> None:
    status = {s.name: s for s in platform.status()}[name]
    assert status.pid is not None
    os.killpg(status.pid, signal.SIGKILL)


def test_agent_keeps_working_without_trace_store_collector_or_prometheus(
    traced_platform: Platform,
) -> None:
    try:
        _kill(traced_platform, "traces")
        assert _run_agent(traced_platform)["error"] == "CredentialError"
        _kill(traced_platform, "collector")
        _kill(traced_platform, "prometheus")
        # The SDK's exporter gives up within its bounded timeout; the agent still exits 0.
        assert _run_agent(traced_platform)["error"] == "CredentialError"
        down = _hexr(traced_platform, "traces")
        assert down.returncode == 1
        assert "unreachable" in down.stderr
    finally:
        result = traced_platform.up()  # restarts the crashed components on their ports
        assert result.ok, result.failed
    states = {s.name: s.state for s in traced_platform.status()}
    assert states["collector"] is ComponentState.HEALTHY
    assert states["prometheus"] is ComponentState.HEALTHY
