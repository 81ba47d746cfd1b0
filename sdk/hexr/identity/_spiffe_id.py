"""SPIFFE IDs in Hexr's naming scheme, parsed and validated strictly."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hexr.endpoints import DEFAULT_TRUST_DOMAIN
from hexr.errors import IdentityError

__all__ = ["DEFAULT_TRUST_DOMAIN", "SpiffeId"]


_SCHEME = "spiffe://"
_MAX_ID_LENGTH = 2048
_MAX_SEGMENT_LENGTH = 128
# SPIFFE spec: trust domain chars are lowercase letters, digits, '.', '-', '_'.
_TRUST_DOMAIN_RE = re.compile(r"^[a-z0-9._-]{1,255}$")
# Hexr segments are a strict subset of the spec's path chars: no '%', no uppercase surprises
# in tenants, nothing that could be read as a path traversal.
_SEGMENT_RE = re.compile(r"^[A-Za-z0-9._-]{1,128}$")


def _check_trust_domain(value: str) -> str:
    if not _TRUST_DOMAIN_RE.fullmatch(value) or value.strip(".") != value or ".." in value:
        raise IdentityError(f"invalid trust domain {value[:64]!r}")
    return value


def _check_segment(kind: str, value: str) -> str:
    if (
        not isinstance(value, str)
        or len(value) > _MAX_SEGMENT_LENGTH
        or not _SEGMENT_RE.fullmatch(value)
        or value in {".", ".."}
    ):
        raise IdentityError(f"invalid {kind} {str(value)[:64]!r} in SPIFFE ID")
    return value


@dataclass(frozen=True, slots=True)
class SpiffeId:
    """A Hexr SPIFFE ID: ``spiffe://td/agent/{tenant}/{agent}/{role}`` or ``.../service/{name}``."""

    trust_domain: str
    kind: str
    """``"agent"`` or ``"service"``."""
    name: str
    """Agent name, or service name for services."""
    tenant: str | None = None
    role: str | None = None

    def __post_init__(self) -> None:
        _check_trust_domain(self.trust_domain)
        _check_segment(self.kind + " name", self.name)
        if self.kind == "agent":
            _check_segment("tenant", self.tenant or "")
            _check_segment("role", self.role or "")
        elif self.kind == "service":
            if self.tenant is not None or self.role is not None:
                raise IdentityError("a service SPIFFE ID has no tenant or role")
        else:
            raise IdentityError(f"unknown SPIFFE ID kind {self.kind[:32]!r}")

    @classmethod
    def for_agent(
        cls,
        tenant: str,
        agent: str,
        role: str = "main",
        trust_domain: str = DEFAULT_TRUST_DOMAIN,
    ) -> SpiffeId:
        """The ID of process ``role`` of ``agent`` in ``tenant``."""
        return cls(trust_domain, "agent", agent, tenant, role)

    @classmethod
    def for_service(cls, name: str, trust_domain: str = DEFAULT_TRUST_DOMAIN) -> SpiffeId:
        """The ID of platform service ``name``."""
        return cls(trust_domain, "service", name)

    @classmethod
    def parse(cls, value: str) -> SpiffeId:
        """Parse and validate a SPIFFE ID string.

        Raises:
            IdentityError: the string is not a valid Hexr SPIFFE ID.
        """
        if not isinstance(value, str) or len(value) > _MAX_ID_LENGTH:
            raise IdentityError("SPIFFE ID must be a string of at most 2048 characters")
        if not value.startswith(_SCHEME):
            raise IdentityError("SPIFFE ID must start with spiffe://")
        rest = value[len(_SCHEME) :]
        trust_domain, sep, path = rest.partition("/")
        if not sep:
            raise IdentityError("SPIFFE ID has no path")
        parts = path.split("/")
        if parts[0] == "agent" and len(parts) == 4:
            return cls.for_agent(parts[1], parts[2], parts[3], trust_domain=trust_domain)
        if parts[0] == "service" and len(parts) == 2:
            return cls.for_service(parts[1], trust_domain=trust_domain)
        raise IdentityError(
            "SPIFFE ID path must be /agent/{tenant}/{agent}/{role} or /service/{name}"
        )

    @property
    def agent(self) -> str | None:
        """Agent name, or None for a service."""
        return self.name if self.kind == "agent" else None

    @property
    def path(self) -> str:
        """The path part, starting with ``/``."""
        if self.kind == "agent":
            return f"/agent/{self.tenant}/{self.name}/{self.role}"
        return f"/service/{self.name}"

    def __str__(self) -> str:
        return f"{_SCHEME}{self.trust_domain}{self.path}"
