"""`TelemetrySettings.from_env`: what the environment may and may not set."""

from __future__ import annotations

import pytest

from hexr.telemetry import TelemetrySettings


@pytest.mark.parametrize("raw", ["inf", "-inf", "nan", "-1", "1e400", "two"])
def test_exit_timeouts_from_env_are_finite_and_non_negative(
    monkeypatch: pytest.MonkeyPatch, raw: str
) -> None:
    # inf made the exit hook raise OverflowError before pushing; a negative staleness
    # deleted the groups of every live process of the agent.
    monkeypatch.setenv("HEXR_TELEMETRY_FLUSH_TIMEOUT", raw)
    monkeypatch.setenv("HEXR_PUSHGATEWAY_STALE_AFTER", raw)
    settings = TelemetrySettings.from_env(agent_name="a", tenant="t")
    assert settings.flush_timeout_s == 2.0
    assert settings.pushgateway_stale_s == 3600.0


def test_valid_exit_timeouts_from_env_are_taken(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEXR_TELEMETRY_FLUSH_TIMEOUT", "0.5")
    monkeypatch.setenv("HEXR_PUSHGATEWAY_STALE_AFTER", "0")
    settings = TelemetrySettings.from_env(agent_name="a", tenant="t")
    assert (settings.flush_timeout_s, settings.pushgateway_stale_s) == (0.5, 0.0)


def test_repr_never_shows_the_exporter_headers() -> None:
    # They carry the collector's credentials (Authorization: Bearer ...).
    settings = TelemetrySettings(otlp_headers={"authorization": "Bearer otlp-s3cr3t-0123"})
    assert "otlp-s3cr3t-0123" not in repr(settings)
    assert "otlp-s3cr3t-0123" not in str(settings)
    assert settings.otlp_headers["authorization"] == "Bearer otlp-s3cr3t-0123"

