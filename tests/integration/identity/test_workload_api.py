"""The identity service against the unchanged py-spiffe client (grpcio)."""

from __future__ import annotations

import os

import pytest
from cryptography import x509
from spiffe import SpiffeId as PySpiffeId
from spiffe import TrustDomain, WorkloadApiClient
from spiffe.workloadapi.errors import FetchJwtSvidError, FetchX509SvidError, ValidateJwtSvidError


def test_fetches_x509_context_with_spiffe_svid(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "planner")
    with identity_service.as_workload(sid), WorkloadApiClient(identity_service.endpoint) as client:
        context = client.fetch_x509_context(timeout=5)
    svid = context.default_svid
    assert str(svid.spiffe_id) == str(sid)
    leaf = svid.leaf
    sans = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert sans.get_values_for_type(x509.UniformResourceIdentifier) == [str(sid)]
    assert len(list(sans)) == 1
    assert leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature
    assert not usage.key_cert_sign
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert 3590 <= lifetime.total_seconds() <= 3610  # 1 h (+10 s backdating)
    bundle = context.x509_bundle_set.get_bundle_for_trust_domain(TrustDomain("hexr.local"))
    assert bundle is not None
    (ca,) = bundle.x509_authorities
    leaf.verify_directly_issued_by(ca)


def test_fetches_bundles_and_jwt_svids_and_validates(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "planner")
    with identity_service.as_workload(sid), WorkloadApiClient(identity_service.endpoint) as client:
        x509_bundles = client.fetch_x509_bundles(timeout=5)
        assert x509_bundles.get_bundle_for_trust_domain(TrustDomain("hexr.local")) is not None
        jwt_bundles = client.fetch_jwt_bundles(timeout=5)
        jwt_bundle = jwt_bundles.get_bundle_for_trust_domain(TrustDomain("hexr.local"))
        assert jwt_bundle is not None
        assert jwt_bundle.jwt_authorities

        svid = client.fetch_jwt_svid({"vault"}, timeout=5)
        assert str(svid.spiffe_id) == str(sid)
        assert svid.audience == {"vault"}
        assert svid._claims["iss"] == identity_service.issuer
        assert 295 <= svid.expiry - svid._claims["iat"] <= 300

        validated = client.validate_jwt_svid(svid.token, "vault", timeout=5)
        assert str(validated.spiffe_id) == str(sid)
        # Signature checked offline with the fetched bundle, too (py-spiffe's own check).
        from spiffe import JwtSvid

        JwtSvid.parse_and_validate(svid.token, jwt_bundle, {"vault"})


def test_unregistered_process_gets_nothing(identity_service, monkeypatch) -> None:
    monkeypatch.setenv("SPIFFE_ENDPOINT_SOCKET", identity_service.endpoint)
    with WorkloadApiClient(identity_service.endpoint) as client:
        with pytest.raises(FetchX509SvidError, match="PERMISSION_DENIED"):
            client.fetch_x509_context(timeout=5)
        with pytest.raises(FetchJwtSvidError, match="PERMISSION_DENIED"):
            client.fetch_jwt_svid({"vault"}, timeout=5)
        with pytest.raises(ValidateJwtSvidError, match="PERMISSION_DENIED"):
            client.validate_jwt_svid("a.b.c", "vault", timeout=5)


def test_registered_for_tenant_a_cannot_get_tenant_b(identity_service) -> None:
    a = identity_service.spiffe_id("tenant-a", "agent")
    b = identity_service.spiffe_id("tenant-b", "agent")
    with identity_service.as_workload(a), WorkloadApiClient(identity_service.endpoint) as client:
        with pytest.raises(FetchJwtSvidError, match="PERMISSION_DENIED"):
            client.fetch_jwt_svid({"vault"}, subject=PySpiffeId(str(b)), timeout=5)
        own = client.fetch_jwt_svid({"vault"}, subject=PySpiffeId(str(a)), timeout=5)
        assert str(own.spiffe_id) == str(a)
        assert str(client.fetch_x509_svid(timeout=5).spiffe_id) == str(a)


def test_registration_of_this_pid_ends_with_unregister(identity_service) -> None:
    sid = identity_service.spiffe_id("acme", "short")
    with WorkloadApiClient(identity_service.endpoint) as client:
        with identity_service.as_workload(sid):
            client.fetch_x509_svid(timeout=5)
        with pytest.raises(FetchX509SvidError, match="PERMISSION_DENIED"):
            client.fetch_x509_svid(timeout=5)
    assert os.environ.get("SPIFFE_ENDPOINT_SOCKET") != identity_service.endpoint
