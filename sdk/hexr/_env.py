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

# Identity service (``python -m hexr_identity``); CLI flags of the same name override them.
HEXR_IDENTITY_SOCKET = "HEXR_IDENTITY_SOCKET"
"""Workload API socket path the service listens on."""
HEXR_IDENTITY_REGISTRATION_SOCKET = "HEXR_IDENTITY_REGISTRATION_SOCKET"
"""Owner-only registration socket (the launcher's trust boundary); never given to agents."""
HEXR_IDENTITY_HTTP_PORT = "HEXR_IDENTITY_HTTP_PORT"
"""Loopback port of the JWKS / OIDC discovery server (default 8761)."""
HEXR_IDENTITY_ISSUER = "HEXR_IDENTITY_ISSUER"
"""OIDC issuer and JWT ``iss`` (default: the JWKS server's base URL)."""
HEXR_IDENTITY_X509_TTL = "HEXR_IDENTITY_X509_TTL"
HEXR_IDENTITY_JWT_TTL = "HEXR_IDENTITY_JWT_TTL"
HEXR_IDENTITY_CA_TTL = "HEXR_IDENTITY_CA_TTL"
"""SVID and CA lifetimes in seconds (defaults 3600, 300, 604800)."""

HEXR_VALKEY_URL = "HEXR_VALKEY_URL"
HEXR_VAULT_ADDR = "HEXR_VAULT_ADDR"
HEXR_VAULT_AUDIENCE = "HEXR_VAULT_AUDIENCE"
"""JWT-SVID audience the vault's JWT auth binds (default ``hexr-vault``)."""
HEXR_VAULT_CACERT = "HEXR_VAULT_CACERT"
"""CA bundle to verify an ``https`` vault (default: system trust store)."""
HEXR_VAULT_TOKEN = "HEXR_VAULT_TOKEN"  # noqa: S105 (an env var name)
"""Operator token for ``hexr vault`` commands only; agents never use a static token."""
HEXR_INJECTOR_URL = "HEXR_INJECTOR_URL"
"""Where agents reach the credential injector (``https://`` = mTLS with SVIDs)."""
HEXR_INJECTOR_CONFIG = "HEXR_INJECTOR_CONFIG"
"""The injector's YAML config: services and their providers, grants, policy files."""
HEXR_INJECTOR_HOST = "HEXR_INJECTOR_HOST"
HEXR_INJECTOR_PORT = "HEXR_INJECTOR_PORT"
HEXR_INJECTOR_STATE_DIR = "HEXR_INJECTOR_STATE_DIR"
"""Holds the injector's master sealing secret (default ``$HEXR_HOME/injector``)."""
HEXR_INJECTOR_MAX_BODY_BYTES = "HEXR_INJECTOR_MAX_BODY_BYTES"
"""Request body limit of the injector (default 16384; larger bodies get 413)."""
# Connection bounds of the injector (seconds, count); see docs/security.md.
HEXR_INJECTOR_BODY_TIMEOUT_S = "HEXR_INJECTOR_BODY_TIMEOUT_S"
HEXR_INJECTOR_HEADER_TIMEOUT_S = "HEXR_INJECTOR_HEADER_TIMEOUT_S"
HEXR_INJECTOR_HANDSHAKE_TIMEOUT_S = "HEXR_INJECTOR_HANDSHAKE_TIMEOUT_S"
HEXR_INJECTOR_KEEP_ALIVE_S = "HEXR_INJECTOR_KEEP_ALIVE_S"
HEXR_INJECTOR_MAX_CONNECTIONS = "HEXR_INJECTOR_MAX_CONNECTIONS"
HEXR_JWKS_URL = "HEXR_JWKS_URL"
HEXR_PROMETHEUS_URL = "HEXR_PROMETHEUS_URL"
HEXR_PUSHGATEWAY_URL = "HEXR_PUSHGATEWAY_URL"
"""Where short-lived processes push their metrics on exit."""

HEXR_DEV_PORTS = "HEXR_DEV_PORTS"
"""Fixed ports for `hexr dev up`, e.g. ``valkey=6379,collector.grpc=4317`` (else free)."""
HEXR_COLLECTOR_EXPORTER_ARGS = "HEXR_COLLECTOR_EXPORTER_ARGS"
"""Exporter flags of the local collector (rotel), default ``--exporter blackhole``."""

