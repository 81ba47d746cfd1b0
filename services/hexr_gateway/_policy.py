"""The tool policy: Rego (`hexr_policy`) deciding list / call / register per identity."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hexr_gateway._auth import Caller
from hexr_gateway._config import GatewayConfig
from hexr_policy import PolicyEngine

__all__ = ["ToolPolicy"]


class ToolPolicy:
    """Deny-by-default decisions; the input never carries anything the caller claims."""

    def __init__(self, engine: PolicyEngine) -> None:
        self._engine = engine

    @classmethod
    def from_config(cls, config: GatewayConfig) -> ToolPolicy:
        """The policy files and data of ``config``.

        Raises:
            PolicyError: the policy does not compile.
        """
        return cls(
            PolicyEngine.from_files(config.policy_files, config.policy_rule, config.policy_data())
        )

    def allows(
        self,
        caller: Caller,
        action: str,
        tool: str = "",
        *,
        upstream: str = "",
        arguments: Mapping[str, Any] | None = None,
        target_tenant: str | None = None,
    ) -> bool:
        """Whether ``caller`` may do ``action`` on ``tool``."""
        return self._engine.allows({
            "spiffe_id": caller.spiffe_id,
            "tenant": caller.tenant,
            "agent": caller.agent,
            "action": action,
            "tool": tool,
            "upstream": upstream,
            "arguments": dict(arguments or {}),
            "target_tenant": target_tenant if target_tenant is not None else caller.tenant,
        })
