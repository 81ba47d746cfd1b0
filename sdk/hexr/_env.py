"""Names of the environment variables Hexr reads, in one place.

The platform launcher (`hexr dev run`) sets these for an agent process; in production the
deployment sets them. `SPIFFE_ENDPOINT_SOCKET` and `OTEL_*` are the ecosystem's standard
names, so SPIFFE and OpenTelemetry tooling read the same values.
"""

from __future__ import annotations

HEXR_HOME = "HEXR_HOME"
"""State directory of the local platform (keys, logs, pids, runtime endpoints)."""

HEXR_TRUST_DOMAIN = "HEXR_TRUST_DOMAIN"
"""SPIFFE trust domain of every identity (default ``hexr.local``)."""
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
"""X.509-SVID lifetime in seconds (default 3600)."""
HEXR_IDENTITY_JWT_TTL = "HEXR_IDENTITY_JWT_TTL"
"""JWT-SVID lifetime in seconds (default 300)."""
HEXR_IDENTITY_CA_TTL = "HEXR_IDENTITY_CA_TTL"
"""SVID and CA lifetimes in seconds (defaults 3600, 300, 604800)."""

HEXR_VALKEY_URL = "HEXR_VALKEY_URL"
"""Valkey of the shared (L2) credential cache, ``valkey://host:port``."""
HEXR_VAULT_ADDR = "HEXR_VAULT_ADDR"
"""Vault (OpenBao) URL: ``https``, or ``http`` on loopback only."""
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
"""Address the injector binds (default ``127.0.0.1``)."""
HEXR_INJECTOR_PORT = "HEXR_INJECTOR_PORT"
"""Port the injector binds."""
HEXR_INJECTOR_STATE_DIR = "HEXR_INJECTOR_STATE_DIR"
"""Holds the injector's master sealing secret (default ``$HEXR_HOME/injector``)."""
HEXR_INJECTOR_MAX_BODY_BYTES = "HEXR_INJECTOR_MAX_BODY_BYTES"
"""Request body limit of the injector (default 16384; larger bodies get 413)."""
HEXR_GATEWAY_URL = "HEXR_GATEWAY_URL"
"""Where agents reach the gateway (its MCP endpoint is ``$HEXR_GATEWAY_URL/mcp``)."""
HEXR_GATEWAY_CONFIG = "HEXR_GATEWAY_CONFIG"
"""The gateway's YAML config: upstream specs per tenant or shared, grants, rate limits."""
HEXR_GATEWAY_HOST = "HEXR_GATEWAY_HOST"
HEXR_GATEWAY_PORT = "HEXR_GATEWAY_PORT"
HEXR_GATEWAY_MAX_BODY_BYTES = "HEXR_GATEWAY_MAX_BODY_BYTES"
"""Request body limit of the gateway (default 1 MiB; larger bodies get 413)."""
HEXR_GATEWAY_AUDIENCE = "HEXR_GATEWAY_AUDIENCE"
"""Audience of the JWT-SVIDs the SDK presents (default ``spiffe://{td}/service/gateway``)."""
# Connection bounds of the injector (seconds, count); see docs/security.md.
HEXR_INJECTOR_BODY_TIMEOUT_S = "HEXR_INJECTOR_BODY_TIMEOUT_S"
HEXR_INJECTOR_HEADER_TIMEOUT_S = "HEXR_INJECTOR_HEADER_TIMEOUT_S"
HEXR_INJECTOR_HANDSHAKE_TIMEOUT_S = "HEXR_INJECTOR_HANDSHAKE_TIMEOUT_S"
HEXR_INJECTOR_KEEP_ALIVE_S = "HEXR_INJECTOR_KEEP_ALIVE_S"
HEXR_INJECTOR_MAX_CONNECTIONS = "HEXR_INJECTOR_MAX_CONNECTIONS"
HEXR_JWKS_URL = "HEXR_JWKS_URL"
"""The identity service's JWKS (trust bundle of JWT-SVIDs) for verifiers."""
HEXR_PROMETHEUS_URL = "HEXR_PROMETHEUS_URL"
"""The local Prometheus (published by ``hexr dev up``)."""
HEXR_TRACES_URL = "HEXR_TRACES_URL"
"""Base URL of the trace store (Phoenix: UI and span REST API), for ``hexr traces``."""
HEXR_PHOENIX_VENV = "HEXR_PHOENIX_VENV"
"""Virtual environment of the trace store (default: the user cache, per Phoenix version)."""
HEXR_PUSHGATEWAY_URL = "HEXR_PUSHGATEWAY_URL"
"""Where short-lived processes push their metrics on exit."""
HEXR_LLM_BASE_URL = "HEXR_LLM_BASE_URL"
"""OpenAI-style base URL (``.../v1``) of the local fake LLM that `hexr dev up` runs."""
HEXR_CONSOLE_URL = "HEXR_CONSOLE_URL"
"""The management console's page and REST API (``hexr console`` prints its admin token)."""
HEXR_CONSOLE_HOST = "HEXR_CONSOLE_HOST"
"""Address the console binds (default ``127.0.0.1``)."""
HEXR_CONSOLE_PORT = "HEXR_CONSOLE_PORT"
"""Port of the console (default 8766; ``hexr dev up`` picks a free one)."""
HEXR_CONSOLE_DASHBOARDS = "HEXR_CONSOLE_DASHBOARDS"
"""Directory of Grafana dashboard JSON the console renders (default: the repo's dashboards/)."""

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
HEXR_GUARD = "HEXR_GUARD"
"""``1``/``on``: `hexr_llm` clients use the guard (default policy unless HEXR_GUARD_POLICY)."""
HEXR_GUARD_POLICY = "HEXR_GUARD_POLICY"
"""Guard policy: a YAML file, or a directory of ``<tenant>/<agent>.yaml``, ``<tenant>.yaml``,
``default.yaml`` (setting it turns the guard on)."""
HEXR_SANDBOX_WHEELHOUSE = "HEXR_SANDBOX_WHEELHOUSE"
"""Directory of wheels `hexr.sandbox.exec` may install ``packages`` from (offline only)."""
HEXR_BROWSER_EGRESS = "HEXR_BROWSER_EGRESS"
"""Browser egress allowlist: a YAML file mapping tenants/agents to allowed hosts."""
HEXR_TELEMETRY_FLUSH_TIMEOUT = "HEXR_TELEMETRY_FLUSH_TIMEOUT"
"""Seconds a process waits at exit to flush spans and push metrics (default 2)."""
HEXR_PUSHGATEWAY_STALE_AFTER = "HEXR_PUSHGATEWAY_STALE_AFTER"
"""Age (s) after which an exiting agent deletes its earlier processes' pushed groups."""

