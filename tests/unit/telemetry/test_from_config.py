import sys
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from hexr.config import load_observability_config
from hexr.telemetry._from_config import ZIPKIN_INSTALL_HINT, settings_from_config


def _settings(tmp_path: Path, **env: str) -> Any:
    config = load_observability_config(environ={"HEXR_HOME": str(tmp_path), **env})
    return settings_from_config(config, agent_name="billing", tenant="acme")


def test_defaults_export_nothing_and_keep_metrics(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    assert settings.traces_exporter == "none"
    assert settings.prometheus is True
    assert settings.service_name == "billing"
    assert settings.capture_content is False
    assert settings.metrics_middleware is None
    assert (settings.agent_name, settings.tenant) == ("billing", "acme")
    # Full sampling leaves the SDK default in place, so OTEL_TRACES_SAMPLER still applies.
    assert settings.sampler is None


@pytest.mark.parametrize(
    ("env", "exporter", "endpoint"),
    [
        ({"HEXR_TRACING_EXPORTER": "console"}, "console", None),
        ({"HEXR_TRACING_ENDPOINT": "http://c:4317"}, "otlp-grpc", "http://c:4317"),
        ({"HEXR_TRACING_ENDPOINT": "c:4317"}, "otlp-grpc", "https://c:4317"),
        ({"HEXR_TRACING_ENDPOINT": "c:4317", "HEXR_TRACING_INSECURE": "1"}, "otlp-grpc",
         "http://c:4317"),
        ({"HEXR_TRACING_ENDPOINT": "http://c:4318/v1/traces",
          "HEXR_TRACING_PROTOCOL": "http/protobuf"}, "otlp-http", "http://c:4318/v1/traces"),
        ({"HEXR_TRACING_ENDPOINT": "http://c:4317", "HEXR_TRACING_ENABLED": "0"}, "none", None),
        ({"HEXR_TRACING_EXPORTER": "none", "HEXR_TRACING_ENABLED": "1"}, "none", None),
    ],
)
def test_exporter_selection(
    tmp_path: Path, env: dict[str, str], exporter: str, endpoint: str | None
) -> None:
    settings = _settings(tmp_path, **env)
    assert settings.traces_exporter == exporter
    if endpoint is not None:
        assert settings.otlp_endpoint == endpoint


def test_tracing_fields_are_carried(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, HEXR_TRACING_ENDPOINT="http://c:4317", HEXR_TRACING_HEADERS="X-Key=${K}",
        K="v", HEXR_TRACING_TIMEOUT="4", HEXR_TRACING_SAMPLE_RATE="0.25",
        HEXR_SERVICE_NAME="svc", HEXR_SERVICE_VERSION="1.2", HEXR_CAPTURE_CONTENT="true",
    )
    assert settings.otlp_headers == {"x-key": "v"}
    assert settings.export_timeout_s == 4.0
    assert settings.service_name == "svc"
    assert settings.resource_attributes == {"service.version": "1.2"}
    assert settings.capture_content is True
    assert isinstance(settings.sampler, ParentBased)
    root = settings.sampler._root
    assert isinstance(root, TraceIdRatioBased)
    assert root.rate == 0.25


def test_sampler_is_ratio_based(tmp_path: Path) -> None:
    sampler = _settings(tmp_path, HEXR_TRACING_SAMPLE_RATE="0").sampler
    root = sampler._root  # the ratio sampler decides for root spans
    assert isinstance(root, TraceIdRatioBased)
    assert root.rate == 0


def test_metrics_fields_are_carried(tmp_path: Path) -> None:
    settings = _settings(
        tmp_path, HEXR_METRICS_NAMESPACE="acme", HEXR_METRICS_SUBSYSTEM="agents",
        HEXR_METRICS_CONST_LABELS="environment=prod", HEXR_METRICS_PORT="0",
        HEXR_METRICS_PATH="/m", HEXR_METRICS_ENABLED="false",
        HEXR_METRICS_BEARER_TOKEN="t" * 20,
    )
    assert settings.metrics_prefix == "acme_agents"
    assert settings.metrics_const_labels == {"environment": "prod"}
    assert (settings.metrics_port, settings.metrics_path) == (0, "/m")
    assert settings.prometheus is False
    assert settings.metrics_middleware is not None


def test_explicit_arguments_win(tmp_path: Path) -> None:
    config = load_observability_config(
        environ={"HEXR_HOME": str(tmp_path), "HEXR_TRACING_EXPORTER": "console"}
    )
    settings = settings_from_config(config, traces_exporter="none", service_name="x")
    assert (settings.traces_exporter, settings.service_name) == ("none", "x")


def test_zipkin_builds_its_exporter(tmp_path: Path) -> None:
    settings = _settings(tmp_path, HEXR_TRACING_EXPORTER="zipkin")
    assert settings.span_exporter_factory is not None
    exporter = settings.span_exporter_factory(settings)
    assert type(exporter).__name__ == "ZipkinExporter"


@pytest.mark.parametrize(("timeout", "expected"), [("0.5", 1), ("2", 2), ("2.5", 3)])
def test_zipkin_keeps_a_short_export_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timeout: str, expected: int
) -> None:
    # The Zipkin exporter takes whole seconds and reads 0 as "use the 10 s default".
    monkeypatch.delenv("OTEL_EXPORTER_ZIPKIN_TIMEOUT", raising=False)
    settings = _settings(tmp_path, HEXR_TRACING_EXPORTER="zipkin", HEXR_TRACING_TIMEOUT=timeout)
    assert settings.span_exporter_factory is not None
    exporter = settings.span_exporter_factory(settings)
    assert exporter.timeout == expected


def test_zipkin_without_extra_fails_at_start_naming_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.zipkin.json", None)
    with pytest.raises(ImportError, match=r"hexr\[zipkin\]") as info:
        _settings(tmp_path, HEXR_TRACING_EXPORTER="zipkin")
    assert str(info.value) == ZIPKIN_INSTALL_HINT
