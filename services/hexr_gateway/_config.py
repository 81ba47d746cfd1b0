"""Gateway configuration: a YAML file (upstreams, grants, limits) plus ``HEXR_GATEWAY_*`` env.

Example::

    issuer: http://127.0.0.1:8443          # iss of JWT-SVIDs (identity service base URL)
    vault_addr: http://127.0.0.1:8200      # upstream credentials (tenants/<t>/upstreams/<u>)
    valkey_url: valkey://127.0.0.1:6379    # rate limits + registered specs, shared by replicas
    upstreams:
      - {name: shop, spec: ./shop.yaml, tenants: [acme]}          # acme's own tool set
      - {name: weather, spec: https://example.com/openapi.json, shared: true}
    grants:                                # data.grants of the tool policy
      - {tenant: acme, agents: ["*"], tools: ["shop_*"], actions: [list, call]}
    rate_limits:
      - {tenant: "*", agent: "*", tool: "*", limit: 120, window_seconds: 60}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from hexr.errors import ConfigError

__all__ = [
    "POLICY_DIR",
    "Constraint",
    "GatewayConfig",
    "GatewaySettings",
    "Grant",
    "RateLimit",
    "UpstreamConfig",
    "load_config",
]

POLICY_DIR = Path(__file__).parent / "policy"
_MAX_CONFIG_BYTES = 1024 * 1024
_NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class GatewaySettings(BaseSettings):
    """Process settings of the gateway (``HEXR_GATEWAY_*``)."""

    model_config = SettingsConfigDict(env_prefix="HEXR_GATEWAY_", extra="ignore")

    config: Path | None = None
    """YAML configuration file (``HEXR_GATEWAY_CONFIG``)."""
    host: str = "127.0.0.1"
    port: int = Field(default=8450, ge=0, le=65535)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=32 * 1024 * 1024)


class UpstreamConfig(BaseModel):
    """One upstream API: its spec, where it lives, who gets its tools, its bounds."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME)
    spec: str
    """Path (relative to the config file) or http(s) URL of the OpenAPI document."""
    base_url: str | None = Field(default=None, pattern=r"^https?://")
    """Default: the spec's first ``servers`` URL."""
    tenants: list[str] = []
    shared: bool = False
    prefix: str | None = Field(default=None, pattern=r"^[A-Za-z0-9_-]{0,24}$")
    timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_response_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)

    @model_validator(mode="after")
    def _scoped(self) -> UpstreamConfig:
        if not self.shared and not self.tenants:
            raise ValueError("an upstream needs tenants or shared: true")
        return self


class Grant(BaseModel):
    """One policy grant: a tenant's agents may list/call tools matching these globs."""

    model_config = ConfigDict(extra="forbid")

    tenant: str
    agents: list[str] = ["*"]
    tools: list[str] = ["*"]
    actions: list[Literal["list", "call", "register"]] = ["list", "call"]


class Constraint(BaseModel):
    """An argument constraint: calls of ``tool`` need ``argument`` in ``allowed``."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = "*"
    tool: str
    argument: str
    allowed: list[Any]


class RateLimit(BaseModel):
    """``limit`` calls per ``window_seconds`` for the calls it matches, counted per
    ``per`` (default: each (tenant, agent, tool); ``[tenant]``: a tenant's total).
    A long window (up to 30 days) is a quota."""

    model_config = ConfigDict(extra="forbid")

    tenant: str = "*"
    agent: str = "*"
    tool: str = "*"
    limit: int = Field(ge=1, le=1_000_000_000)
    window_seconds: int = Field(default=60, ge=1, le=30 * 86400)
    per: list[Literal["tenant", "agent", "tool"]] = ["tenant", "agent", "tool"]


class GatewayConfig(BaseModel):
    """The gateway's configuration file."""

    model_config = ConfigDict(extra="forbid")

    trust_domain: str = "hexr.local"
    issuer: str = Field(pattern=r"^https?://")
    jwks_url: str | None = None
    """Default: ``{issuer}/keys``."""
    audience: str | None = None
    """Default: the gateway's SPIFFE ID ``spiffe://{trust_domain}/service/gateway``."""
    vault_addr: str | None = None
    valkey_url: str | None = None
    """Shared state of all replicas; without it limits and registered specs are per process."""
    policy_files: list[Path] = Field(default_factory=lambda: sorted(POLICY_DIR.glob("*.rego")))
    policy_rule: str = "data.hexr.gateway.allow"
    upstreams: list[UpstreamConfig] = []
    grants: list[Grant] = []
    constraints: list[Constraint] = []
    rate_limits: list[RateLimit] = []
    operators: list[str] = []
    """SPIFFE IDs (e.g. ``spiffe://td/service/operator``) that may register specs for any
    tenant and list any tenant's tools."""
    registered_spec_hosts: list[str] = ["127.0.0.1", "localhost"]
    """Hosts a spec registered at run time may point its upstream at (SSRF guard)."""
    credential_ttl_seconds: float = Field(default=60.0, ge=0, le=3600)
    base_dir: Path | None = None
    """Directory relative spec paths resolve against (default: the config file's)."""

    @property
    def resolved_jwks_url(self) -> str:
        """Where the trust bundle's keys are published."""
        return self.jwks_url or f"{self.issuer.rstrip('/')}/keys"

    @property
    def resolved_audience(self) -> str:
        """The audience JWT-SVIDs must carry."""
        return self.audience or f"spiffe://{self.trust_domain}/service/gateway"

    def policy_data(self) -> dict[str, Any]:
        """``data`` of the tool policy."""
        return {
            "grants": [g.model_dump() for g in self.grants],
            "constraints": [c.model_dump() for c in self.constraints],
            "operators": list(self.operators),
        }


def load_config(path: Path) -> GatewayConfig:
    """Read and validate the YAML configuration.

    Raises:
        ConfigError: unreadable, too large, not YAML, or invalid (names the fields).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read gateway config {path}: {exc.strerror}") from None
    if len(raw) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"gateway config {path} is larger than 1 MiB")
    try:
        data = yaml.safe_load(raw) or {}
    except yaml.YAMLError as exc:
        raise ConfigError(f"gateway config {path} is not YAML: {exc}") from None
    if isinstance(data, dict):
        data.setdefault("base_dir", str(path.parent))
    try:
        return GatewayConfig.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise ConfigError(f"gateway config {path}: invalid fields ({fields})") from None