HEXR_METRICS_PORT = "HEXR_METRICS_PORT"
"""Port of a long-lived process's ``/metrics`` endpoint; unset: not served, ``0``: any free."""
HEXR_METRICS_HOST = "HEXR_METRICS_HOST"
"""Address ``/metrics`` binds to (default ``127.0.0.1``)."""
HEXR_CAPTURE_CONTENT = "HEXR_CAPTURE_CONTENT"
"""``true`` records prompt and completion content on LLM spans (default off)."""
HEXR_TELEMETRY_FLUSH_TIMEOUT = "HEXR_TELEMETRY_FLUSH_TIMEOUT"
"""Seconds a process waits at exit to flush spans and push metrics (default 2)."""
HEXR_PUSHGATEWAY_STALE_AFTER = "HEXR_PUSHGATEWAY_STALE_AFTER"
"""Age (s) after which an exiting agent deletes its earlier processes' pushed groups."""

OTEL_EXPORTER_OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
OTEL_SERVICE_NAME = "OTEL_SERVICE_NAME"
OTEL_TRACES_EXPORTER = "OTEL_TRACES_EXPORTER"
OTEL_BSP_MAX_QUEUE_SIZE = "OTEL_BSP_MAX_QUEUE_SIZE"
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

# Observability section (`hexr.config`): each variable overrides one field of the YAML
# file named by HEXR_CONFIG; `hexr.config.ENV_FIELDS` maps them to their fields.
HEXR_CONFIG = "HEXR_CONFIG"
"""Path of the YAML config file (its ``observability:`` section)."""
HEXR_OBSERVE = "HEXR_OBSERVE"
"""``true``: zero-config observability (metrics and traces on, local endpoints)."""
HEXR_SERVICE_NAME = "HEXR_SERVICE_NAME"
HEXR_SERVICE_VERSION = "HEXR_SERVICE_VERSION"
HEXR_PRICES_FILE = "HEXR_PRICES_FILE"
"""YAML price table merged over the shipped one (LLM cost)."""
HEXR_METRICS_ENABLED = "HEXR_METRICS_ENABLED"
HEXR_METRICS_PATH = "HEXR_METRICS_PATH"
HEXR_METRICS_NAMESPACE = "HEXR_METRICS_NAMESPACE"
HEXR_METRICS_SUBSYSTEM = "HEXR_METRICS_SUBSYSTEM"
HEXR_METRICS_CONST_LABELS = "HEXR_METRICS_CONST_LABELS"
"""``environment=prod,region=eu-west-1``: labels added to every metric."""
HEXR_METRICS_BASIC_AUTH_USERNAME = "HEXR_METRICS_BASIC_AUTH_USERNAME"
HEXR_METRICS_BASIC_AUTH_PASSWORD = "HEXR_METRICS_BASIC_AUTH_PASSWORD"  # noqa: S105 (a name)
HEXR_METRICS_BEARER_TOKEN = "HEXR_METRICS_BEARER_TOKEN"  # noqa: S105 (a name)
HEXR_METRICS_ALLOW_CIDRS = "HEXR_METRICS_ALLOW_CIDRS"
"""Comma-separated networks allowed to scrape ``/metrics``."""
HEXR_TRACING_ENABLED = "HEXR_TRACING_ENABLED"
HEXR_TRACING_EXPORTER = "HEXR_TRACING_EXPORTER"
"""``otlp`` | ``zipkin`` | ``console`` | ``none``."""
HEXR_TRACING_PROTOCOL = "HEXR_TRACING_PROTOCOL"
"""OTLP transport: ``grpc`` | ``http/protobuf``."""
HEXR_TRACING_ENDPOINT = "HEXR_TRACING_ENDPOINT"
HEXR_TRACING_INSECURE = "HEXR_TRACING_INSECURE"
HEXR_TRACING_HEADERS = "HEXR_TRACING_HEADERS"
"""``Authorization=Bearer ${TOKEN},x-tenant=a`` (``${ENV}`` is interpolated)."""
HEXR_TRACING_SAMPLE_RATE = "HEXR_TRACING_SAMPLE_RATE"
HEXR_TRACING_TIMEOUT = "HEXR_TRACING_TIMEOUT"
HEXR_LOG_LEVEL = "HEXR_LOG_LEVEL"
HEXR_LOG_FORMAT = "HEXR_LOG_FORMAT"
"""``json`` (default) | ``console``."""
