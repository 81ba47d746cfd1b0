"""Bootstrap against a real OpenBao: what it creates, and that re-running changes nothing."""

from __future__ import annotations

import hvac
import pytest

from hexr.errors import ConfigError
from hexr.vault import VaultLayout
from hexr_vault import AgentPathRules, JwtTrust, VaultBootstrap
from tests.fixtures.vault import JwtIssuer, VaultEnv


@pytest.fixture
def fresh(openbao_server: object, vault_jwt_issuer: JwtIssuer, request: pytest.FixtureRequest):
    """A bootstrap on mounts of their own, so each test sees a first run."""
    suffix = request.node.name.replace("_", "-")[-20:].strip("-")
    layout = VaultLayout(kv_mount=f"kv-{suffix}", transit_mount=f"tr-{suffix}",
                         auth_mount=f"jwt-{suffix}")
    trust = JwtTrust(issuer=vault_jwt_issuer.issuer, jwks_url=vault_jwt_issuer.jwks_url)
    root = hvac.Client(openbao_server.url, token=openbao_server.root_token)  # type: ignore[attr-defined]
    return root, layout, trust


def test_first_run_creates_everything_second_run_nothing(fresh) -> None:
    root, layout, trust = fresh
    boot = VaultBootstrap(root, trust, layout=layout)
    first = boot.bootstrap() + boot.ensure_agent("acme", "bot")
    assert any(layout.kv_mount in c for c in first)
    assert any("auth/" in c for c in first)
    assert any(c == "role agent.acme.bot" for c in first)
    assert any(c == "transit key tenant.acme" for c in first)
    again = VaultBootstrap(root, trust, layout=layout)
    assert again.bootstrap() == []
    assert again.ensure_agent("acme", "bot") == []
    mounts = root.sys.list_mounted_secrets_engines()["data"]
    assert mounts[f"{layout.kv_mount}/"]["type"] == "kv"
    assert mounts[f"{layout.kv_mount}/"]["options"]["version"] == "2"
    key = root.secrets.transit.read_key("tenant.acme", mount_point=layout.transit_mount)
    assert key["data"]["type"] == "aes256-gcm96"
    role = root.read(f"auth/{layout.auth_mount}/role/agent.acme.bot")["data"]
    assert role["bound_claims"] == {"sub": "spiffe://hexr.local/agent/acme/bot/*"}
    assert role["bound_audiences"] == ["hexr-vault"]


def test_changed_trust_or_rules_are_applied(fresh, vault_jwt_issuer: JwtIssuer) -> None:
    root, layout, trust = fresh
    VaultBootstrap(root, trust, layout=layout).bootstrap()
    VaultBootstrap(root, trust, layout=layout).ensure_agent("acme", "bot")
    other = JwtTrust(issuer="http://other-issuer", jwks_url=vault_jwt_issuer.jwks_url)
    assert VaultBootstrap(root, other, layout=layout).bootstrap() == [
        f"auth/{layout.auth_mount}/config trusts http://other-issuer"
    ]
    rules = AgentPathRules(data={"restricted": {"acme": {"shared/pay/": ["billing"]}}})
    changed = VaultBootstrap(root, trust, layout=layout, rules=rules).ensure_agent("acme", "bot")
    assert changed == ["policy hexr.agent.acme.bot"]


def test_refuses_to_take_over_a_foreign_mount(fresh) -> None:
    root, layout, trust = fresh
    root.sys.enable_secrets_engine("kv", path=layout.kv_mount, options={"version": "1"})
    with pytest.raises(ConfigError, match="already mounted"):
        VaultBootstrap(root, trust, layout=layout).bootstrap()


def test_needs_exactly_one_key_source(vault_jwt_issuer: JwtIssuer) -> None:
    with pytest.raises(ConfigError):
        JwtTrust(issuer="x").auth_config()
    with pytest.raises(ConfigError):
        JwtTrust(issuer="x", jwks_url="http://a", oidc_discovery_url="http://b").auth_config()


def test_session_env_is_bootstrapped(vault_jwt_env: VaultEnv) -> None:
    assert vault_jwt_env.bootstrap.bootstrap() == []
