"""One-call bootstrap from endpoints: what `hexr vault bootstrap`, ``python -m hexr_vault``
and the local platform's OpenBao post-start hook run."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import httpx
import hvac

from hexr.endpoints import DEFAULT_TRUST_DOMAIN
from hexr.errors import ConfigError
from hexr.vault.layout import VaultLayout
from hexr_vault._bootstrap import JwtTrust, VaultBootstrap
from hexr_vault._operator_token import operator_client
from hexr_vault._rules import AgentPathRules
from hexr_vault._rules_store import load_rules, save_rules

__all__ = ["discover_issuer", "enroll_agent", "run_bootstrap"]

_DISCOVERY = "/.well-known/openid-configuration"
_TIMEOUT = 5.0


def discover_issuer(jwks_url: str) -> str:
    """The issuer of the identity service whose JWKS is at ``<base>/keys`` (OIDC discovery).

    Raises:
        ConfigError: the discovery document cannot be fetched or has no issuer.
    """
    base = jwks_url.removesuffix("/keys")
    try:
        response = httpx.get(base + _DISCOVERY, timeout=_TIMEOUT)
        response.raise_for_status()
        issuer = response.json().get("issuer")
    except (httpx.HTTPError, ValueError, AttributeError) as exc:
        raise ConfigError(f"cannot read the identity issuer from {base}{_DISCOVERY}") from exc
    if not isinstance(issuer, str) or not issuer.startswith(("http://", "https://")):
        raise ConfigError(f"{base}{_DISCOVERY} has no http(s) issuer")
    return issuer


def run_bootstrap(
    addr: str,
    token: str,
    *,
    jwks_url: str,
    issuer: str | None = None,
    trust_domain: str = DEFAULT_TRUST_DOMAIN,
    agents: Iterable[tuple[str, str]] = (),
    policy_data: Mapping[str, Any] | None = None,
    layout: VaultLayout | None = None,
) -> list[str]:
    """Bootstrap the vault at ``addr`` to trust the JWKS, enroll ``agents``, and
    recompile every enrolled agent's policy from ``policy_data``.

    Returns the changes made (empty when everything was already in place).

    Raises:
        ConfigError: the issuer cannot be discovered or the server's state conflicts.
        VaultError: the vault refused or could not be reached.
    """
    trust = JwtTrust(
        issuer=issuer or discover_issuer(jwks_url), jwks_url=jwks_url, trust_domain=trust_domain
    )
    client = operator_client(addr, token, _TIMEOUT)
    layout = layout or VaultLayout()
    try:
        changes = VaultBootstrap(client, trust, layout=layout).bootstrap()  # mounts first
        boot = VaultBootstrap(
            client, trust, layout=layout, rules=_rules(client, layout, policy_data)
        )
        for tenant, agent in agents:
            changes += boot.ensure_agent(tenant, agent)
        # Policy data may have changed since earlier enrollments: recompile them all.
        return changes + boot.reconcile_agents()
    finally:
        client.adapter.close()


def enroll_agent(
    client: hvac.Client,
    tenant: str,
    agent: str,
    *,
    trust_domain: str = DEFAULT_TRUST_DOMAIN,
    policy_data: Mapping[str, Any] | None = None,
    layout: VaultLayout | None = None,
) -> list[str]:
    """Enroll one agent on an already bootstrapped vault; returns the changes made.

    ``policy_data`` replaces the stored agent-path data (other agents are recompiled on
    the next bootstrap); without it the stored data applies.

    Raises:
        VaultPathError: invalid tenant or agent name.
        VaultError: the vault refused or could not be reached.
    """
    # Enrolling touches only the tenant key, the agent's policy and role: no issuer needed.
    trust = JwtTrust(issuer="", trust_domain=trust_domain)
    layout = layout or VaultLayout()
    rules = _rules(client, layout, policy_data)
    return VaultBootstrap(client, trust, layout=layout, rules=rules).ensure_agent(tenant, agent)


def _rules(
    client: hvac.Client, layout: VaultLayout, policy_data: Mapping[str, Any] | None
) -> AgentPathRules:
    if policy_data is None:
        return load_rules(client, layout)
    return save_rules(client, layout, policy_data)
