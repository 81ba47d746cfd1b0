"""Agent-path policy data is stored in the vault and re-applied to every enrolled agent."""

from __future__ import annotations

from typing import Any

import hvac
import pytest

from hexr.errors import PolicyDenied
from hexr.vault import VaultClient, VaultLayout
from hexr_vault import enroll_agent, run_bootstrap
from tests.fixtures.vault import JwtIssuer, MintingIdentity

LAYOUT = VaultLayout(kv_mount="pd-kv", transit_mount="pd-transit", auth_mount="pd-jwt")
RESTRICTED = {"restricted": {"t1": {"shared/pay/": ["billing"]}}}


def test_restrictions_survive_runs_without_data_and_change_with_new_data(
    openbao_server: Any, vault_jwt_issuer: JwtIssuer
) -> None:
    def bootstrap(**kwargs: Any) -> list[str]:
        return run_bootstrap(openbao_server.url, openbao_server.root_token,
                             jwks_url=vault_jwt_issuer.jwks_url, issuer=vault_jwt_issuer.issuer,
                             layout=LAYOUT, **kwargs)

    bootstrap(agents=[("t1", "a"), ("t1", "billing")], policy_data=RESTRICTED)
    root = hvac.Client(openbao_server.url, token=openbao_server.root_token)
    root.secrets.kv.v2.create_or_update_secret("tenants/t1/shared/pay/key", secret={"k": "v"},
                                               mount_point=LAYOUT.kv_mount)

    def reader(agent: str) -> VaultClient:
        sid = f"spiffe://hexr.local/agent/t1/{agent}/m"
        return VaultClient(openbao_server.url, identity=MintingIdentity(vault_jwt_issuer, sid),
                           layout=LAYOUT)

    assert reader("billing").get("shared/pay/key")["k"] == "v"
    with pytest.raises(PolicyDenied):
        reader("a").get("shared/pay/key")

    assert bootstrap() == []  # no data given: the stored data applies, nothing changes
    assert enroll_agent(root, "t1", "c", layout=LAYOUT)  # a later enrollment gets it too
    for agent in ("a", "c"):
        with pytest.raises(PolicyDenied):
            reader(agent).get("shared/pay/key")

    changed = bootstrap(policy_data={})  # lifting the restriction recompiles everyone
    assert {"policy hexr.agent.t1.a", "policy hexr.agent.t1.c"} <= set(changed)
    assert reader("a").get("shared/pay/key")["k"] == "v"
    assert reader("c").get("shared/pay/key")["k"] == "v"
    with pytest.raises(Exception, match="permission denied"):  # agents cannot read the data
        reader("a")._hvac.secrets.kv.v2.read_secret_version(
            "_hexr/agent-path-rules", mount_point=LAYOUT.kv_mount, raise_on_deleted_version=True
        )
