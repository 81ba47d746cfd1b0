"""Every field of the observability section: from YAML, from env, and its failures."""

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from hexr import ConfigError
from hexr.config import ENV_FIELDS, ObservabilityConfig, load_observability_config

PRICES = Path(__file__).resolve().parents[3] / "sdk" / "hexr" / "telemetry" / "prices.yaml"


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """An empty HEXR_HOME: no local platform runs, so no observe-by-default."""
    path = tmp_path / "home"
    path.mkdir()
    return path


def _env(home: Path, **values: str) -> dict[str, str]:
    return {"HEXR_HOME": str(home), **values}


def _write(tmp_path: Path, section: Any) -> Path:
    path = tmp_path / "hexr.yaml"
    path.write_text(yaml.safe_dump({"observability": section, "other": {"ignored": 1}}))
    return path


def _load_yaml(tmp_path: Path, home: Path, section: Any, **env: str) -> ObservabilityConfig:
    return load_observability_config(_write(tmp_path, section), _env(home, **env))


def test_defaults_without_file_or_env(home: Path) -> None:
    cfg = load_observability_config(environ=_env(home))
    assert cfg.observe is False
    assert cfg.service_name is None
    assert cfg.tracing.timeout_s == 2.0
    assert cfg.metrics.enabled is True
    assert cfg.metrics.path == "/metrics"
    assert cfg.metrics.prefix == ""
    assert cfg.metrics.const_labels == {}
    assert not cfg.metrics.protection.enabled
    assert cfg.tracing.enabled is False
    assert cfg.tracing.sample_rate == 1.0
    assert cfg.capture_content is False
    assert cfg.logging.level == "INFO"
    assert cfg.logging.format == "json"


def test_full_yaml_section(tmp_path: Path, home: Path) -> None:
    section = {
        "service_name": "billing-agent",
        "service_version": "1.2.0",
        "capture_content": True,
        "prices_file": str(PRICES),
        "metrics": {
            "enabled": False,
            "path": "/internal/metrics",
            "host": "10.1.2.3",
            "port": 9464,
            "namespace": "acme",
            "subsystem": "agents",
            "const_labels": {"environment": "prod", "region": "eu-west-1", "team": "payments"},
            "protection": {
                "basic_auth": {"username": "prom", "password": "${PROM_PASSWORD}"},
                "bearer_token": "${SCRAPE_TOKEN}",
                "allow_cidrs": ["10.0.0.0/8", "::1/128"],
            },
        },
        "tracing": {
            "enabled": True,
            "exporter": "otlp",
            "protocol": "http/protobuf",
            "endpoint": "https://collector.example.com:4318/v1/traces",
            "insecure": False,
            "headers": {"Authorization": "Bearer ${OTLP_TOKEN}", "x-team": "payments"},
            "sample_rate": 0.25,
            "timeout_s": 5,
        },
        "logging": {"level": "debug", "format": "console"},
    }
    cfg = _load_yaml(
        tmp_path, home, section,
        PROM_PASSWORD="pw-123", SCRAPE_TOKEN="t" * 20, OTLP_TOKEN="abc.def",
    )
    assert cfg.service_name == "billing-agent"
    assert cfg.service_version == "1.2.0"
    assert cfg.capture_content is True
    assert cfg.prices_file == PRICES
    m = cfg.metrics
    assert (m.enabled, m.path, m.host, m.port) == (False, "/internal/metrics", "10.1.2.3", 9464)
    assert m.prefix == "acme_agents"
    assert m.const_labels == {"environment": "prod", "region": "eu-west-1", "team": "payments"}
    assert m.protection.basic_auth is not None
    assert m.protection.basic_auth.username == "prom"
    assert m.protection.basic_auth.password.get_secret_value() == "pw-123"
    assert m.protection.bearer_token is not None
    assert m.protection.bearer_token.get_secret_value() == "t" * 20
    assert [str(n) for n in m.protection.allow_cidrs] == ["10.0.0.0/8", "::1/128"]
    t = cfg.tracing
    assert (t.enabled, t.exporter, t.protocol, t.insecure) == (True, "otlp", "http/protobuf", False)
    assert t.endpoint == "https://collector.example.com:4318/v1/traces"
    assert t.header_values() == {"authorization": "Bearer abc.def", "x-team": "payments"}
    assert (t.sample_rate, t.timeout_s) == (0.25, 5.0)
    assert (cfg.logging.level, cfg.logging.format) == ("DEBUG", "console")
    # Secrets never show in the repr (which is what ends up in logs and tracebacks).
    assert "pw-123" not in repr(cfg)
    assert "abc.def" not in repr(cfg)


