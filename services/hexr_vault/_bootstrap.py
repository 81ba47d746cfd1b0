"""Idempotent configuration of a Vault-API server (OpenBao or Vault) for Hexr.

`VaultBootstrap.bootstrap` creates the KV v2 and transit mounts, the JWT auth method
trusting the identity service's JWKS, and the credential injector's role; `ensure_tenant`
adds a tenant's AES-256-GCM transit key; `ensure_agent` compiles the Rego agent-path rules
into the agent's ACL policy and creates its JWT role. Each step reads the current state
first and writes only what differs, so re-running changes nothing; every method returns
the list of changes it made.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import hvac
import hvac.exceptions

from hexr.endpoints import DEFAULT_TRUST_DOMAIN
from hexr.errors import ConfigError, IdentityError
from hexr.identity import SpiffeId
from hexr.vault.layout import (
    DEFAULT_AUDIENCE,
    GATEWAY_SERVICE,
    INJECTOR_SERVICE,
    VaultLayout,
    check_name,
)
from hexr.vault.wire import translate_errors
from hexr_vault._acl import agent_policy, gateway_policy, injector_policy
from hexr_vault._rules import AgentPathRules

__all__ = ["JwtTrust", "VaultBootstrap"]

DEFAULT_TOKEN_TTL = 900
DEFAULT_TOKEN_MAX_TTL = 3600
DEFAULT_JWT_LEEWAY = 5


@dataclass(frozen=True)
class JwtTrust:
    """How the vault verifies JWT-SVIDs: the identity service's JWKS and issuer.

    Give exactly one of ``jwks_url``, ``oidc_discovery_url`` or ``pubkeys`` (PEM).
    """

    issuer: str
    trust_domain: str = DEFAULT_TRUST_DOMAIN
    jwks_url: str | None = None
    oidc_discovery_url: str | None = None
    pubkeys: tuple[str, ...] = field(default_factory=tuple)
    audience: str = DEFAULT_AUDIENCE

    def __post_init__(self) -> None:
        # The roles bind ``sub`` to a glob built from the trust domain: a '*' or '/' in it
        # would let other identities log in.
        try:
            SpiffeId.for_service(INJECTOR_SERVICE, trust_domain=self.trust_domain)
        except IdentityError:
            raise ConfigError(f"invalid trust domain {self.trust_domain[:64]!r}") from None

    def auth_config(self) -> dict[str, Any]:
        """The JWT auth method's config document.

        Raises:
            ConfigError: not exactly one key source is set.
        """
        if not self.issuer.startswith(("http://", "https://")):
            raise ConfigError("JwtTrust.issuer must be the identity service's http(s) URL")
        sources = [s for s in (self.jwks_url, self.oidc_discovery_url, self.pubkeys) if s]
        if len(sources) != 1:
            raise ConfigError("JwtTrust needs exactly one of jwks_url, oidc_discovery_url, pubkeys")
        config: dict[str, Any] = {"bound_issuer": self.issuer}
        if self.jwks_url:
            config["jwks_url"] = self.jwks_url
        elif self.oidc_discovery_url:
            config["oidc_discovery_url"] = self.oidc_discovery_url
        else:
            config["jwt_validation_pubkeys"] = list(self.pubkeys)
        return config


class VaultBootstrap:
    """Provisions Hexr's mounts, auth, tenants and agents with an operator token."""

    def __init__(
        self,
        client: hvac.Client,
        trust: JwtTrust,
        *,
        layout: VaultLayout | None = None,
        rules: AgentPathRules | None = None,
        token_ttl: int = DEFAULT_TOKEN_TTL,
        token_max_ttl: int = DEFAULT_TOKEN_MAX_TTL,
        jwt_leeway: int = DEFAULT_JWT_LEEWAY,
    ) -> None:
        if not 1 <= token_ttl <= token_max_ttl:
            raise ConfigError("token_ttl must be >= 1 and <= token_max_ttl")
        if jwt_leeway < 1:  # 0 would mean the server's 60 s default
            raise ConfigError("jwt_leeway must be >= 1 second")
        self._leeway = jwt_leeway
        self._client = client
        self._trust = trust
        self._layout = layout or VaultLayout()
        self._rules = rules or AgentPathRules()
        self._token_ttl = token_ttl
        self._token_max_ttl = token_max_ttl
        self._addr = str(client.url)

    # --- top level ----------------------------------------------------------------------

    def bootstrap(self) -> list[str]:
        """Mounts, JWT auth trusting the identity JWKS, the injector's and the gateway's access."""
        with translate_errors("bootstrap", self._addr):
            changes = self._ensure_secrets_engine(
                self._layout.kv_mount, "kv", {"version": "2"}
            )
            changes += self._ensure_secrets_engine(self._layout.transit_mount, "transit", {})
            changes += self._ensure_jwt_auth()
            changes += self._ensure_policy(
                self._layout.service_policy(INJECTOR_SERVICE), injector_policy(self._layout)
            )
            changes += self._ensure_role(
                self._layout.service_role(INJECTOR_SERVICE),
                self._role_body(
                    f"spiffe://{self._trust.trust_domain}/service/{INJECTOR_SERVICE}",
                    self._layout.service_policy(INJECTOR_SERVICE),
                ),
            )
            changes += self._ensure_service(GATEWAY_SERVICE, gateway_policy(self._layout))
        return changes

    def _ensure_service(self, service: str, policy_text: str) -> list[str]:
        # A platform service: its ACL policy and the JWT role bound to its exact SPIFFE ID.
        policy = self._layout.service_policy(service)
        changes = self._ensure_policy(policy, policy_text)
        return changes + self._ensure_role(
            self._layout.service_role(service),
            self._role_body(f"spiffe://{self._trust.trust_domain}/service/{service}", policy),
        )

    def ensure_tenant(self, tenant: str) -> list[str]:
        """The tenant's transit key (``aes256-gcm96``, not exportable)."""
        check_name("tenant", tenant)
        key = self._layout.transit_key(tenant)
        with translate_errors("ensure_tenant", self._addr):
            try:
                current = self._client.secrets.transit.read_key(
                    key, mount_point=self._layout.transit_mount
                )
            except hvac.exceptions.InvalidPath:
                self._client.secrets.transit.create_key(
                    key, key_type="aes256-gcm96", mount_point=self._layout.transit_mount
                )
                return [f"transit key {key}"]
        if current["data"].get("type") != "aes256-gcm96":
            raise ConfigError(f"transit key {key} exists with another type")
        return []

    def ensure_agent(self, tenant: str, agent: str) -> list[str]:
        """Tenant key, the agent's ACL policy (from Rego) and its JWT role."""
        changes = self.ensure_tenant(tenant)
        policy = self._layout.agent_policy(tenant, agent)
        text = agent_policy(self._layout, self._rules.grants(tenant, agent))
        with translate_errors("ensure_agent", self._addr):
            changes += self._ensure_policy(policy, text)
            changes += self._ensure_role(
                self._layout.agent_role(tenant, agent),
                self._role_body(
                    f"spiffe://{self._trust.trust_domain}/agent/{tenant}/{agent}/*", policy
                ),
            )
        return changes

    def enrolled_agents(self) -> list[tuple[str, str]]:
        """``(tenant, agent)`` of every agent role on the auth mount."""
        with translate_errors("list roles", self._addr):
            try:
                response = self._client.list(f"auth/{self._layout.auth_mount}/role")
            except hvac.exceptions.InvalidPath:
                return []
        names = ((response or {}).get("data") or {}).get("keys") or []
        parsed = (self._layout.parse_agent_role(str(name)) for name in names)
        return sorted(p for p in parsed if p is not None)

    def reconcile_agents(self) -> list[str]:
        """Recompile every enrolled agent's ACL policy from the current Rego rules.

        Run after changing the policy data, so a newly restricted prefix is closed for
        agents enrolled before the change too.
        """
        changes: list[str] = []
        for tenant, agent in self.enrolled_agents():
            changes += self.ensure_agent(tenant, agent)
        return changes

    # --- steps --------------------------------------------------------------------------

    def _ensure_secrets_engine(
        self, mount: str, engine: str, options: Mapping[str, str]
    ) -> list[str]:
        mounts = self._client.sys.list_mounted_secrets_engines()
        mounts = mounts.get("data", mounts)
        current = mounts.get(f"{mount}/")
        if current is None:
            self._client.sys.enable_secrets_engine(
                engine, path=mount, options=dict(options) or None
            )
            return [f"secrets engine {engine} at {mount}/"]
        actual = current.get("options") or {}
        if current.get("type") != engine or any(actual.get(k) != v for k, v in options.items()):
            # Never re-mount: that would destroy what is stored there.
            raise ConfigError(f"{mount}/ is already mounted with another engine or options")
        return []

    def _ensure_jwt_auth(self) -> list[str]:
        mount = self._layout.auth_mount
        methods = self._client.sys.list_auth_methods()
        methods = methods.get("data", methods)
        changes: list[str] = []
        current = methods.get(f"{mount}/")
        if current is None:
            self._client.sys.enable_auth_method("jwt", path=mount)
            changes.append(f"auth method jwt at {mount}/")
        elif current.get("type") != "jwt":
            raise ConfigError(f"auth/{mount}/ is already enabled with another method")
        wanted = self._trust.auth_config()
        have = self._client.read(f"auth/{mount}/config") if not changes else None
        have_data = (have or {}).get("data") or {}
        keys = ("bound_issuer", "jwks_url", "oidc_discovery_url", "jwt_validation_pubkeys")
        if any(_empty(have_data.get(k)) != _empty(wanted.get(k)) for k in keys):
            self._client.write_data(f"auth/{mount}/config", data=wanted)
            changes.append(f"auth/{mount}/config trusts {self._trust.issuer}")
        return changes

    def _ensure_policy(self, name: str, text: str) -> list[str]:
        try:
            current = self._client.sys.read_policy(name)
            rules = (current.get("data") or current).get("rules")
        except hvac.exceptions.InvalidPath:
            rules = None
        if rules == text:
            return []
        self._client.sys.create_or_update_policy(name, text)
        return [f"policy {name}"]

    def _role_body(self, subject_glob: str, policy: str) -> dict[str, Any]:
        return {
            "role_type": "jwt",
            "user_claim": "sub",
            "bound_audiences": [self._trust.audience],
            "bound_claims_type": "glob",
            "bound_claims": {"sub": subject_glob},
            "token_policies": [policy],
            "token_ttl": self._token_ttl,
            "token_max_ttl": self._token_max_ttl,
            "token_type": "service",
            # JWT-SVIDs live minutes; the 60 s default leeway would stretch an expired one.
            "expiration_leeway": self._leeway,
            "not_before_leeway": self._leeway,
            "clock_skew_leeway": self._leeway,
        }

    def _ensure_role(self, name: str, body: dict[str, Any]) -> list[str]:
        path = f"auth/{self._layout.auth_mount}/role/{name}"
        current = self._client.read(path)
        have = (current or {}).get("data") or {}
        if current is not None and all(have.get(k) == v for k, v in body.items()):
            return []
        self._client.write_data(path, data=body)
        return [f"role {name}"]


def _empty(value: object) -> object:
    # The server reports unset fields as "" or [] or None; compare them as one.
    return value or None
