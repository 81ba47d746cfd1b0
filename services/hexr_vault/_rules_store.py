"""The agent-path policy data, kept in the vault itself so every enrollment agrees.

Without a durable copy, a later ``bootstrap`` or ``enroll`` run without ``--policy-data``
would recompile agents' policies from empty data and silently drop restrictions. The
document lives at ``<kv mount>/_hexr/agent-path-rules``, outside ``tenants/``, so no
agent or service policy grants access to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import hvac
import hvac.exceptions

from hexr.vault.layout import VaultLayout
from hexr.vault.wire import translate_errors
from hexr_vault._rules import AgentPathRules

__all__ = ["RULES_PATH", "load_rules", "save_rules"]

RULES_PATH = "_hexr/agent-path-rules"


def load_rules(client: hvac.Client, layout: VaultLayout) -> AgentPathRules:
    """Rules built from the stored policy data (the default policy with no data if none)."""
    with translate_errors("read policy data", str(client.url)):
        try:
            response = client.secrets.kv.v2.read_secret_version(
                RULES_PATH, mount_point=layout.kv_mount, raise_on_deleted_version=True
            )
        except hvac.exceptions.InvalidPath:
            return AgentPathRules()
    data = ((response.get("data") or {}).get("data")) or {}
    return AgentPathRules(data=data)


def save_rules(client: hvac.Client, layout: VaultLayout, data: Mapping[str, Any]) -> AgentPathRules:
    """Validate ``data`` (by building the rules), store it, and return the rules.

    Raises:
        ConfigError, VaultPathError: malformed data (nothing is stored then).
    """
    rules = AgentPathRules(data=data)
    with translate_errors("store policy data", str(client.url)):
        client.secrets.kv.v2.create_or_update_secret(
            RULES_PATH, secret=dict(data), mount_point=layout.kv_mount
        )
    return rules
