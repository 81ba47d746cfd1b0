"""A configuration value reads the same wherever it is read: before setup and after."""

from __future__ import annotations

from pathlib import Path

import pytest

from hexr.config import load_observability_config, merge_settings, read_section
from hexr.env import FALSE_WORDS, TRUE_WORDS, env_flag
from hexr.errors import ConfigError
from hexr.llm._base import _env_capture
from hexr.telemetry import TelemetrySettings
from hexr.telemetry._config import DEFAULT_OTLP_ENDPOINT
from hexr.telemetry._from_config import settings_from_config

SPELLINGS = sorted(TRUE_WORDS | FALSE_WORDS | {w.upper() for w in TRUE_WORDS | FALSE_WORDS})


@pytest.mark.parametrize("word", SPELLINGS)
def test_capture_content_reads_the_same_before_and_after_setup(
    word: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    monkeypatch.setenv("HEXR_CAPTURE_CONTENT", word)
    expected = word.lower() in TRUE_WORDS
    before_setup = _env_capture()  # what an LLM call reads when no setup() ran
    zero_config = TelemetrySettings.from_env().capture_content  # what setup() builds
    from_file = settings_from_config(load_observability_config()).capture_content
    assert (before_setup, zero_config, from_file) == (expected, expected, expected)


def test_a_non_boolean_is_an_error_naming_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    monkeypatch.setenv("HEXR_CAPTURE_CONTENT", "maybe")
    with pytest.raises(ConfigError, match="HEXR_CAPTURE_CONTENT"):
        env_flag("HEXR_CAPTURE_CONTENT")
    with pytest.raises(ConfigError, match="HEXR_CAPTURE_CONTENT"):
        TelemetrySettings.from_env()
    with pytest.raises(ConfigError, match="capture_content"):
        load_observability_config()


def test_one_default_otlp_endpoint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    monkeypatch.setenv("HEXR_TRACING_ENABLED", "true")
    assert TelemetrySettings.from_env().endpoint() == DEFAULT_OTLP_ENDPOINT
    assert load_observability_config().tracing.endpoint == DEFAULT_OTLP_ENDPOINT


def test_a_component_section_merges_onto_generated_defaults(tmp_path: Path) -> None:
    config = tmp_path / "hexr.yaml"
    config.write_text("injector:\n  grants: [a]\n  limits: {rate: 5}\nobservability: {}\n")
    section = read_section("injector", environ={"HEXR_CONFIG": str(config)})
    defaults = {"issuer": "http://127.0.0.1:1", "grants": [], "limits": {"rate": 1, "burst": 2}}
    assert merge_settings(defaults, section) == {
        "issuer": "http://127.0.0.1:1", "grants": ["a"], "limits": {"rate": 5, "burst": 2},
    }
    assert read_section("identity", environ={"HEXR_CONFIG": str(config)}) == {}
    assert read_section("injector", environ={}) == {}
    config.write_text("injector: [1]\n")
    with pytest.raises(ConfigError, match="injector: must be a mapping"):
        read_section("injector", config)


@pytest.mark.parametrize(
    "env",
    [
        {"HEXR_SERVICE_NAME": "svc", "OTEL_SERVICE_NAME": "otel-svc"},
        {"OTEL_SERVICE_NAME": "otel-svc"},
        {"HEXR_METRICS_PORT": "9999", "HEXR_METRICS_HOST": "127.0.0.2"},
        {"HEXR_TELEMETRY_FLUSH_TIMEOUT": "0.5", "HEXR_CAPTURE_CONTENT": "on"},
        {},
    ],
)
def test_shared_fields_read_the_same_from_env_and_from_the_config(
    env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    for name in ("HEXR_SERVICE_NAME", "OTEL_SERVICE_NAME", "HEXR_METRICS_PORT",
                 "HEXR_METRICS_HOST", "HEXR_TELEMETRY_FLUSH_TIMEOUT", "HEXR_CAPTURE_CONTENT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    zero_config = TelemetrySettings.from_env(agent_name="bot", tenant="acme")
    configured = settings_from_config(load_observability_config(), agent_name="bot", tenant="acme")
    fields = ("service_name", "metrics_port", "metrics_host", "flush_timeout_s", "capture_content")
    assert {f: getattr(zero_config, f) for f in fields} == {
        f: getattr(configured, f) for f in fields
    }
