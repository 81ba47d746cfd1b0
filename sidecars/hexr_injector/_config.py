"""Injector configuration: a YAML file (services, grants, policy) plus ``HEXR_INJECTOR_*`` env.

Example::

    issuer: http://127.0.0.1:8443          # iss of JWT-SVIDs (identity service base URL)
    grants:                                # data.grants of the policy
      - {tenant: acme, agents: ["*"], services: [aws_s3], regions: ["*"]}
    services:
      aws_s3:
        provider: aws_sts
        role_arn: arn:aws:iam::123456789012:role/hexr-{tenant}-{agent}
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from hexr.credentials import injector_audience
from hexr.endpoints import DEFAULT_TRUST_DOMAIN, default_home
from hexr.errors import ConfigError
from hexr.yamlfile import load_yaml

__all__ = ["POLICY_DIR", "Grant", "InjectorConfig", "InjectorSettings", "load_config"]

POLICY_DIR = Path(__file__).parent / "policy"
_MAX_CONFIG_BYTES = 1024 * 1024


class InjectorSettings(BaseSettings):
    """Process settings of the injector (``HEXR_INJECTOR_*``)."""

    model_config = SettingsConfigDict(env_prefix="HEXR_INJECTOR_", extra="ignore")

    config: Path | None = None
    """YAML configuration file (``HEXR_INJECTOR_CONFIG``)."""
    host: str = "127.0.0.1"
    port: int = Field(default=8442, ge=0, le=65535)
    state_dir: Path = Field(default_factory=lambda: default_home() / "injector")
    """Holds the master sealing secret (``HEXR_INJECTOR_STATE_DIR``)."""
    max_body_bytes: int = Field(default=16 * 1024, ge=256, le=1024 * 1024)
    body_timeout_s: float = Field(default=5.0, gt=0, le=300)
    """Deadline for a request body (408 beyond)."""
    header_timeout_s: float = Field(default=5.0, gt=0, le=300)
    """Deadline for a request's headers, from connect or the previous response."""
    handshake_timeout_s: float = Field(default=5.0, gt=0, le=300)
    """Deadline for the TLS handshake."""
    keep_alive_s: int = Field(default=5, ge=1, le=300)
    """Idle keep-alive connections are closed after this."""
    max_connections: int = Field(default=256, ge=1, le=65_536)
    """Open connections beyond this are closed at once (and requests answered 503)."""


class Grant(BaseModel):
    """One policy grant: a tenant's agents may obtain these services' credentials."""

    model_config = ConfigDict(extra="forbid")

    tenant: str
    agents: list[str] = ["*"]
    services: list[str]
    regions: list[str] = ["*"]


class InjectorConfig(BaseModel):
    """The injector's configuration file."""

    model_config = ConfigDict(extra="forbid")

    trust_domain: str = DEFAULT_TRUST_DOMAIN
    issuer: str = Field(pattern=r"^https?://")
    jwks_url: str | None = None
    """Default: ``{issuer}/keys``."""
    audience: str | None = None
    """Default: the injector's SPIFFE ID."""
    policy_files: list[Path] = Field(default_factory=lambda: sorted(POLICY_DIR.glob("*.rego")))
    policy_rule: str = "data.hexr.credentials.allow"
    grants: list[Grant] = []
    services: dict[str, dict[str, Any]] = {}
    vault_addr: str | None = None
    rate_limit_per_second: float = Field(default=50.0, gt=0, le=100_000)
    """Exchanges per second each identity may make on average (429 beyond)."""
    rate_limit_burst: int = Field(default=100, ge=1, le=1_000_000)
    """Exchanges an idle identity may make at once."""

    @property
    def resolved_jwks_url(self) -> str:
        """Where the trust bundle's keys are published."""
        return self.jwks_url or f"{self.issuer.rstrip('/')}/keys"

    @property
    def resolved_audience(self) -> str:
        """The audience JWT-SVIDs must carry."""
        return self.audience or injector_audience(self.trust_domain)


def load_config(path: Path) -> InjectorConfig:
    """Read and validate the YAML configuration.

    Raises:
        ConfigError: unreadable, too large, not YAML, or invalid (names the fields).
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read injector config {path}: {exc.strerror}") from None
    if len(raw) > _MAX_CONFIG_BYTES:
        raise ConfigError(f"injector config {path} is larger than 1 MiB")
    # Errors give a line number, never the parser's quote of the file.
    data = load_yaml(raw, f"injector config {path}") or {}
    try:
        return InjectorConfig.model_validate(data)
    except ValidationError as exc:
        fields = ", ".join(".".join(map(str, e["loc"])) for e in exc.errors())
        raise ConfigError(f"injector config {path}: invalid fields ({fields})") from None
