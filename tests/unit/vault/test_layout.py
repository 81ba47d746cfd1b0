import pytest

from hexr.errors import VaultPathError
from hexr.vault._layout import VaultLayout, from_server_name, parse_workload, server_name


def test_parses_agent_and_service_ids() -> None:
    agent = parse_workload("spiffe://hexr.local/agent/acme/bot/main")
    assert (agent.tenant, agent.agent, agent.service) == ("acme", "bot", None)
    service = parse_workload("spiffe://td/service/credential-injector")
    assert (service.tenant, service.service) == (None, "credential-injector")


@pytest.mark.parametrize(
    "value",
    ["http://x/agent/a/b/c", "spiffe://td/agent/a/b", "spiffe://td/agent/../b/c",
     "spiffe://td/other/a/b/c", "spiffe://td/agent/a b/c/d", "spiffe://td/service/a/b"],
)
def test_rejects_other_ids(value: str) -> None:
    with pytest.raises(VaultPathError):
        parse_workload(value)


def test_server_names_are_lowercase_and_collision_free() -> None:
    layout = VaultLayout()
    assert layout.agent_policy("acme", "bot") == "hexr.agent.acme.bot"
    assert layout.agent_role("Acme.Co", "my_bot") == "agent._acme_-_co.my__bot"
    names = ["acme", "Acme", "ACME", "a.b", "a_b", "a-b", "a__b", "a_-b", "a._b", "A_b", "_a"]
    for make in (layout.agent_role, layout.agent_policy):
        built = {make(t, a) for t in names for a in names}
        assert len(built) == len(names) ** 2
        assert all(b == b.lower() for b in built)
    keys = {layout.transit_key(t) for t in names}
    assert len(keys) == len(names)
    for name in names:  # the separator '.' never survives escaping
        assert "." not in server_name("tenant", name)
    with pytest.raises(VaultPathError):
        layout.agent_role("a/b", "c")


@pytest.mark.parametrize("name", ["acme", "Acme.Co", "a_b", "_x_", "A-b.C_d", "9", "x" * 128])
def test_server_names_round_trip(name: str) -> None:
    layout = VaultLayout()
    assert from_server_name("tenant", server_name("tenant", name)) == name
    assert layout.parse_agent_role(layout.agent_role(name, "bot")) == (name, "bot")


@pytest.mark.parametrize("role", ["service.x", "agent.acme", "agent.A.bot", "agent.a_.b", "x"])
def test_other_roles_do_not_parse_as_agents(role: str) -> None:
    assert VaultLayout().parse_agent_role(role) is None
