"""Provisioning of Hexr's secrets on a Vault-API server (OpenBao locally).

`VaultBootstrap` configures mounts, JWT auth trusting the identity service, tenants'
transit keys, and per-agent ACL policies compiled from Rego rules (`AgentPathRules`).
"""

from hexr_vault._acl import agent_policy, injector_policy
from hexr_vault._bootstrap import JwtTrust, VaultBootstrap
from hexr_vault._rules import DEFAULT_POLICY, AgentGrants, AgentPathRules

__all__ = [
    "DEFAULT_POLICY",
    "AgentGrants",
    "AgentPathRules",
    "JwtTrust",
    "VaultBootstrap",
    "agent_policy",
    "injector_policy",
]
