"""Agent → path rules in Rego, compiled into per-agent grants the vault server enforces.

Rego is evaluated at enrollment for a finite set of candidate prefixes (the layout's own
prefixes plus every prefix the policy data names), not per request: the answers become
the agent's OpenBao ACL policy, so enforcement stays on the server and works the same
for any client.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hexr.errors import ConfigError
from hexr.vault.layout import check_name, normalize_prefix
from hexr_policy import PolicyEngine

__all__ = ["DEFAULT_POLICY", "KV_OPS", "AgentGrants", "AgentPathRules"]

DEFAULT_POLICY = Path(__file__).with_name("policies") / "agent_paths.rego"
RULE = "data.hexr.vault.allow"
KV_OPS = ("read", "list", "write")
TRANSIT_OPS = ("encrypt", "decrypt")
_LAYOUT_PREFIXES = ("shared/", "credentials/")
_MAX_DATA_PREFIXES = 256
_SECTIONS = ("restricted", "writable")


@dataclass(frozen=True)
class AgentGrants:
    """What one agent may do: allowed KV ops per tenant-relative prefix, and transit ops."""

    tenant: str
    agent: str
    prefixes: tuple[tuple[str, frozenset[str]], ...]
    transit: frozenset[str]


class AgentPathRules:
    """Evaluates the agent-path Rego policy (`DEFAULT_POLICY` unless given)."""

    def __init__(
        self,
        modules: Mapping[str, str] | None = None,
        data: Mapping[str, Any] | None = None,
    ) -> None:
        if modules is None:
            modules = {DEFAULT_POLICY.name: DEFAULT_POLICY.read_text()}
        if data is not None and not isinstance(data, Mapping):
            raise ConfigError("policy data must be a JSON object")
        self._data = dict(data or {})
        _check_data(self._data)
        self._engine = PolicyEngine(modules, RULE, self._data)

    def _data_prefixes(self, tenant: str) -> list[str]:
        found: list[str] = []
        for section in _SECTIONS:
            found.extend(self._data.get(section, {}).get(tenant, {}))
        return found

    def grants(self, tenant: str, agent: str) -> AgentGrants:
        """Decide every candidate (prefix, op) for ``agent`` of ``tenant``.

        Raises:
            VaultPathError: an invalid name, or a malformed prefix in the policy data.
        """
        check_name("tenant", tenant)
        check_name("agent", agent)
        candidates = dict.fromkeys(
            [*_LAYOUT_PREFIXES, f"agents/{agent}/", *self._data_prefixes(tenant)]
        )
        prefixes = tuple(
            (
                prefix,
                frozenset(op for op in KV_OPS if self._allows(tenant, agent, prefix, op)),
            )
            for prefix in candidates
        )
        transit = frozenset(op for op in TRANSIT_OPS if self._allows(tenant, agent, "", op))
        return AgentGrants(tenant, agent, prefixes, transit)

    def _allows(self, tenant: str, agent: str, path: str, op: str) -> bool:
        return self._engine.allows({"tenant": tenant, "agent": agent, "path": path, "op": op})


def _check_data(data: Mapping[str, Any]) -> None:
    """Reject malformed ``restricted``/``writable`` sections instead of ignoring them.

    A section of the wrong shape would make the Rego rules skip it: for ``restricted``
    that fails open, so it is a configuration error.

    Raises:
        ConfigError: a section is not ``{tenant: {"prefix/": [agent, ...]}}``, a prefix is
            not canonical (validated like any path, and pasted into ACL text), or the
            data names too many prefixes.
    """
    count = 0
    for section in _SECTIONS:
        table = data.get(section, {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"policy data {section!r} must map tenants to prefixes")
        for tenant, prefixes in table.items():
            check_name("tenant", tenant)
            if not isinstance(prefixes, Mapping):
                raise ConfigError(f"policy data {section}.{tenant} must map prefixes to agents")
            for prefix, agents in prefixes.items():
                count += 1
                if not isinstance(prefix, str) or normalize_prefix(prefix, tenant) != prefix:
                    raise ConfigError(
                        f"policy data {section}.{tenant}: {str(prefix)[:64]!r} is not a"
                        " canonical tenant-relative prefix ending in '/'"
                    )
                if not isinstance(agents, list) or not all(isinstance(a, str) for a in agents):
                    raise ConfigError(f"policy data {section}.{tenant}.{prefix} must list agents")
                for agent in agents:
                    check_name("agent", agent)
    if count > _MAX_DATA_PREFIXES:
        raise ConfigError(f"policy data names more than {_MAX_DATA_PREFIXES} prefixes")