ENV_CASES: list[tuple[str, str, str, Any]] = [
    ("HEXR_OBSERVE", "true", "observe", True),
    ("HEXR_SERVICE_NAME", "svc-a", "service_name", "svc-a"),
    ("HEXR_SERVICE_VERSION", "2.0", "service_version", "2.0"),
    ("HEXR_CAPTURE_CONTENT", "1", "capture_content", True),
    ("HEXR_PRICES_FILE", "PRICES", "prices_file", "PRICES"),
    ("HEXR_METRICS_ENABLED", "false", "metrics.enabled", False),
    ("HEXR_METRICS_PATH", "/m", "metrics.path", "/m"),
    ("HEXR_METRICS_HOST", "10.1.2.3", "metrics.host", "10.1.2.3"),
    ("HEXR_METRICS_PORT", "9100", "metrics.port", 9100),
    ("HEXR_METRICS_NAMESPACE", "acme", "metrics.namespace", "acme"),
    ("HEXR_METRICS_SUBSYSTEM", "agents", "metrics.subsystem", "agents"),
    ("HEXR_METRICS_CONST_LABELS", "environment=prod, region=eu%2Dwest", "metrics.const_labels",
     {"environment": "prod", "region": "eu-west"}),
    ("HEXR_METRICS_BASIC_AUTH_USERNAME", "prom", "metrics.protection.basic_auth.username", "prom"),
    ("HEXR_METRICS_BEARER_TOKEN", "x" * 16, "metrics.protection.bearer_token", "x" * 16),
    ("HEXR_METRICS_ALLOW_CIDRS", "127.0.0.1/32, 10.0.0.0/8", "metrics.protection.allow_cidrs",
     ["127.0.0.1/32", "10.0.0.0/8"]),
    ("HEXR_TRACING_ENABLED", "false", "tracing.enabled", False),
    ("HEXR_TRACING_EXPORTER", "console", "tracing.exporter", "console"),
    ("HEXR_TRACING_PROTOCOL", "http/protobuf", "tracing.protocol", "http/protobuf"),
    ("HEXR_TRACING_ENDPOINT", "http://c:4317", "tracing.endpoint", "http://c:4317"),
    ("HEXR_TRACING_INSECURE", "true", "tracing.insecure", True),
    ("HEXR_TRACING_HEADERS", "Authorization=Bearer abc", "tracing.headers",
     {"authorization": "Bearer abc"}),
    ("HEXR_TRACING_SAMPLE_RATE", "0.5", "tracing.sample_rate", 0.5),
    ("HEXR_TRACING_TIMEOUT", "3", "tracing.timeout_s", 3.0),
    ("HEXR_LOG_LEVEL", "warning", "logging.level", "WARNING"),
    ("HEXR_LOG_FORMAT", "console", "logging.format", "console"),
]


def _read(cfg: ObservabilityConfig, dotted: str) -> Any:
    value: Any = cfg
    for part in dotted.split("."):
        value = getattr(value, part)
    if dotted == "tracing.headers":
        return cfg.tracing.header_values()
    if dotted.endswith("bearer_token"):
        return value.get_secret_value()
    if dotted.endswith("allow_cidrs"):
        return [str(n) for n in value]
    return value


@pytest.mark.parametrize(("name", "raw", "dotted", "expected"), ENV_CASES)
def test_each_env_variable_sets_its_field(
    home: Path, name: str, raw: str, dotted: str, expected: Any
) -> None:
    if raw == "PRICES":
        raw, expected = str(PRICES), PRICES
    env = {name: raw}
    if name == "HEXR_METRICS_BASIC_AUTH_USERNAME":
        env["HEXR_METRICS_BASIC_AUTH_PASSWORD"] = "pw"
    assert _read(load_observability_config(environ=_env(home, **env)), dotted) == expected


