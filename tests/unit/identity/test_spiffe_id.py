from __future__ import annotations

import pytest

from hexr.errors import IdentityError
from hexr.identity import (
    SpiffeId,
    authorize_any,
    authorize_id,
    authorize_tenant,
    authorize_trust_domain,
)


def test_agent_id_round_trip() -> None:
    sid = SpiffeId.for_agent("acme", "planner")
    assert str(sid) == "spiffe://hexr.local/agent/acme/planner/main"
    assert SpiffeId.parse(str(sid)) == sid
    assert (sid.trust_domain, sid.tenant, sid.agent, sid.role) == (
        "hexr.local",
        "acme",
        "planner",
        "main",
    )


def test_service_id_round_trip() -> None:
    sid = SpiffeId.for_service("credential-injector", trust_domain="prod.example")
    assert str(sid) == "spiffe://prod.example/service/credential-injector"
    assert SpiffeId.parse(str(sid)) == sid
    assert sid.role is None
    assert sid.tenant is None
    assert sid.agent is None


@pytest.mark.parametrize(
    "value",
    [
        "",
        "http://hexr.local/agent/a/b/c",
        "spiffe://hexr.local",
        "spiffe://hexr.local/",
        "spiffe:///agent/a/b/c",
        "spiffe://HEXR.local/agent/a/b/c",
        "spiffe://hexr.local/agent/a/b",
        "spiffe://hexr.local/agent/a/b/c/d",
        "spiffe://hexr.local/agent//b/c",
        "spiffe://hexr.local/agent/../b/c",
        "spiffe://hexr.local/agent/a/./c",
        "spiffe://hexr.local/agent/a b/b/c",
        "spiffe://hexr.local/agent/a%2F/b/c",
        "spiffe://hexr.local/agent/a/b/c/",
        "spiffe://hexr.local/service/",
        "spiffe://hexr.local/service/a/b",
        "spiffe://hexr.local/user/a",
        "spiffe://user@hexr.local/service/a",
        "spiffe://hexr.local:8080/service/a",
        "spiffe://.hexr.local/service/a",
        "spiffe://hexr..local/service/a",
        "spiffe://hexr.local/agent/" + "a" * 129 + "/b/c",
        "spiffe://hexr.local/service/" + "a" * 3000,
    ],
)
def test_invalid_ids_are_rejected(value: str) -> None:
    with pytest.raises(IdentityError):
        SpiffeId.parse(value)


def test_constructors_validate_segments() -> None:
    with pytest.raises(IdentityError):
        SpiffeId.for_agent("acme", "a/b")
    with pytest.raises(IdentityError):
        SpiffeId.for_agent("", "a")
    with pytest.raises(IdentityError):
        SpiffeId.for_service("..")
    with pytest.raises(IdentityError):
        SpiffeId("hexr.local", "robot", "x")


def test_authorizers() -> None:
    a = SpiffeId.for_agent("tenant-a", "x")
    a_other_td = SpiffeId.for_agent("tenant-a", "x", trust_domain="other.local")
    b = SpiffeId.for_agent("tenant-b", "x")
    svc = SpiffeId.for_service("tenant-a")
    assert authorize_id(a)(a)
    assert authorize_id(str(a))(a)
    assert not authorize_id(a)(b)
    assert not authorize_id(a)(a_other_td)
    assert authorize_tenant("tenant-a")(a)
    assert authorize_tenant("tenant-a")(a_other_td)
    assert not authorize_tenant("tenant-a", "hexr.local")(a_other_td)
    assert not authorize_tenant("tenant-a")(b)
    assert not authorize_tenant("tenant-a")(svc)  # a service named like a tenant is no member
    assert authorize_trust_domain("hexr.local")(b)
    assert not authorize_trust_domain("hexr.local")(a_other_td)
    assert authorize_any()(a_other_td)
