"""Names of the environment variables Hexr reads, in one place.

The platform launcher (`hexr dev run`) sets these for an agent process; in production the
deployment sets them. `SPIFFE_ENDPOINT_SOCKET` and `OTEL_*` are the ecosystem's standard
names, so SPIFFE and OpenTelemetry tooling read the same values.
"""

from __future__ import annotations

HEXR_HOME = "HEXR_HOME"
"""State directory of the local platform (keys, logs, pids, runtime endpoints)."""

HEXR_TRUST_DOMAIN = "HEXR_TRUST_DOMAIN"
SPIFFE_ENDPOINT_SOCKET = "SPIFFE_ENDPOINT_SOCKET"
"""Workload API address, ``unix:///path/to/socket`` (SPIFFE standard)."""

HEXR_VALKEY_URL = "HEXR_VALKEY_URL"
HEXR_VAULT_ADDR = "HEXR_VAULT_ADDR"
HEXR_INJECTOR_URL = "HEXR_INJECTOR_URL"
HEXR_JWKS_URL = "HEXR_JWKS_URL"
HEXR_PROMETHEUS_URL = "HEXR_PROMETHEUS_URL"
HEXR_PUSHGATEWAY_URL = "HEXR_PUSHGATEWAY_URL"
"""Where short-lived processes push their metrics on exit."""

OTEL_EXPORTER_OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTEL_SDK_DISABLED = "OTEL_SDK_DISABLED"

PLATFORM_ENV_NAMES = (
    SPIFFE_ENDPOINT_SOCKET,
    HEXR_TRUST_DOMAIN,
    HEXR_VALKEY_URL,
    HEXR_VAULT_ADDR,
    HEXR_INJECTOR_URL,
    HEXR_JWKS_URL,
    HEXR_PROMETHEUS_URL,
    HEXR_PUSHGATEWAY_URL,
    OTEL_EXPORTER_OTLP_ENDPOINT,
)
"""Endpoints a running local platform publishes for agents (see `hexr._settings`)."""