def test_every_env_variable_is_covered() -> None:
    covered = {case[0] for case in ENV_CASES} | {"HEXR_METRICS_BASIC_AUTH_PASSWORD"}
    assert covered == set(ENV_FIELDS)


def test_env_overrides_file(tmp_path: Path, home: Path) -> None:
    cfg = _load_yaml(
        tmp_path, home, {"tracing": {"sample_rate": 0.1}, "metrics": {"namespace": "file"}},
        HEXR_TRACING_SAMPLE_RATE="0.9",
    )
    assert cfg.tracing.sample_rate == 0.9
    assert cfg.metrics.namespace == "file"


def test_config_path_from_hexr_config(tmp_path: Path, home: Path) -> None:
    path = _write(tmp_path, {"service_name": "from-file"})
    cfg = load_observability_config(environ=_env(home, HEXR_CONFIG=str(path)))
    assert cfg.service_name == "from-file"


def test_otel_variables_are_fallbacks(home: Path) -> None:
    otel = {
        "OTEL_SERVICE_NAME": "otel-svc",
        "OTEL_TRACES_EXPORTER": "CONSOLE",
        "OTEL_EXPORTER_OTLP_PROTOCOL": "http/protobuf",
        "OTEL_EXPORTER_OTLP_HEADERS": "api-key=k1",
        "OTEL_EXPORTER_OTLP_INSECURE": "true",
        "OTEL_TRACES_SAMPLER_ARG": "0.3",
        "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT": "7",
    }
    cfg = load_observability_config(environ=_env(home, **otel))
    assert cfg.service_name == "otel-svc"
    assert cfg.tracing.exporter == "console"
    assert cfg.tracing.protocol == "http/protobuf"
    assert cfg.tracing.header_values() == {"api-key": "k1"}
    assert cfg.tracing.insecure is True
    assert (cfg.tracing.sample_rate, cfg.tracing.timeout_s) == (0.3, 7.0)
    # HEXR_* wins over OTEL_*.
    cfg = load_observability_config(
        environ=_env(home, **otel, HEXR_SERVICE_NAME="hexr-svc", HEXR_TRACING_SAMPLE_RATE="1")
    )
    assert (cfg.service_name, cfg.tracing.sample_rate) == ("hexr-svc", 1.0)


