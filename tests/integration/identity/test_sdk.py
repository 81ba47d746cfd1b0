"""The SDK's IdentitySource and helpers against the real service."""

from __future__ import annotations

import threading

import httpx
import jwt
import pytest

from hexr.errors import AttestationError, IdentityError
from hexr.identity import IdentitySource, default_source, try_current_spiffe_id


def test_source_serves_identity_and_cached_jwt(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "sdk")
    with identity_service.as_workload(sid), IdentitySource() as source:
        assert source.spiffe_id == sid
        assert str(source.x509_context().default_svid.spiffe_id) == str(sid)
        token = source.jwt_svid("billing")
        assert source.jwt_svid("billing") == token
        assert source.jwt_svid("vault") != token
        claims = source.validate_jwt_svid(token, "billing")
        assert claims["sub"] == str(sid)
        assert claims["aud"] == ["billing"]
        with pytest.raises(IdentityError, match="audience"):
            source.validate_jwt_svid(token, "vault")
        with pytest.raises(IdentityError):
            source.validate_jwt_svid(token[:-4] + "AAAA", "billing")


def test_concurrent_jwt_misses_share_one_token(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "threads")
    with identity_service.as_workload(sid), IdentitySource() as source:
        tokens: list[str] = []
        barrier = threading.Barrier(8)

        def fetch() -> None:
            barrier.wait()
            tokens.append(source.jwt_svid("shared"))

        threads = [threading.Thread(target=fetch) for _ in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
    # ES256 signatures are randomized: one token for all means one fetch (single flight).
    assert len(tokens) == 8
    assert len(set(tokens)) == 1


def test_unregistered_process_gets_attestation_error(identity_service, monkeypatch) -> None:
    monkeypatch.setenv("SPIFFE_ENDPOINT_SOCKET", identity_service.endpoint)
    with pytest.raises(AttestationError, match="not a registered workload"):
        IdentitySource(timeout=5)
    assert try_current_spiffe_id() is None


def test_no_workload_api_configured(monkeypatch, tmp_path) -> None:
    monkeypatch.delenv("SPIFFE_ENDPOINT_SOCKET", raising=False)
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    with pytest.raises(IdentityError, match="no Workload API configured"):
        IdentitySource()
    assert try_current_spiffe_id() is None
    monkeypatch.setenv("SPIFFE_ENDPOINT_SOCKET", f"unix://{tmp_path}/absent.sock")
    with pytest.raises(IdentityError):
        IdentitySource(timeout=1)
    assert try_current_spiffe_id(timeout=0.5) is None


def test_default_source_and_try_current(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "default")
    with identity_service.as_workload(sid):
        assert try_current_spiffe_id() == sid
        source = default_source()
        assert default_source() is source
        assert source.spiffe_id == sid


def test_jwks_and_oidc_discovery_verify_jwt_svids(identity_service) -> None:
    discovery = httpx.get(
        f"{identity_service.issuer}/.well-known/openid-configuration", timeout=5
    ).json()
    assert discovery["issuer"] == identity_service.issuer
    assert discovery["jwks_uri"] == identity_service.jwks_url
    assert "ES256" in discovery["id_token_signing_alg_values_supported"]
    sid = identity_service.spiffe_id("acme", "oidc")
    with identity_service.as_workload(sid), IdentitySource() as source:
        token = source.jwt_svid("sts.amazonaws.com")
        sdk_kids = {k["kid"] for k in source.jwt_bundle_jwks()["keys"]}
    signing_key = jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token)
    claims = jwt.decode(
        token,
        signing_key.key,
        algorithms=["ES256"],
        audience="sts.amazonaws.com",
        issuer=identity_service.issuer,
    )
    assert claims["sub"] == str(sid)
    assert signing_key.key_id in sdk_kids
    assert httpx.post(identity_service.jwks_url, timeout=5).status_code == 405
    assert httpx.get(f"{identity_service.issuer}/nope", timeout=5).status_code == 404
