"""The ``observability:`` configuration section as typed, validated value objects.

One model is read by the SDK, the sidecars and the services, so every process exports,
labels, samples, logs and protects ``/metrics`` the same way.
"""

from __future__ import annotations

import ipaddress
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from hexr.config._labels import check_const_labels

__all__ = [
    "BasicAuthConfig",
    "LoggingConfig",
    "MetricsConfig",
    "MetricsProtection",
    "ObservabilityConfig",
    "TracingConfig",
]

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

MAX_HEADERS = 32
MAX_HEADER_VALUE_LENGTH = 8192
_PROM_NAME = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
# RFC 9110 token; gRPC metadata keys must also be lower case, checked below.
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_PRINTABLE_NAME = re.compile(r"[\w.\-/: @+]{1,128}")

_FROZEN = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class BasicAuthConfig(BaseModel):
    """Username and password a scraper must present (HTTP basic auth)."""

    model_config = _FROZEN

    username: Annotated[str, Field(min_length=1, max_length=128)]
    password: SecretStr

    @field_validator("password")
    @classmethod
    def _password_not_empty(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("must not be empty")
        return value


class MetricsProtection(BaseModel):
    """Who may scrape ``/metrics``: basic auth and/or bearer token, and an address allowlist.

    With both credentials configured either one is accepted; with an allowlist the peer
    address must be in it as well. Nothing configured means an open endpoint.
    """

    model_config = _FROZEN

    basic_auth: BasicAuthConfig | None = None
    bearer_token: SecretStr | None = None
    allow_cidrs: tuple[IPNetwork, ...] = ()

    @field_validator("bearer_token")
    @classmethod
    def _token_not_empty(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters")
        return value

    @field_validator("allow_cidrs", mode="before")
    @classmethod
    def _split_cidrs(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(part.strip() for part in value.split(",") if part.strip())
        return value

    @property
    def enabled(self) -> bool:
        """Whether any protection is configured."""
        return bool(self.basic_auth or self.bearer_token or self.allow_cidrs)


class MetricsConfig(BaseModel):
    """Prometheus metrics: exposition path, name prefix, constant labels, protection."""

    model_config = _FROZEN

    enabled: bool = True
    path: str = "/metrics"
    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65535)] | None = None
    namespace: str = ""
    subsystem: str = ""
    const_labels: dict[str, str] = Field(default_factory=dict)
    protection: MetricsProtection = Field(default_factory=MetricsProtection)

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if not re.fullmatch(r"/[A-Za-z0-9._~/-]{0,255}", value) or "//" in value:
            raise ValueError("must be an absolute URL path such as /metrics")
        return value

    @field_validator("host")
    @classmethod
    def _check_host(cls, value: str) -> str:
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not re.fullmatch(r"(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value):
                raise ValueError("must be an IP address or a host name") from None
        return value

    @field_validator("namespace", "subsystem")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if value and (not _PROM_NAME.fullmatch(value) or len(value) > 64):
            raise ValueError("must be a Prometheus name ([a-zA-Z_][a-zA-Z0-9_]*, <= 64 chars)")
        return value

    @field_validator("const_labels", mode="before")
    @classmethod
    def _parse_labels(cls, value: object) -> object:
        return _parse_pairs(value) if isinstance(value, str) else value

    @field_validator("const_labels")
    @classmethod
    def _check_labels(cls, value: dict[str, str]) -> dict[str, str]:
        return check_const_labels(value)

    @property
    def prefix(self) -> str:
        """``namespace_subsystem``, joined to every exposed metric name with ``_``."""
        return "_".join(part for part in (self.namespace, self.subsystem) if part)


class TracingConfig(BaseModel):
    """Span export: exporter, endpoint, transport security, headers and sampling."""

    model_config = _FROZEN

    enabled: bool = False
    exporter: Literal["otlp", "zipkin", "console", "none"] = "otlp"
    protocol: Literal["grpc", "http/protobuf"] = "grpc"
    endpoint: str | None = None
    insecure: bool = False
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    sample_rate: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    timeout_s: Annotated[float, Field(gt=0.0, le=60.0)] = 2.0

    @field_validator("exporter", "protocol", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("headers", mode="before")
    @classmethod
    def _parse_headers(cls, value: object) -> object:
        return _parse_pairs(value) if isinstance(value, str) else value

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        if len(value) > MAX_HEADERS:
            raise ValueError(f"at most {MAX_HEADERS} headers are allowed")
        for name, secret in value.items():
            if not _HEADER_NAME.fullmatch(name):
                raise ValueError(f"header {name!r} is not a valid header name")
            text = secret.get_secret_value()
            if len(text) > MAX_HEADER_VALUE_LENGTH or any(c in text for c in "\r\n\0"):
                # Never echo the value: it is usually a credential.
                raise ValueError(f"header {name!r} has an invalid or too long value")
        return value

    @field_validator("endpoint")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "://" not in value:
            # OTLP/gRPC also takes a bare host:port; `insecure` then picks plaintext or TLS.
            host, sep, port = value.rpartition(":")
            if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
                raise ValueError("must be an http(s):// URL or host:port")
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL with a host")
        if parts.username or parts.password:
            raise ValueError("must not carry credentials; use headers")
        try:
            parts.port  # noqa: B018 (raises on a bad port)
        except ValueError as exc:
            raise ValueError("has an invalid port") from exc
        return value

    def header_values(self) -> dict[str, str]:
        """Headers with secrets revealed, lower-cased (gRPC metadata keys must be)."""
        return {name.lower(): value.get_secret_value() for name, value in self.headers.items()}


class LoggingConfig(BaseModel):
    """Structured logs: level and rendering."""

    model_config = _FROZEN

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    format: Literal["json", "console"] = "json"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        level = value.strip().upper()
        return "WARNING" if level == "WARN" else level

    @field_validator("format", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value


class ObservabilityConfig(BaseModel):
    """The whole ``observability:`` section."""

    model_config = _FROZEN

    observe: bool = False
    service_name: str | None = None
    """``None``: the agent's name, else ``hexr-agent``."""
    service_version: str | None = None
    capture_content: bool = False
    prices_file: Path | None = None
    metrics: MetricsConfig = Field(default_factory=MetricsConfig)
    tracing: TracingConfig = Field(default_factory=TracingConfig)
    logging: LoggingConfig = Field(default_factory=LoggingConfig)

    @field_validator("service_name", "service_version")
    @classmethod
    def _check_name(cls, value: str | None) -> str | None:
        if value is not None and not _PRINTABLE_NAME.fullmatch(value):
            raise ValueError("must be 1..128 letters, digits or . - / : @ + _ space")
        return value

    @field_validator("prices_file")
    @classmethod
    def _check_prices_file(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("must name an existing price table file")
        return value

    @model_validator(mode="after")
    def _check_exporter_endpoint(self) -> ObservabilityConfig:
        tracing = self.tracing
        if tracing.enabled and tracing.exporter in ("otlp", "zipkin") and not tracing.endpoint:
            raise ValueError("tracing.endpoint: required when tracing is enabled")
        schemeless = tracing.endpoint is not None and "://" not in tracing.endpoint
        if schemeless and (tracing.exporter != "otlp" or tracing.protocol != "grpc"):
            raise ValueError("tracing.endpoint: host:port is only valid for OTLP over gRPC")
        return self

    def tracing_url(self) -> str | None:
        """The tracing endpoint as a URL, a bare ``host:port`` resolved by ``insecure``."""
        endpoint = self.tracing.endpoint
        if endpoint is None or "://" in endpoint:
            return endpoint
        return f"{'http' if self.tracing.insecure else 'https'}://{endpoint}"


def _parse_pairs(text: str) -> dict[str, str]:
    """Parse ``k=v,k2=v2`` (the OTEL_*_HEADERS format; values may be %-encoded)."""
    from urllib.parse import unquote

    pairs: dict[str, str] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError("must be a comma-separated list of key=value")
        pairs[key.strip()] = unquote(value.strip())
    return pairs
