"""Provisioning of Hexr's secrets on a Vault-API server (OpenBao locally).

`VaultBootstrap` configures mounts, JWT auth trusting the identity service, tenants'
transit keys, and per-agent ACL policies compiled from Rego rules (`AgentPathRules`).
"""

from hexr_vault._acl import agent_policy, gateway_policy, injector_policy
from hexr_vault._bootstrap import JwtTrust, VaultBootstrap
from hexr_vault._local import discover_issuer, enroll_agent, run_bootstrap
from hexr_vault._operator import OperatorVault
from hexr_vault._operator_token import LOCAL_ROOT_TOKEN_FILE, operator_client, operator_token
from hexr_vault._platform_hook import bootstrap_local_openbao, enroll_local_agent
from hexr_vault._rules import DEFAULT_POLICY, AgentGrants, AgentPathRules

__all__ = [
    "DEFAULT_POLICY",
    "LOCAL_ROOT_TOKEN_FILE",
    "AgentGrants",
    "AgentPathRules",
    "JwtTrust",
    "OperatorVault",
    "VaultBootstrap",
    "agent_policy",
    "bootstrap_local_openbao",
    "discover_issuer",
    "enroll_agent",
    "enroll_local_agent",
    "gateway_policy",
    "injector_policy",
    "operator_client",
    "operator_token",
    "run_bootstrap",
]
