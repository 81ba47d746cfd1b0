import pytest

from hexr.errors import VaultPathError
from hexr.vault._layout import VaultLayout, parse_workload


def test_parses_agent_and_service_ids() -> None:
    agent = parse_workload("spiffe://hexr.local/agent/acme/bot/main")
    assert (agent.tenant, agent.agent, agent.service) == ("acme", "bot", None)
    service = parse_workload("spiffe://td/service/credential-injector")
    assert (service.tenant, service.service) == (None, "credential-injector")


@pytest.mark.parametrize(
    "value",
    ["http://x/agent/a/b/c", "spiffe://td/agent/a/b", "spiffe://td/agent/A/b/c",
     "spiffe://td/other/a/b/c", "spiffe://td/agent/a.b/c/d", "spiffe://td/service/a/b"],
)
def test_rejects_other_ids(value: str) -> None:
    with pytest.raises(VaultPathError):
        parse_workload(value)


def test_names_cannot_collide() -> None:
    layout = VaultLayout()
    # '.' separates the parts and cannot occur inside a name.
    assert layout.agent_role("a-b", "c") != layout.agent_role("a", "b-c")
    assert layout.agent_policy("acme", "bot") == "hexr.agent.acme.bot"
    with pytest.raises(VaultPathError):
        layout.agent_role("a.b", "c")
