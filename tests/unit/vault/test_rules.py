import pytest

from hexr.errors import ConfigError, VaultPathError
from hexr.vault import VaultLayout
from hexr_vault import AgentPathRules, agent_policy, injector_policy


def grants_of(rules: AgentPathRules, tenant: str, agent: str) -> dict[str, set[str]]:
    return {prefix: set(ops) for prefix, ops in rules.grants(tenant, agent).prefixes}


def test_default_rules() -> None:
    grants = grants_of(AgentPathRules(), "acme", "bot")
    assert grants == {
        "shared/": {"read", "list"},
        "credentials/": set(),
        "agents/bot/": {"read", "list", "write"},
    }
    assert AgentPathRules().grants("acme", "bot").transit == {"encrypt", "decrypt"}


def test_restricted_and_writable_data() -> None:
    rules = AgentPathRules(
        data={
            "restricted": {"acme": {"shared/pay/": ["billing"]}},
            "writable": {"acme": {"shared/inbox/": ["bot"]}},
        }
    )
    assert grants_of(rules, "acme", "bot")["shared/pay/"] == set()
    assert grants_of(rules, "acme", "billing")["shared/pay/"] == {"read", "list"}
    assert grants_of(rules, "acme", "bot")["shared/inbox/"] == {"read", "list", "write"}
    assert "shared/pay/" not in grants_of(rules, "globex", "bot")


POLICY_DENY_ALL = """package hexr.vault
import rego.v1
default allow := false
allow if input.op == "never"
"""


def test_custom_policy_denies_by_default() -> None:
    rules = AgentPathRules({"p.rego": POLICY_DENY_ALL})
    grants = rules.grants("acme", "bot")
    assert all(not ops for _, ops in grants.prefixes)
    assert not grants.transit


@pytest.mark.parametrize(
    "data",
    [
        {"restricted": {"acme": {'shared/x" {}\npath "*': ["a"]}}},  # HCL injection
        {"restricted": {"acme": {"tenants/globex/": ["a"]}}},
        {"restricted": {"acme": {"shared/x": ["a"]}}},  # not canonical: no trailing '/'
        {"restricted": {"acme": {"shared//x/": ["a"]}}},
        {"restricted": {"acme": ["billing"]}},  # wrong shape would fail open
        {"restricted": "acme"},
        {"restricted": {"acme": {"shared/x/": "billing"}}},
        {"writable": {"acme": {"shared/x/": [5]}}},
        {"writable": {"acme": {"shared/x/": ["a/b"]}}},
        {"restricted": {"ac/me": {"shared/x/": ["a"]}}},
        {"restricted": {"acme": {f"shared/p{i}/": ["a"] for i in range(257)}}},
        [1],  # not an object at all (e.g. a JSON list in --policy-data)
        "restricted",
    ],
)
def test_malformed_policy_data_is_rejected(data: dict[str, object]) -> None:
    with pytest.raises((ConfigError, VaultPathError)):
        AgentPathRules(data=data)


def test_acl_text() -> None:
    layout = VaultLayout()
    rules = AgentPathRules(data={"restricted": {"acme": {"shared/pay/": ["billing"]}}})
    text = agent_policy(layout, rules.grants("acme", "bot"))
    assert 'path "hexr-kv/data/tenants/acme/shared/*" {\n  capabilities = ["read"]\n}' in text
    assert 'path "hexr-kv/data/tenants/acme/shared/pay/*" {\n  capabilities = ["deny"]\n}' in text
    assert (
        'path "hexr-kv/data/tenants/acme/agents/bot/*" {\n'
        '  capabilities = ["read", "create", "update", "delete"]\n}'
    ) in text
    assert 'path "hexr-transit/encrypt/tenant.acme"' in text
    assert "globex" not in text
    assert '"hexr-kv/data/tenants/+/credentials/*"' in injector_policy(layout)
