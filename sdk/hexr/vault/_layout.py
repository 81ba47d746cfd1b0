"""Where Hexr keeps things in the vault: mounts, tenant roots, role and policy names.

Shared by the SDK (which reads) and ``hexr_vault`` (which provisions), so both always
agree. Every name built here comes from a validated tenant or agent name, which keeps
generated ACL policies free of injection.

Layout of one tenant's KV v2 tree, relative to ``tenants/<tenant>/``::

    shared/...            readable by the tenant's agents (Rego may restrict prefixes)
    agents/<agent>/...    read/write for that agent only
    credentials/...       provider API keys; only the credential injector reads them
    upstreams/<upstream>  the gateway's credentials for an upstream API; only the gateway
                          service reads them
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass

from hexr.errors import VaultPathError

__all__ = [
    "DEFAULT_AUDIENCE",
    "GATEWAY_SERVICE",
    "INJECTOR_SERVICE",
    "UPSTREAMS_PREFIX",
    "VaultLayout",
    "WorkloadName",
    "check_name",
    "from_server_name",
    "parse_workload",
    "server_name",
]

DEFAULT_AUDIENCE = "hexr-vault"
INJECTOR_SERVICE = "credential-injector"
GATEWAY_SERVICE = "gateway"
UPSTREAMS_PREFIX = "upstreams"

# Same alphabet as a Hexr SPIFFE ID segment, so every agent identity can use the vault.
_NAME = re.compile(r"[A-Za-z0-9._-]{1,128}")
# OpenBao lowercases policy (and role) names, so "Acme" and "acme" would collide there:
# names are escaped into [a-z0-9_-] bijectively before they become server object names.
_ESCAPES = {"_": "__", ".": "_-", **{c: "_" + c.lower() for c in string.ascii_uppercase}}


def check_name(kind: str, value: str) -> str:
    """Return ``value`` if it is a valid tenant/agent/service name, else raise.

    Raises:
        VaultPathError: not 1-128 chars of ``[A-Za-z0-9._-]``, or ``.``/``..``.
    """
    if not isinstance(value, str) or not _NAME.fullmatch(value) or value in (".", ".."):
        raise VaultPathError(f"invalid {kind} name for the vault: {str(value)[:64]!r}")
    return value


def server_name(kind: str, value: str) -> str:
    """``value`` escaped for OpenBao object names: lowercase, no ``.``, collision-free."""
    return "".join(_ESCAPES.get(c, c) for c in check_name(kind, value))


_UNESCAPES = {v[1]: k for k, v in _ESCAPES.items()}


def from_server_name(kind: str, escaped: str) -> str:
    """Inverse of `server_name`.

    Raises:
        VaultPathError: ``escaped`` is not the output of `server_name`.
    """
    out: list[str] = []
    chars = iter(escaped)
    for c in chars:
        if c == "_":
            nxt = next(chars, "")
            if nxt not in _UNESCAPES:
                raise VaultPathError(f"not an escaped {kind} name: {escaped[:64]!r}")
            out.append(_UNESCAPES[nxt])
        else:
            out.append(c)
    name = "".join(out)
    if server_name(kind, name) != escaped:
        raise VaultPathError(f"not an escaped {kind} name: {escaped[:64]!r}")
    return name


@dataclass(frozen=True)
class WorkloadName:
    """The vault-relevant part of a SPIFFE ID: an agent (tenant, agent) or a service."""

    spiffe_id: str
    tenant: str | None = None
    agent: str | None = None
    service: str | None = None


def parse_workload(spiffe_id: str) -> WorkloadName:
    """Split ``spiffe://td/agent/<tenant>/<agent>/<role>`` or ``spiffe://td/service/<name>``.

    Raises:
        VaultPathError: the ID has neither shape or carries invalid names.
    """
    text = str(spiffe_id)
    if not text.startswith("spiffe://"):
        raise VaultPathError("not a SPIFFE ID")
    parts = text[len("spiffe://") :].split("/")
    if len(parts) == 5 and parts[1] == "agent":
        return WorkloadName(
            text, tenant=check_name("tenant", parts[2]), agent=check_name("agent", parts[3])
        )
    if len(parts) == 3 and parts[1] == "service":
        return WorkloadName(text, service=check_name("service", parts[2]))
    raise VaultPathError("SPIFFE ID is neither an agent nor a service identity")


@dataclass(frozen=True)
class VaultLayout:
    """Mount points and naming rules; defaults match ``hexr_vault`` bootstrap."""

    kv_mount: str = "hexr-kv"
    transit_mount: str = "hexr-transit"
    auth_mount: str = "hexr-jwt"

    @staticmethod
    def tenant_root(tenant: str) -> str:
        """KV path of a tenant's tree (no trailing slash)."""
        return f"tenants/{check_name('tenant', tenant)}"

    @staticmethod
    def agent_role(tenant: str, agent: str) -> str:
        """JWT auth role an agent logs in with (``.`` cannot occur in escaped names)."""
        return f"agent.{server_name('tenant', tenant)}.{server_name('agent', agent)}"

    @staticmethod
    def parse_agent_role(role: str) -> tuple[str, str] | None:
        """``(tenant, agent)`` of an `agent_role` name, or None for any other role."""
        kind, _, rest = role.partition(".")
        tenant, sep, agent = rest.partition(".")
        if kind != "agent" or not sep:
            return None
        try:
            return from_server_name("tenant", tenant), from_server_name("agent", agent)
        except VaultPathError:
            return None

    @staticmethod
    def service_role(service: str) -> str:
        """JWT auth role a platform service logs in with."""
        return f"service.{server_name('service', service)}"

    @staticmethod
    def agent_policy(tenant: str, agent: str) -> str:
        """ACL policy name of one agent."""
        return f"hexr.agent.{server_name('tenant', tenant)}.{server_name('agent', agent)}"

    @staticmethod
    def service_policy(service: str) -> str:
        """ACL policy name of one platform service."""
        return f"hexr.service.{server_name('service', service)}"

    @staticmethod
    def transit_key(tenant: str) -> str:
        """Transit key (AES-256-GCM) of a tenant."""
        return f"tenant.{server_name('tenant', tenant)}"
