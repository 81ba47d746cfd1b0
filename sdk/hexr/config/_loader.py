"""Load the observability section: YAML file, then environment, then zero-config defaults.

Precedence, highest first: ``HEXR_*`` environment variables, standard ``OTEL_*`` variables
(fallbacks), the ``observability:`` section of the YAML file named by ``HEXR_CONFIG``, then
defaults. ``observe`` (``HEXR_OBSERVE``, on by default while a local platform runs) turns
metrics and tracing on with local endpoints wherever nothing else was chosen.

Any invalid value raises `hexr.errors.ConfigError` at start, naming the field and where the
value came from; values themselves are never echoed, since they may be credentials.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from hexr import _env
from hexr.config._interpolate import InterpolationError, interpolate
from hexr.config._models import ObservabilityConfig
from hexr.endpoints import default_home, published_env
from hexr.env import TRUE_WORDS
from hexr.errors import ConfigError
from hexr.telemetry._config import DEFAULT_OTLP_ENDPOINT
from hexr.yamlfile import load_yaml, read_file

__all__ = [
    "ENV_FIELDS",
    "get_observability_config",
    "load_observability_config",
    "observe_file",
    "set_dev_observe",
]

MAX_CONFIG_BYTES = 1 << 20
MAX_SECTION_NODES = 10_000
MAX_SECTION_DEPTH = 16
_PLATFORM = "local platform (platform.json)"
SECTION = "observability"

FieldPath = tuple[str, ...]

ENV_FIELDS: dict[str, FieldPath] = {
    _env.HEXR_OBSERVE: ("observe",),
    _env.HEXR_SERVICE_NAME: ("service_name",),
    _env.HEXR_SERVICE_VERSION: ("service_version",),
    _env.HEXR_CAPTURE_CONTENT: ("capture_content",),
    _env.HEXR_PRICES_FILE: ("prices_file",),
    _env.HEXR_METRICS_ENABLED: ("metrics", "enabled"),
    _env.HEXR_METRICS_PATH: ("metrics", "path"),
    _env.HEXR_METRICS_HOST: ("metrics", "host"),
    _env.HEXR_METRICS_PORT: ("metrics", "port"),
    _env.HEXR_METRICS_NAMESPACE: ("metrics", "namespace"),
    _env.HEXR_METRICS_SUBSYSTEM: ("metrics", "subsystem"),
    _env.HEXR_METRICS_CONST_LABELS: ("metrics", "const_labels"),
    _env.HEXR_METRICS_BASIC_AUTH_USERNAME: ("metrics", "protection", "basic_auth", "username"),
    _env.HEXR_METRICS_BASIC_AUTH_PASSWORD: ("metrics", "protection", "basic_auth", "password"),
    _env.HEXR_METRICS_BEARER_TOKEN: ("metrics", "protection", "bearer_token"),
    _env.HEXR_METRICS_ALLOW_CIDRS: ("metrics", "protection", "allow_cidrs"),
    _env.HEXR_TRACING_ENABLED: ("tracing", "enabled"),
    _env.HEXR_TRACING_EXPORTER: ("tracing", "exporter"),
    _env.HEXR_TRACING_PROTOCOL: ("tracing", "protocol"),
    _env.HEXR_TRACING_ENDPOINT: ("tracing", "endpoint"),
    _env.HEXR_TRACING_INSECURE: ("tracing", "insecure"),
    _env.HEXR_TRACING_HEADERS: ("tracing", "headers"),
    _env.HEXR_TRACING_SAMPLE_RATE: ("tracing", "sample_rate"),
    _env.HEXR_TRACING_TIMEOUT: ("tracing", "timeout_s"),
    _env.HEXR_LOG_LEVEL: ("logging", "level"),
    _env.HEXR_LOG_FORMAT: ("logging", "format"),
}
"""Every ``HEXR_*`` variable of the section and the field it sets."""

# Standard OpenTelemetry variables, used only where no HEXR_* variable is set; the
# signal-specific name wins over the generic one, as in the OpenTelemetry SDK.
_OTEL_FIELDS: dict[FieldPath, tuple[str, ...]] = {
    ("service_name",): ("OTEL_SERVICE_NAME",),
    ("tracing", "exporter"): ("OTEL_TRACES_EXPORTER",),
    ("tracing", "protocol"): ("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL"),
    ("tracing", "insecure"): ("OTEL_EXPORTER_OTLP_TRACES_INSECURE", "OTEL_EXPORTER_OTLP_INSECURE"),
    ("tracing", "headers"): ("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS"),
    ("tracing", "sample_rate"): ("OTEL_TRACES_SAMPLER_ARG",),
    ("tracing", "timeout_s"): ("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",),
}

_DEFAULT_ENDPOINTS = {
    ("otlp", "grpc"): DEFAULT_OTLP_ENDPOINT,
    ("otlp", "http/protobuf"): "http://localhost:4318/v1/traces",
    ("zipkin", "grpc"): "http://localhost:9411/api/v2/spans",
    ("zipkin", "http/protobuf"): "http://localhost:9411/api/v2/spans",
}


def load_observability_config(
    path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> ObservabilityConfig:
    """Read, merge and validate the observability section.

    Args:
        path: YAML file; defaults to ``$HEXR_CONFIG``; no file means defaults plus env.
        environ: environment to read (defaults to ``os.environ``); tests pass their own.

    Raises:
        ConfigError: the file is unreadable or invalid, or a field fails validation; the
            message names the field and its source.
    """
    env = dict(os.environ if environ is None else environ)
    file_path = Path(path) if path is not None else _path_from_env(env)
    raw: dict[str, Any] = {}
    sources: dict[FieldPath, str] = {}
    if file_path is not None:
        raw = _read_section(file_path)
        _record(raw, (), f"{file_path}: {SECTION}", sources)
    _apply_env(raw, env, sources)
    _apply_otel_endpoint(raw, env, sources)
    _apply_observe(raw, env, sources)
    _interpolate_tree(raw, (), env, sources)
    try:
        return ObservabilityConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(_describe(exc, sources)) from None


_cached: ObservabilityConfig | None = None
_lock = threading.Lock()


def get_observability_config(*, reload: bool = False) -> ObservabilityConfig:
    """The process-wide config, loaded once from ``HEXR_CONFIG`` and the environment.

    Raises:
        ConfigError: as `load_observability_config`.
    """
    global _cached
    with _lock:
        if _cached is None or reload:
            _cached = load_observability_config()
        return _cached


def _path_from_env(env: Mapping[str, str]) -> Path | None:
    value = env.get(_env.HEXR_CONFIG, "").strip()
    return Path(value).expanduser() if value else None


def read_section(
    name: str, path: str | Path | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The raw ``<name>:`` section of the configuration file (``{}`` without one).

    A component reads its own section here and merges it onto its defaults with
    `merge_settings`; validation stays with the component's model.

    Args:
        name: The section (``injector``, ``identity``, ...).
        path: The file; defaults to ``$HEXR_CONFIG``.
        environ: The environment to read ``HEXR_CONFIG`` from (default ``os.environ``).

    Raises:
        ConfigError: the file is unreadable, not bounded YAML, or the section not a mapping.
    """
    env = os.environ if environ is None else environ
    file_path = Path(path) if path is not None else _path_from_env(env)
    return {} if file_path is None else _read_section(file_path, name)


