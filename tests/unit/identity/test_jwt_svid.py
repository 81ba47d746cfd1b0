"""hexr.identity.jwt_svid: the one verifier of the identity service and the injector."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hexr.identity.jwt_svid import InvalidJwtSvid, jwt_svid_kid, verify_jwt_svid

KEY = ec.generate_private_key(ec.SECP256R1())
SUB = "spiffe://hexr.local/agent/acme/bot/main"


def _token(headers: dict[str, Any] | None = None, **claims: Any) -> str:
    now = int(time.time())
    body: dict[str, Any] = {"sub": SUB, "aud": ["svc"], "iat": now, "exp": now + 60,
                            "iss": "https://issuer"}
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    return jwt.encode(body, KEY, algorithm="ES256", headers={"kid": "k1", **(headers or {})})


def _verify(token: str, **kwargs: Any) -> Any:
    options: dict[str, Any] = {"audience": "svc", "trust_domain": "hexr.local", **kwargs}
    return verify_jwt_svid(token, KEY.public_key(), **options)


def test_a_valid_token_gives_its_spiffe_id() -> None:
    spiffe_id, claims = _verify(_token(), issuer="https://issuer")
    assert str(spiffe_id) == SUB
    assert claims["aud"] == ["svc"]
    assert jwt_svid_kid(_token()) == "k1"


def _now() -> int:
    return int(time.time())


# Tokens are minted when each case runs (a token minted at collection could expire first).
CASES: list[tuple[Callable[[], str], dict[str, Any], str]] = [
    # No leeway on expiry: a token replayed one second past exp is refused.
    (lambda: _token(exp=_now() - 1), {}, "expired"),
    (lambda: _token(iat=_now() + 60), {}, "future"),
    (lambda: _token(iss="https://evil"), {"issuer": "https://issuer"}, "another issuer"),
    (lambda: _token(iss=None), {"issuer": "https://issuer"}, "invalid"),
    (lambda: _token(sub="spiffe://other.local/agent/a/b/c"), {}, "foreign trust domain"),
    (lambda: _token(sub="user@example.com"), {}, "not a SPIFFE ID"),
    (lambda: _token(aud=["other"]), {}, "audience"),
    (lambda: _token(iat=None), {}, "invalid"),
    (lambda: _token(headers={"typ": "at+jwt"}), {}, "token type"),
    (lambda: _token(headers={"kid": ""}), {}, "key ID"),
    (lambda: jwt.encode({"sub": SUB}, None, algorithm="none"), {}, "algorithm"),
    (lambda: "x" * 9000, {}, "too large"),
]


@pytest.mark.parametrize(("mint", "kwargs", "reason"), CASES, ids=[c[2] for c in CASES])
def test_every_rule_is_enforced(
    mint: Callable[[], str], kwargs: dict[str, Any], reason: str
) -> None:
    with pytest.raises(InvalidJwtSvid, match=reason):
        _verify(mint(), **kwargs)


def test_a_forged_signature_is_refused() -> None:
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(InvalidJwtSvid, match="signature"):
        verify_jwt_svid(_token(), other.public_key(), audience="svc", trust_domain="hexr.local")
