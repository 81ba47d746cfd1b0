"""What the demo configures on the platform: injector services and grants, vault seeds.

The injector part goes through the documented merge (the ``injector:`` section of the
file named by ``HEXR_CONFIG``, see docs/injector-config.md); the vault is seeded with the
operator token of the local platform.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml

from hexr import env as _env

__all__ = ["RESEARCH_KEY", "injector_current", "injector_section", "seed_vault", "write_config"]

# Demo-only values: fake keys for local fakes, never real credentials.
RESEARCH_KEY = "demo-research-key-acme"
_ROLE = "arn:aws:iam::123456789012:role/hexr-{tenant}-{agent}"


def injector_section(moto_url: str, llm_base_url: str) -> dict[str, Any]:
    """Grants and services the workflow needs; only acme is granted anything."""
    return {
        "grants": [
            {"tenant": "acme", "agents": ["*"], "services": ["aws_s3", "research_api"],
             "regions": ["*"]},
        ],
        "services": {
            "aws_s3": {"provider": "aws_sts", "role_arn": _ROLE, "endpoint_url": moto_url},
            # A vault-backed API key, used against the local LLM's /models.
            "research_api": {"provider": "vault_key", "base_url": llm_base_url},
        },
    }


def write_config(path: Path, section: dict[str, Any]) -> None:
    """Write the ``HEXR_CONFIG`` file and point this process's environment at it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump({"injector": section}))
    os.environ[_env.HEXR_CONFIG] = str(path)


def injector_current(home: Path, section: dict[str, Any]) -> bool:
    """True when the running injector's generated config already holds ``section``."""
    try:
        current = yaml.safe_load((home / "data" / "injector" / "injector.yaml").read_text())
    except (OSError, yaml.YAMLError):
        return False
    if not isinstance(current, dict):
        return False
    return bool(
        current.get("grants") == section["grants"]
        and current.get("services") == section["services"]
    )


def seed_vault(vault_addr: str) -> None:
    """Seed both tenants: a shared secret each, and acme's vault-backed API key."""
    from hexr_vault import OperatorVault, operator_client, operator_token

    vault = OperatorVault(operator_client(vault_addr, operator_token(None)))
    vault.put("acme", "shared/research", {"index": "tides-2026", "api_hint": "acme-only"})
    vault.put("acme", "credentials/research_api", {"api_key": RESEARCH_KEY})
    vault.put("globex", "shared/research", {"index": "globex-own"})