def test_otel_endpoint_base_gets_traces_path_for_http(home: Path) -> None:
    base = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://col:4318/"}
    cfg = load_observability_config(
        environ=_env(home, **base, HEXR_TRACING_PROTOCOL="http/protobuf")
    )
    assert cfg.tracing.endpoint == "http://col:4318/v1/traces"
    assert cfg.tracing.enabled is True
    signal = {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://other:4317", **base}
    assert load_observability_config(environ=_env(home, **signal)).tracing.endpoint == (
        "http://other:4317"
    )


def test_tracing_turns_on_when_a_destination_is_chosen(home: Path) -> None:
    cfg = load_observability_config(environ=_env(home, HEXR_TRACING_EXPORTER="otlp"))
    assert cfg.tracing.enabled is True
    assert cfg.tracing.endpoint == "http://localhost:4317"
    assert cfg.tracing.insecure is True


@pytest.mark.parametrize(
    ("exporter", "protocol", "endpoint"),
    [
        ("otlp", "grpc", "http://localhost:4317"),
        ("otlp", "http/protobuf", "http://localhost:4318/v1/traces"),
        ("zipkin", "grpc", "http://localhost:9411/api/v2/spans"),
    ],
)
def test_default_endpoint_per_exporter(
    home: Path, exporter: str, protocol: str, endpoint: str
) -> None:
    env = _env(home, HEXR_TRACING_EXPORTER=exporter, HEXR_TRACING_PROTOCOL=protocol)
    assert load_observability_config(environ=env).tracing.endpoint == endpoint


def test_observe_switch_turns_everything_on(home: Path) -> None:
    cfg = load_observability_config(
        environ=_env(home, HEXR_OBSERVE="1", HEXR_METRICS_ENABLED="")
    )
    assert cfg.observe is True
    assert cfg.tracing.enabled is True
    assert cfg.metrics.enabled is True
    assert cfg.tracing.endpoint == "http://localhost:4317"
    assert cfg.capture_content is False  # content stays opt-in even in observe mode


def test_observe_respects_explicit_choices(home: Path) -> None:
    cfg = load_observability_config(
        environ=_env(home, HEXR_OBSERVE="1", HEXR_TRACING_ENABLED="false")
    )
    assert cfg.tracing.enabled is False


def test_observe_is_default_when_a_local_platform_runs(home: Path) -> None:
    run = home / "run"
    run.mkdir()
    published = {"env": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:54317"}}
    (run / "platform.json").write_text(json.dumps(published))
    cfg = load_observability_config(environ=_env(home))
    assert cfg.observe is True
    assert cfg.tracing.enabled is True
    assert cfg.tracing.endpoint == "http://127.0.0.1:54317"
    off = load_observability_config(environ=_env(home, HEXR_OBSERVE="false"))
    assert off.observe is False
    # The platform's collector is known, but exporting to it is what observe switches.
    assert off.tracing.endpoint == "http://127.0.0.1:54317"
    assert off.tracing.enabled is False
    on = load_observability_config(environ=_env(home, HEXR_OBSERVE="false",
                                                 HEXR_TRACING_ENABLED="true"))
    assert on.tracing.enabled is True
    assert on.tracing.endpoint == "http://127.0.0.1:54317"


FAILURES: list[tuple[dict[str, str], str]] = [
    ({"HEXR_OBSERVE": "maybe"}, "observability.observe (from env HEXR_OBSERVE)"),
    ({"HEXR_SERVICE_NAME": "bad\nname"}, "observability.service_name"),
    ({"HEXR_SERVICE_VERSION": "v" * 200}, "observability.service_version"),
    ({"HEXR_CAPTURE_CONTENT": "perhaps"}, "observability.capture_content"),
    ({"HEXR_PRICES_FILE": "/nonexistent/prices.yaml"}, "observability.prices_file"),
    ({"HEXR_METRICS_HOST": "bad host"}, "observability.metrics.host"),
    ({"HEXR_METRICS_HOST": "-leading.dash"}, "observability.metrics.host"),
    ({"HEXR_METRICS_ENABLED": "sometimes"}, "observability.metrics.enabled"),
    ({"HEXR_METRICS_PATH": "metrics"}, "observability.metrics.path"),
    ({"HEXR_METRICS_PATH": "/a b"}, "observability.metrics.path"),
    ({"HEXR_METRICS_PORT": "70000"}, "observability.metrics.port"),
    ({"HEXR_METRICS_PORT": "http"}, "observability.metrics.port"),
    ({"HEXR_METRICS_NAMESPACE": "acme-corp"}, "observability.metrics.namespace"),
    ({"HEXR_METRICS_SUBSYSTEM": "1st"}, "observability.metrics.subsystem"),
    ({"HEXR_METRICS_CONST_LABELS": "task_id=1"}, "observability.metrics.const_labels"),
    ({"HEXR_METRICS_CONST_LABELS": "novalue"}, "observability.metrics.const_labels"),
    ({"HEXR_METRICS_BASIC_AUTH_USERNAME": "prom"},
     "observability.metrics.protection.basic_auth.password"),
    ({"HEXR_METRICS_BASIC_AUTH_PASSWORD": "pw"},
     "observability.metrics.protection.basic_auth.username"),
    ({"HEXR_METRICS_BEARER_TOKEN": "short"}, "observability.metrics.protection.bearer_token"),
    ({"HEXR_METRICS_ALLOW_CIDRS": "10.0.0.0/33"}, "observability.metrics.protection.allow_cidrs"),
    ({"HEXR_TRACING_ENABLED": "2"}, "observability.tracing.enabled"),
    ({"HEXR_TRACING_EXPORTER": "jaeger"}, "observability.tracing.exporter"),
    ({"HEXR_TRACING_PROTOCOL": "udp"}, "observability.tracing.protocol"),
    ({"HEXR_TRACING_ENDPOINT": "collector"}, "observability.tracing.endpoint"),
    ({"HEXR_TRACING_ENDPOINT": "collector:http"}, "observability.tracing.endpoint"),
    ({"HEXR_TRACING_ENDPOINT": "ftp://collector:21"}, "observability.tracing.endpoint"),
    ({"HEXR_TRACING_ENDPOINT": "c:4317", "HEXR_TRACING_PROTOCOL": "http/protobuf"},
     "tracing.endpoint: host:port is only valid for OTLP over gRPC"),
    ({"HEXR_TRACING_ENDPOINT": "http://u:p@c:4317"}, "observability.tracing.endpoint"),
    ({"HEXR_TRACING_ENDPOINT": "http://c:99999"}, "observability.tracing.endpoint"),
    ({"HEXR_TRACING_INSECURE": "nah"}, "observability.tracing.insecure"),
    ({"HEXR_TRACING_HEADERS": "bad header=1"}, "observability.tracing.headers"),
    ({"HEXR_TRACING_HEADERS": "x=a%0Db"}, "observability.tracing.headers"),
    ({"HEXR_TRACING_SAMPLE_RATE": "1.5"}, "observability.tracing.sample_rate"),
    ({"HEXR_TRACING_SAMPLE_RATE": "-0.1"}, "observability.tracing.sample_rate"),
    ({"HEXR_TRACING_TIMEOUT": "0"}, "observability.tracing.timeout_s"),
    ({"HEXR_LOG_LEVEL": "LOUD"}, "observability.logging.level"),
    ({"HEXR_LOG_FORMAT": "xml"}, "observability.logging.format"),
    ({"OTEL_TRACES_SAMPLER_ARG": "x"}, "observability.tracing.sample_rate (from env OTEL_TRACES"),
]


@pytest.mark.parametrize(("env", "field"), FAILURES)
def test_invalid_env_names_the_field(home: Path, env: dict[str, str], field: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_observability_config(environ=_env(home, **env))
    assert field in str(info.value)


def test_invalid_file_value_names_file_and_field(tmp_path: Path, home: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load_yaml(tmp_path, home, {"tracing": {"sample_rate": 3}})
    message = str(info.value)
    assert "observability.tracing.sample_rate" in message
    assert str(tmp_path / "hexr.yaml") in message


def test_unknown_field_is_refused(tmp_path: Path, home: Path) -> None:
    with pytest.raises(ConfigError, match=r"observability\.tracing\.sampel_rate.*unknown field"):
        _load_yaml(tmp_path, home, {"tracing": {"sampel_rate": 0.5}})


def test_unset_interpolated_variable_is_named(tmp_path: Path, home: Path) -> None:
    section = {"tracing": {"headers": {"Authorization": "Bearer ${MISSING_TOKEN}"}}}
    with pytest.raises(ConfigError) as info:
        _load_yaml(tmp_path, home, section)
    assert "observability.tracing.headers.Authorization" in str(info.value)
    assert "MISSING_TOKEN is not set" in str(info.value)


def test_secret_values_are_never_echoed(tmp_path: Path, home: Path) -> None:
    section = {"tracing": {"headers": {"Authorization": "Bearer sekrit\nvalue"}}}
    with pytest.raises(ConfigError) as info:
        _load_yaml(tmp_path, home, section)
    assert "sekrit" not in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_observability_config(environ=_env(home, HEXR_METRICS_BEARER_TOKEN="tiny-secret"))
    assert "tiny-secret" not in str(info.value)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("observability: [1, 2]", "observability: must be a mapping"),
        ("- a\n- b", "top level must be a mapping"),
        ("observability: {tracing: [", "not valid YAML at line"),
    ],
)
def test_malformed_files(tmp_path: Path, home: Path, content: str, fragment: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(ConfigError, match=fragment):
        load_observability_config(path, _env(home))


def test_missing_file_names_hexr_config(tmp_path: Path, home: Path) -> None:
    with pytest.raises(ConfigError, match="HEXR_CONFIG: cannot read"):
        load_observability_config(tmp_path / "absent.yaml", _env(home))


def test_oversized_file_is_refused(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (1 << 20))
    with pytest.raises(ConfigError, match="larger than"):
        load_observability_config(path, _env(home))


def test_empty_file_and_section_give_defaults(tmp_path: Path, home: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert load_observability_config(path, _env(home)) == load_observability_config(
        environ=_env(home)
    )
    path.write_text("observability:\n")
    assert load_observability_config(path, _env(home)).metrics.enabled is True


def test_enabled_otlp_without_endpoint_is_refused_when_built_directly() -> None:
    with pytest.raises(ValueError, match=r"tracing\.endpoint: required"):
        ObservabilityConfig.model_validate({"tracing": {"enabled": True}})


def test_endpoint_precedence(tmp_path: Path, home: Path) -> None:
    section = {"tracing": {"endpoint": "http://file:4317"}}
    assert _load_yaml(tmp_path, home, section).tracing.endpoint == "http://file:4317"
    otel = {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://otel:4317"}
    assert _load_yaml(tmp_path, home, section, **otel).tracing.endpoint == "http://otel:4317"
    hexr = {**otel, "HEXR_TRACING_ENDPOINT": "http://hexr:4317"}
    assert _load_yaml(tmp_path, home, section, **hexr).tracing.endpoint == "http://hexr:4317"


@pytest.mark.parametrize(
    ("insecure", "url"), [("true", "http://c:4317"), ("false", "https://c:4317")]
)
def test_bare_grpc_endpoint_uses_insecure_flag(home: Path, insecure: str, url: str) -> None:
    cfg = load_observability_config(
        environ=_env(home, HEXR_TRACING_ENDPOINT="c:4317", HEXR_TRACING_INSECURE=insecure)
    )
    assert cfg.tracing.endpoint == "c:4317"
    assert cfg.tracing_url() == url


def test_url_endpoint_is_used_as_given(home: Path) -> None:
    cfg = load_observability_config(
        environ=_env(home, HEXR_TRACING_ENDPOINT="https://c:4317", HEXR_TRACING_INSECURE="true")
    )
    assert cfg.tracing_url() == "https://c:4317"


def test_dev_up_no_observe_turns_the_default_off(home: Path) -> None:
    from hexr.config import observe_file, set_dev_observe

    run = home / "run"
    run.mkdir()
    published = {"env": {"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:54317"}}
    (run / "platform.json").write_text(json.dumps(published))
    set_dev_observe(home, False)
    assert observe_file(home).read_text().strip() == "false"
    assert load_observability_config(environ=_env(home)).observe is False
    # The environment still wins over the platform's default.
    assert load_observability_config(environ=_env(home, HEXR_OBSERVE="1")).observe is True
    set_dev_observe(home, True)
    assert load_observability_config(environ=_env(home)).observe is True


def test_observe_file_alone_does_nothing_without_a_platform(home: Path) -> None:
    from hexr.config import set_dev_observe

    set_dev_observe(home, True)
    assert load_observability_config(environ=_env(home)).observe is False


def test_enumerations_are_case_insensitive(home: Path) -> None:
    cfg = load_observability_config(environ=_env(
        home, HEXR_TRACING_EXPORTER="Console", HEXR_TRACING_PROTOCOL="HTTP/protobuf",
        HEXR_LOG_LEVEL="warn", HEXR_LOG_FORMAT="JSON",
    ))
    assert (cfg.tracing.exporter, cfg.tracing.protocol) == ("console", "http/protobuf")
    assert (cfg.logging.level, cfg.logging.format) == ("WARNING", "json")


def _alias_bomb(levels: int) -> str:
    lines = ["a0: &a0 {k: v}"]
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} {{p: *a{i - 1}, q: *a{i - 1}, r: *a{i - 1}, s: *a{i - 1}}}")
    return "observability:\n  metrics:\n    const_labels:\n" + "".join(
        f"      {line}\n" for line in lines
    )


@pytest.mark.parametrize(
    "content",
    [
        _alias_bomb(20),  # ~10^12 nodes behind a 1 KB file, through YAML aliases
        "observability: &loop\n  metrics: *loop\n",  # a section that contains itself
    ],
)
def test_a_section_that_expands_without_bound_is_refused(
    tmp_path: Path, home: Path, content: str
) -> None:
    import time

    path = tmp_path / "bomb.yaml"
    path.write_text(content)
    started = time.monotonic()
    with pytest.raises(ConfigError, match="too large or too deeply nested"):
        load_observability_config(path, _env(home))
    assert time.monotonic() - started < 2
