"""``hexr dev up --observe/--no-observe``: local agents observe by default, or not."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hexr.config import load_observability_config
from tests.integration.observability._receivers import otlp_grpc_receiver

ROOT = Path(__file__).resolve().parents[3]

HEXR = str(Path(sys.executable).with_name("hexr"))


def _hexr(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HEXR_HOME": str(home), "COLUMNS": "200", "NO_COLOR": "1", **extra}
    return subprocess.run(
        [HEXR, "dev", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    try:
        yield tmp_path / "hexr"
    finally:
        _hexr(tmp_path / "hexr", "down")


def test_dev_up_observe_switch_reaches_agent_config(home: Path) -> None:
    env = {"HEXR_HOME": str(home)}
    assert load_observability_config(environ=env).observe is False  # nothing runs yet

    started = _hexr(home, "up", "-c", "collector")
    assert started.returncode == 0, started.stdout + started.stderr
    on = load_observability_config(environ=env)
    assert on.observe is True
    assert on.tracing.enabled is True
    assert on.tracing.endpoint is not None
    assert on.tracing.endpoint.startswith("http://127.0.0.1:")

    off = _hexr(home, "up", "-c", "collector", "--no-observe")
    assert off.returncode == 0, off.stdout + off.stderr
    cfg = load_observability_config(environ=env)
    assert cfg.observe is False
    assert cfg.tracing.enabled is False
    # Observe off only changes defaults; an agent can still opt in explicitly.
    assert load_observability_config(environ={**env, "HEXR_OBSERVE": "1"}).observe is True


def test_zero_config_agent_spans_reach_the_local_collector(home: Path) -> None:
    """After `hexr dev up`, an agent with no telemetry config at all exports its spans."""
    with otlp_grpc_receiver() as (endpoint, received):
        forward = (f"--exporter otlp --otlp-exporter-endpoint {endpoint}"
                   " --otlp-exporter-protocol grpc")
        started = _hexr(home, "up", "-c", "collector", HEXR_COLLECTOR_EXPORTER_ARGS=forward)
        assert started.returncode == 0, started.stdout + started.stderr
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEXR_", "OTEL_"))}
        agent = subprocess.run(
            [sys.executable, "-m", "tests.integration.observability.probe", "agent"],
            env={**env, "HEXR_HOME": str(home), "PYTHONPATH": str(ROOT)},
            capture_output=True, text=True, timeout=60, cwd=ROOT,
        )
        assert agent.returncode == 0, agent.stderr
        assert received.event.wait(20), "no span reached the collector's backend"
    assert "hexr.agent.invoke" in received.span_names
