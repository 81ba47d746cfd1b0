"""A log line from an agent carries the ids of the span that emitted it (fresh process)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def base_env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HEXR_", "OTEL_"))}
    env["HEXR_HOME"] = str(tmp_path / "home")
    env["PYTHONPATH"] = str(ROOT)
    return env


def _run_agent(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tests.integration.observability.probe", "agent"],
        env=env, capture_output=True, text=True, timeout=60, cwd=ROOT,
    )


def test_agent_log_line_links_to_its_span(base_env: dict[str, str]) -> None:
    result = _run_agent(base_env)
    assert result.returncode == 0, result.stderr
    ids = json.loads(result.stdout)
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    (line,) = [entry for entry in lines if entry.get("event") == "working on report"]
    assert line["trace_id"] == ids["trace_id"]
    assert line["span_id"] == ids["span_id"]
    assert (line["tenant"], line["agent"], line["component"]) == ("acme", "probe", "agent")
    assert line["level"] == "info"
    assert line["timestamp"].endswith("Z")
    assert "spiffe_id" in line


def test_log_level_from_config_applies_to_the_agent(base_env: dict[str, str]) -> None:
    result = _run_agent({**base_env, "HEXR_LOG_LEVEL": "WARNING"})
    assert result.returncode == 0, result.stderr
    assert "working on report" not in result.stderr


def test_agent_with_invalid_config_fails_at_decoration(base_env: dict[str, str]) -> None:
    result = _run_agent({**base_env, "HEXR_LOG_LEVEL": "CHATTY"})
    assert result.returncode != 0
    assert "ConfigError" in result.stderr
    assert "observability.logging.level (from env HEXR_LOG_LEVEL)" in result.stderr
    assert result.stdout == ""
