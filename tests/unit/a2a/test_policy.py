"""The caller policy (real Rego, in-process): same tenant yes, other tenants only if listed."""

from __future__ import annotations

from typing import Any

import pytest

from hexr_a2a import build_policy


def _input(caller: str, target: str = "acme/writer", td: str = "hexr.local") -> dict[str, Any]:
    tenant, agent = caller.split("/")
    target_tenant, target_agent = target.split("/")
    return {
        "caller": {"trust_domain": td, "tenant": tenant, "agent": agent, "role": "main"},
        "target": {"trust_domain": "hexr.local", "tenant": target_tenant, "agent": target_agent},
    }


@pytest.mark.parametrize(
    ("data", "caller", "allowed"),
    [
        (None, "acme/researcher", True),
        (None, "beta/researcher", False),  # cross-tenant: denied by default
        ({"callers": ["researcher"]}, "acme/researcher", True),
        ({"callers": ["researcher"]}, "acme/editor", False),
        ({"callers": []}, "acme/researcher", False),
        ({"cross_tenant": [{"tenant": "beta", "agents": ["partner"]}]}, "beta/partner", True),
        ({"cross_tenant": [{"tenant": "beta", "agents": ["partner"]}]}, "beta/other", False),
        ({"cross_tenant": [{"tenant": "beta"}]}, "beta/other", True),
        ({"cross_tenant": [{"tenant": "beta"}]}, "gamma/other", False),
    ],
)
def test_decisions(data: dict[str, Any] | None, caller: str, allowed: bool) -> None:
    assert build_policy(data).allows(_input(caller)) is allowed


def test_other_trust_domain_denied() -> None:
    assert not build_policy(None).allows(_input("acme/researcher", td="evil.example"))


def test_malformed_input_denied() -> None:
    assert not build_policy(None).allows({"caller": "acme"})
