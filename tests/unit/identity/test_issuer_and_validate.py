from __future__ import annotations

import time
from pathlib import Path

import jwt
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from hexr.identity import SpiffeId
from hexr_identity._authority import Authorities
from hexr_identity._issuer import Issuer, rotation_time
from hexr_identity._validate import InvalidToken, validate_jwt_svid

SID = SpiffeId.for_agent("acme", "planner")


@pytest.fixture
def authorities(tmp_path: Path) -> Authorities:
    return Authorities(tmp_path, "hexr.local", ca_ttl=7200, x509_svid_ttl=3600, jwt_svid_ttl=300)


@pytest.fixture
def issuer(authorities: Authorities) -> Issuer:
    return Issuer(authorities, issuer_url="http://127.0.0.1:1", x509_ttl=3600, jwt_ttl=300)


def test_rotation_time_is_half_life_with_bounded_jitter() -> None:
    assert rotation_time(0, 100, rng=lambda: 0.0) == pytest.approx(45)
    assert rotation_time(0, 100, rng=lambda: 0.5) == pytest.approx(50)
    assert rotation_time(0, 100, rng=lambda: 1.0) == pytest.approx(55)


def test_x509_svid_profile(issuer: Issuer, authorities: Authorities) -> None:
    svid = issuer.x509_svid(SID)
    leaf = x509.load_der_x509_certificate(svid.cert_der)
    leaf.verify_directly_issued_by(authorities.x509.cert)
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert [str(n.value) for n in sans] == [str(SID)]
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage)
    assert usage.critical
    assert usage.value.digital_signature
    assert not usage.value.key_cert_sign
    assert svid.rotate_at < svid.expires_at
    assert issuer.x509_svid(SID) is svid  # cached until rotation
    other = issuer.x509_svid(SpiffeId.for_agent("acme", "other"))
    assert other.key_der != svid.key_der


def test_jwt_svid_claims_and_validation(issuer: Issuer, authorities: Authorities) -> None:
    token = issuer.jwt_svid(SID, ["vault", "gateway"])
    header = jwt.get_unverified_header(token)
    assert header["kid"] == authorities.jwt.kid
    assert header["alg"] == "ES256"
    spiffe_id, claims = validate_jwt_svid(token, "gateway", authorities)
    assert spiffe_id == SID
    assert claims["iss"] == "http://127.0.0.1:1"
    assert claims["exp"] - claims["iat"] == 300
    assert set(claims) >= {"sub", "aud", "exp", "iat"}


def _sign(authorities: Authorities, **claims: object) -> str:
    now = int(time.time())
    base: dict[str, object] = {"sub": str(SID), "aud": ["vault"], "iat": now, "exp": now + 60}
    base.update(claims)
    key = authorities.jwt.key
    return jwt.encode(base, key, algorithm="ES256", headers={"kid": authorities.jwt.kid})


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"exp": int(time.time()) - 60}, "expired"),
        ({"aud": ["billing"]}, "audience"),
        ({"sub": "spiffe://other.local/agent/a/b/c"}, "foreign trust domain"),
        ({"sub": "not-a-spiffe-id"}, "not a SPIFFE ID"),
        ({"iat": int(time.time()) + 3600}, "future"),
    ],
)
def test_invalid_claims_are_rejected(authorities: Authorities, claims: dict, reason: str) -> None:
    with pytest.raises(InvalidToken, match=reason):
        validate_jwt_svid(_sign(authorities, **claims), "vault", authorities)


def test_signature_kid_and_alg_are_checked(authorities: Authorities) -> None:
    forged = jwt.encode(
        {"sub": str(SID), "aud": "vault", "exp": int(time.time()) + 60, "iat": int(time.time())},
        ec.generate_private_key(ec.SECP256R1()),
        algorithm="ES256",
        headers={"kid": authorities.jwt.kid},
    )
    with pytest.raises(InvalidToken, match="signature"):
        validate_jwt_svid(forged, "vault", authorities)
    hs = jwt.encode({"sub": str(SID)}, "secret-secret-secret-secret-secret", algorithm="HS256")
    with pytest.raises(InvalidToken, match="algorithm"):
        validate_jwt_svid(hs, "vault", authorities)
    with pytest.raises(InvalidToken, match="malformed"):
        validate_jwt_svid("garbage", "vault", authorities)
    with pytest.raises(InvalidToken, match="too large"):
        validate_jwt_svid("x" * 10_000, "vault", authorities)


def test_tokens_of_a_retired_key_stay_valid_until_dropped(tmp_path: Path) -> None:
    auth = Authorities(tmp_path, "hexr.local", ca_ttl=100, x509_svid_ttl=10, jwt_svid_ttl=5)
    token = _sign(auth)
    rotated = auth.jwt.rotate_at + 0.1
    auth.maintain(rotated)
    validate_jwt_svid(token, "vault", auth)
    auth.maintain(rotated + 6)
    with pytest.raises(InvalidToken, match="not signed by this trust domain"):
        validate_jwt_svid(token, "vault", auth)


def test_x509_svid_repr_holds_no_private_key(issuer: Issuer) -> None:
    svid = issuer.x509_svid(SID)
    shown = repr(svid) + str(svid)
    assert repr(svid.key_der) not in shown
    assert "key_der" not in shown
    assert str(SID) in shown  # still says whose SVID it is