OTEL_EXPORTER_OTLP_ENDPOINT = "OTEL_EXPORTER_OTLP_ENDPOINT"
"""OTLP endpoint of traces (default the local collector, ``http://localhost:4317``)."""
OTEL_SERVICE_NAME = "OTEL_SERVICE_NAME"
"""``service.name`` of the process's telemetry (below ``HEXR_SERVICE_NAME``)."""
OTEL_TRACES_EXPORTER = "OTEL_TRACES_EXPORTER"
"""``otlp`` | ``console`` | ``none`` (below ``HEXR_TRACING_EXPORTER``)."""
OTEL_BSP_MAX_QUEUE_SIZE = "OTEL_BSP_MAX_QUEUE_SIZE"
"""Bound of the span batch queue (default 2048; drops are counted)."""
OTEL_SDK_DISABLED = "OTEL_SDK_DISABLED"
"""``true`` turns all telemetry off."""
OTEL_TRACES_SAMPLER = "OTEL_TRACES_SAMPLER"

PLATFORM_ENV_NAMES = (
    SPIFFE_ENDPOINT_SOCKET,
    HEXR_TRUST_DOMAIN,
    HEXR_VALKEY_URL,
    HEXR_VAULT_ADDR,
    HEXR_INJECTOR_URL,
    HEXR_GATEWAY_URL,
    HEXR_JWKS_URL,
    HEXR_PROMETHEUS_URL,
    HEXR_PUSHGATEWAY_URL,
    HEXR_TRACES_URL,
    HEXR_CONSOLE_URL,
    HEXR_LLM_BASE_URL,
    OTEL_EXPORTER_OTLP_ENDPOINT,
)
"""Endpoints a running local platform publishes for agents (see `hexr.endpoints`)."""

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

# A2A sidecar (``python -m hexr_a2a``; ``hexr dev run --a2a``).
HEXR_A2A_AGENT = "HEXR_A2A_AGENT"
"""``module:function`` of the ``@serves_a2a`` agent function the sidecar serves."""
HEXR_A2A_TENANT = "HEXR_A2A_TENANT"
HEXR_A2A_NAME = "HEXR_A2A_NAME"
"""Tenant and agent name of the agent ``hexr dev up`` serves over A2A (with HEXR_A2A_AGENT)."""
HEXR_A2A_PORT = "HEXR_A2A_PORT"
"""Port of the sidecar's mTLS listener (default 0: any free port)."""
HEXR_A2A_POLICY = "HEXR_A2A_POLICY"
"""YAML allow lists of the caller policy: ``callers``, ``cross_tenant``."""
HEXR_A2A_URL = "HEXR_A2A_URL"
"""Set by ``hexr dev run --a2a`` for the agent: where its own sidecar serves."""
HEXR_A2A_PUSH_ALLOW = "HEXR_A2A_PUSH_ALLOW"
"""Comma-separated ``host`` / ``host:port`` push targets allowed although not public."""
