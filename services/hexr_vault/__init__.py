"""Provisioning of Hexr's secrets on a Vault-API server (OpenBao locally).

`VaultBootstrap` configures mounts, JWT auth trusting the identity service, tenants'
transit keys, and per-agent ACL policies compiled from Rego rules (`AgentPathRules`).
Names load on first use: the Rego rules pull in regopy (the `server` extra), which the
component spec in `hexr_vault.platform` and the CLI's help must not need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hexr_vault._acl import agent_policy, injector_policy
    from hexr_vault._bootstrap import JwtTrust, VaultBootstrap
    from hexr_vault._local import discover_issuer, enroll_agent, run_bootstrap
    from hexr_vault._operator import OperatorVault
    from hexr_vault._operator_token import (
        LOCAL_ROOT_TOKEN_FILE,
        local_root_token,
        operator_client,
        operator_token,
    )
    from hexr_vault._platform_hook import bootstrap_local_openbao, enroll_local_agent
    from hexr_vault._rules import DEFAULT_POLICY, AgentGrants, AgentPathRules

_WHERE = {
    "DEFAULT_POLICY": "_rules",
    "LOCAL_ROOT_TOKEN_FILE": "_operator_token",
    "AgentGrants": "_rules",
    "AgentPathRules": "_rules",
    "JwtTrust": "_bootstrap",
    "OperatorVault": "_operator",
    "VaultBootstrap": "_bootstrap",
    "agent_policy": "_acl",
    "bootstrap_local_openbao": "_platform_hook",
    "discover_issuer": "_local",
    "enroll_agent": "_local",
    "enroll_local_agent": "_platform_hook",
    "injector_policy": "_acl",
    "local_root_token": "_operator_token",
    "operator_client": "_operator_token",
    "operator_token": "_operator_token",
    "run_bootstrap": "_local",
}

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
    "injector_policy",
    "local_root_token",
    "operator_client",
    "operator_token",
    "run_bootstrap",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hexr_vault' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hexr_vault.{module}"), name)
