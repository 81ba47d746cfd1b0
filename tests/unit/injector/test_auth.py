"""Trust-bundle key handling: rotation by kid, bounded refetching, keeping the last good set."""

from __future__ import annotations

from typing import Any

import pytest

from hexr.errors import IdentityError
from hexr_injector._auth import JwksKeys, JwtVerifier
from hexr_injector.errors import Unauthenticated
from tests.fixtures.injector import INJECTOR_AUDIENCE, ISSUER, TokenMint, agent_id


class Bundle:
    def __init__(self, *mints: TokenMint) -> None:
        self.mints = list(mints)
        self.fetches = 0
        self.down = False

    async def __call__(self) -> dict[str, Any]:
        self.fetches += 1
        if self.down:
            # What the Workload API source raises when the identity service is gone.
            raise IdentityError("identity service unreachable")
        return {"keys": [k for m in self.mints for k in m.jwks["keys"]]}


def verifier(bundle: Bundle, min_refresh: float = 0.0) -> JwtVerifier:
    return JwtVerifier(JwksKeys(bundle, min_refresh=min_refresh), audience=INJECTOR_AUDIENCE,
                       issuer=ISSUER, trust_domain="hexr.local")


async def test_rotated_key_is_picked_up_by_kid() -> None:
    old, new = TokenMint(), TokenMint()
    bundle = Bundle(old)
    v = verifier(bundle)
    caller, _ = await v.verify("Bearer " + old.mint(agent_id("acme")))
    assert caller.tenant == "acme"
    bundle.mints.append(new)  # the identity service rotated its JWT signing key
    caller, _ = await v.verify("Bearer " + new.mint(agent_id("acme", "other")))
    assert caller.agent == "other"
    assert bundle.fetches == 2


async def test_unknown_kids_refetch_at_most_once_per_interval() -> None:
    stranger = TokenMint()
    bundle = Bundle(TokenMint())
    v = verifier(bundle, min_refresh=60)
    for _ in range(20):
        with pytest.raises(Unauthenticated, match="unknown key"):
            await v.verify("Bearer " + stranger.mint(agent_id("acme")))
    assert bundle.fetches == 1


async def test_unreachable_bundle_keeps_last_good_keys() -> None:
    mint = TokenMint()
    bundle = Bundle(mint)
    keys = JwksKeys(bundle, min_refresh=0, max_age=0)  # every lookup refetches
    v = JwtVerifier(keys, audience=INJECTOR_AUDIENCE, issuer=ISSUER, trust_domain="hexr.local")
    await v.verify("Bearer " + mint.mint(agent_id("acme")))
    bundle.down = True
    caller, _ = await v.verify("Bearer " + mint.mint(agent_id("acme")))
    assert caller.tenant == "acme"
    assert bundle.fetches >= 2


async def test_caller_comes_from_verified_subject_only() -> None:
    mint = TokenMint()
    v = verifier(Bundle(mint))
    token = mint.mint(agent_id("acme", "bot", "worker"), tenant="beta", agent="evil")
    caller, raw = await v.verify(f"Bearer {token}")
    assert (caller.tenant, caller.agent, caller.role) == ("acme", "bot", "worker")
    assert raw == token
