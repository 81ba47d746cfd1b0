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


@pytest.mark.parametrize(
    ("endpoint", "env_insecure", "insecure"),
    [
        ("http://collector:4317", None, True),
        ("https://collector:4317", None, False),
        # A bare host:port is TLS unless OTEL_EXPORTER_OTLP_INSECURE says otherwise (the
        # OTLP exporter's rule): the export headers are usually credentials.
        ("collector.example:4317", None, False),
        ("collector.example:4317", "true", True),
    ],
)
def test_otlp_grpc_transport_security(
    monkeypatch: pytest.MonkeyPatch, endpoint: str, env_insecure: str | None, insecure: bool
) -> None:
    from hexr.telemetry._setup import _span_exporter

    monkeypatch.delenv("OTEL_EXPORTER_OTLP_INSECURE", raising=False)
    if env_insecure is not None:
        monkeypatch.setenv("OTEL_EXPORTER_OTLP_INSECURE", env_insecure)
    exporter = _span_exporter(
        TelemetrySettings(traces_exporter="otlp-grpc", otlp_endpoint=endpoint)
    )
    assert exporter is not None
    try:
        assert exporter._insecure is insecure  # type: ignore[attr-defined]
    finally:
        exporter.shutdown()


def test_every_hexr_histogram_gets_its_bucket_view() -> None:
    from hexr.telemetry import _names as n
    from hexr.telemetry._setup import _views

    def bounds(view: object) -> tuple[float, ...]:
        return tuple(view._aggregation._boundaries)  # type: ignore[attr-defined]

    views = {v._instrument_name: bounds(v) for v in _views(TelemetrySettings())}  # type: ignore[attr-defined]
    assert views == {
        n.METRIC_GENAI_TOKEN_USAGE: n.GENAI_TOKEN_USAGE_BUCKETS,
        n.METRIC_GENAI_OPERATION_DURATION: n.GENAI_OPERATION_DURATION_BUCKETS,
        n.METRIC_STAGE_DURATION: n.STAGE_DURATION_BUCKETS,
        n.METRIC_AGENT_SESSION_STEPS: n.SESSION_STEPS_BUCKETS,
        n.METRIC_AGENT_DURATION: n.DURATION_BUCKETS_S,
        n.METRIC_LLM_CALL_DURATION: n.DURATION_BUCKETS_S,
        n.METRIC_LLM_TIME_TO_FIRST_CHUNK: n.DURATION_BUCKETS_S,
    }