def merge_settings(defaults: Mapping[str, Any], overrides: Mapping[str, Any]) -> dict[str, Any]:
    """``overrides`` laid over ``defaults``: mappings merge key by key, other values replace."""
    merged = dict(defaults)
    for key, value in overrides.items():
        base = merged.get(key)
        if isinstance(base, Mapping) and isinstance(value, Mapping):
            merged[key] = merge_settings(base, value)
        else:
            merged[key] = value
    return merged


def _read_section(path: Path, name: str = SECTION) -> dict[str, Any]:
    data = read_file(path, _env.HEXR_CONFIG, MAX_CONFIG_BYTES)
    document = load_yaml(data, str(path), MAX_SECTION_NODES, MAX_SECTION_DEPTH)
    if document is None:
        return {}
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: the top level must be a mapping")
    section = document.get(name, {})
    if section is None:
        return {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: {name}: must be a mapping")
    return section


def _record(node: Any, at: FieldPath, source: str, sources: dict[FieldPath, str]) -> None:
    sources[at] = source
    if isinstance(node, dict):
        for key, child in node.items():
            _record(child, (*at, str(key)), source, sources)


def _set(raw: dict[str, Any], at: FieldPath, value: Any) -> None:
    node = raw
    for key in at[:-1]:
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child
    node[at[-1]] = value


def _get(raw: dict[str, Any], at: FieldPath) -> Any:
    node: Any = raw
    for key in at:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def _apply_env(raw: dict[str, Any], env: Mapping[str, str], sources: dict[FieldPath, str]) -> None:
    for at, names in _OTEL_FIELDS.items():
        for name in names:
            value = env.get(name, "").strip()
            if value:
                _set(raw, at, value.lower() if at[-1] in ("exporter", "protocol") else value)
                sources[at] = f"env {name}"
                break
    for name, at in ENV_FIELDS.items():
        text = env.get(name, "").strip()
        if text:
            _set(raw, at, text)
            sources[at] = f"env {name}"


def _apply_otel_endpoint(
    raw: dict[str, Any], env: Mapping[str, str], sources: dict[FieldPath, str]
) -> None:
    """Fill tracing.endpoint from OTEL_* (over the file) or the local platform (under it)."""
    if env.get(_env.HEXR_TRACING_ENDPOINT, "").strip():
        return
    signal = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "").strip()
    if signal:
        _set(raw, ("tracing", "endpoint"), signal)
        sources[("tracing", "endpoint")] = "env OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"
        return
    base = env.get(_env.OTEL_EXPORTER_OTLP_ENDPOINT, "").strip()
    source = f"env {_env.OTEL_EXPORTER_OTLP_ENDPOINT}"
    if not base:
        if _get(raw, ("tracing", "endpoint")):
            return
        base = _published(env).get(_env.OTEL_EXPORTER_OTLP_ENDPOINT, "")
        source = _PLATFORM
    if not base:
        return
    if _get(raw, ("tracing", "protocol")) == "http/protobuf":
        # The generic variable is a base URL; the HTTP exporter posts to its traces path.
        base = base.rstrip("/") + "/v1/traces"
    _set(raw, ("tracing", "endpoint"), base)
    sources[("tracing", "endpoint")] = source


