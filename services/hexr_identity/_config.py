"""Settings of the identity service: CLI flags, then ``HEXR_IDENTITY_*``, then ``identity:``.

The ``identity:`` section of the file named by ``HEXR_CONFIG`` holds the same fields.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from hexr import env as _env
from hexr.config import SectionSettings
from hexr.endpoints import DEFAULT_TRUST_DOMAIN, default_home

__all__ = [
    "IdentitySettings",
    "registration_socket_for",
    "registration_socket_path",
    "service_registration_socket",
    "workload_socket_path",
]

DEFAULT_HTTP_PORT = 8761


def workload_socket_path(home: Path) -> Path:
    """Default Workload API socket of the local platform."""
    return home / "run" / "identity" / "workload.sock"


def registration_socket_path(home: Path) -> Path:
    """Default registration socket (owner-only directory) of the local platform."""
    return home / "identity" / "admin" / "registration.sock"


def service_registration_socket(registration_socket: Path | str) -> Path:
    """The socket that also registers ``service/*`` IDs, next to the agents' one.

    Only the platform supervisor uses it: ``hexr dev run`` (and any launcher of agents)
    talks to ``registration_socket``, which refuses service identities, so an agent's
    launcher path can never make a process the credential injector.
    """
    return Path(registration_socket).with_name("services.sock")


def registration_socket_for(registration_socket: Path | str, spiffe_id: object) -> str:
    """The socket a launcher of ``spiffe_id`` uses: the services one for ``service/*``."""
    if str(spiffe_id).split("://", 1)[-1].split("/", 2)[1:2] == ["service"]:
        return str(service_registration_socket(registration_socket))
    return str(registration_socket)


class IdentitySettings(SectionSettings):
    """Identity service configuration; TTLs in seconds."""

    section: ClassVar[str] = "identity"
    model_config = SettingsConfigDict(
        env_prefix="HEXR_IDENTITY_", extra="ignore", populate_by_name=True
    )

    # Shared names, not HEXR_IDENTITY_*; populate_by_name lets flags pass home=/trust_domain=.
    home: Path = Field(default_factory=default_home, validation_alias=_env.HEXR_HOME)
    trust_domain: str = Field(default=DEFAULT_TRUST_DOMAIN, validation_alias=_env.HEXR_TRUST_DOMAIN)
    socket: Path | None = None
    registration_socket: Path | None = None
    http_host: str = "127.0.0.1"
    http_port: int = Field(default=DEFAULT_HTTP_PORT, ge=0, le=65535)
    issuer: str | None = None
    x509_ttl: float = Field(default=3600.0, gt=0, le=30 * 86400)
    jwt_ttl: float = Field(default=300.0, gt=0, le=86400)
    ca_ttl: float = Field(default=7 * 86400.0, gt=0, le=10 * 365 * 86400)

    @model_validator(mode="after")
    def _check_ttls(self) -> IdentitySettings:
        # A CA rotates at half-life; an SVID must fit in what is left of it.
        if self.x509_ttl > self.ca_ttl / 2 or self.jwt_ttl > self.ca_ttl / 2:
            raise ValueError("SVID TTLs must be at most half the CA TTL")
        return self

    @property
    def state_dir(self) -> Path:
        """Where the authorities of the trust domain are persisted."""
        return self.home / "identity" / self.trust_domain

    @property
    def workload_socket(self) -> Path:
        """The Workload API socket path."""
        return self.socket or workload_socket_path(self.home)

    @property
    def registration_socket_path(self) -> Path:
        """The registration API socket path."""
        return self.registration_socket or registration_socket_path(self.home)

    def issuer_url(self, port: int) -> str:
        """The JWT ``iss`` and OIDC issuer: explicit, or the JWKS server's base URL."""
        return (self.issuer or f"http://{self.http_host}:{port}").rstrip("/")
