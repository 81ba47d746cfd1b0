"""The tool policy: Rego (`hexr_policy`) deciding list / call / register per identity."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

from hexr_gateway._auth import Caller
from hexr_gateway._config import GatewayConfig
from hexr_policy import PolicyEngine

__all__ = ["ToolPolicy"]

_LIST_CACHE_TTL = 10.0
_LIST_CACHE_MAX = 65536


class ToolPolicy:
    """Deny-by-default decisions; the input never carries anything the caller claims."""

    def __init__(self, engine: PolicyEngine) -> None:
        self._engine = engine
        # List decisions depend only on (identity, tool, tenant): a tenant's 500 tools
        # would otherwise cost 500 Rego runs per tools/list. Calls are never cached
        # (their arguments are part of the input).
        self._listed: OrderedDict[tuple[str, str, str], tuple[float, bool]] = OrderedDict()
        self._lock = threading.Lock()

    def may_list(self, caller: Caller, tool: str, upstream: str, target_tenant: str) -> bool:
        """Whether ``caller`` may see ``tool`` listed (decisions cached for a few seconds)."""
        key = (caller.spiffe_id, tool, target_tenant)
        now = time.monotonic()
        with self._lock:
            hit = self._listed.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        decision = self.allows(caller, "list", tool, upstream=upstream,
                               target_tenant=target_tenant)
        with self._lock:
            self._listed[key] = (now + _LIST_CACHE_TTL, decision)
            self._listed.move_to_end(key)
            while len(self._listed) > _LIST_CACHE_MAX:
                self._listed.popitem(last=False)
        return decision

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