def _home(env: Mapping[str, str]) -> Path | None:
    home = env.get(_env.HEXR_HOME, "").strip()
    return Path(home).expanduser() if home else None


def _published(env: Mapping[str, str]) -> dict[str, str]:
    return published_env(_home(env))


def observe_file(home: Path) -> Path:
    """Where `hexr dev up --observe/--no-observe` records its choice for local agents."""
    return home / "run" / "observe"


def set_dev_observe(home: Path, observe: bool) -> None:
    """Record whether agents of the local platform observe by default (``hexr dev up``)."""
    path = observe_file(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("true\n" if observe else "false\n")


def _dev_observe(env: Mapping[str, str]) -> bool:
    """Observe by default while a local platform runs, unless it was started --no-observe."""
    if not _published(env):
        return False
    home = _home(env)
    try:
        choice = observe_file(home or default_home()).read_text().strip()
    except OSError:
        return True
    return choice != "false"


def _truthy(value: Any) -> bool:
    return value is True or str(value).strip().lower() in TRUE_WORDS


def _apply_observe(
    raw: dict[str, Any], env: Mapping[str, str], sources: dict[FieldPath, str]
) -> None:
    """Zero-config: fill unset fields so traces and metrics flow to local endpoints."""
    observe = raw.get("observe")
    if observe is None:
        # Observe by default on a developer machine where `hexr dev up` runs a platform.
        observe = _dev_observe(env)
        raw["observe"] = observe
    tracing = raw.setdefault("tracing", {})
    if not isinstance(tracing, dict):
        return
    if "enabled" not in tracing:
        # Tracing turns on by itself when observe is on or someone chose where spans go.
        chosen = any(
            key in tracing and not sources.get(("tracing", key), "").startswith(_PLATFORM)
            for key in ("endpoint", "exporter")
        )
        tracing["enabled"] = _truthy(observe) or chosen
        sources[("tracing", "enabled")] = "default"
    if _truthy(tracing["enabled"]) and not tracing.get("endpoint"):
        key = (str(tracing.get("exporter", "otlp")), str(tracing.get("protocol", "grpc")))
        default = _DEFAULT_ENDPOINTS.get(key)
        if default is not None:
            tracing["endpoint"] = default
            # A loopback collector speaks plaintext unless told otherwise.
            tracing.setdefault("insecure", True)
            sources[("tracing", "endpoint")] = "default"
    if _truthy(observe):
        metrics = raw.setdefault("metrics", {})
        if isinstance(metrics, dict):
            metrics.setdefault("enabled", True)


def _interpolate_tree(
    node: Any, at: FieldPath, env: Mapping[str, str], sources: dict[FieldPath, str]
) -> None:
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        here = (*at, str(key))
        if isinstance(value, str):
            try:
                node[key] = interpolate(value, env)
            except InterpolationError as exc:
                raise ConfigError(f"{_field(here, sources)}: {exc}") from None
        elif isinstance(value, list):
            try:
                node[key] = [
                    interpolate(item, env) if isinstance(item, str) else item for item in value
                ]
            except InterpolationError as exc:
                raise ConfigError(f"{_field(here, sources)}: {exc}") from None
        else:
            _interpolate_tree(value, here, env, sources)


def _field(at: FieldPath, sources: Mapping[FieldPath, str]) -> str:
    name = ".".join((SECTION, *at))
    for depth in range(len(at), 0, -1):
        source = sources.get(at[:depth])
        if source:
            return f"{name} (from {source})"
    return name


def _describe(exc: ValidationError, sources: Mapping[FieldPath, str]) -> str:
    problems = []
    for error in exc.errors(include_input=False, include_url=False):
        at = tuple(str(part) for part in error["loc"])
        message = error["msg"].removeprefix("Value error, ")
        if error["type"] == "extra_forbidden":
            message = "unknown field"
        problems.append(f"{_field(at, sources)}: {message}")
    return "invalid observability config: " + "; ".join(problems)
