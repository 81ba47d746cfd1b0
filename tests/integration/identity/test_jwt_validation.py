"""ValidateJWTSVID verifies for real: forged, expired, wrong-audience, foreign tokens fail."""

from __future__ import annotations

import json
import time
from pathlib import Path

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from spiffe import WorkloadApiClient
from spiffe._proto import workload_pb2, workload_pb2_grpc
from spiffe.workloadapi.errors import ValidateJwtSvidError


def _real_signer(service) -> tuple[ec.EllipticCurvePrivateKey, str]:
    # The test runs as the service's user, so it can read the persisted key: this lets it
    # sign tokens whose only defect is the one under test.
    state = json.loads(Path(service.home, "identity", "hexr.local", "authorities.json").read_text())
    current = state["jwt"][0]
    key = serialization.load_pem_private_key(current["key"].encode(), password=None)
    assert isinstance(key, ec.EllipticCurvePrivateKey)
    return key, current["kid"]


def _token(key, kid: str, **overrides) -> str:
    now = int(time.time())
    claims = {
        "sub": "spiffe://hexr.local/agent/acme/planner/main",
        "aud": ["vault"],
        "iat": now,
        "exp": now + 60,
        "iss": "http://issuer",
    }
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, key, algorithm="ES256", headers={"kid": kid})


@pytest.fixture
def client(identity_service):
    with (
        identity_service.as_workload(identity_service.spiffe_id("acme", "verifier")),
        WorkloadApiClient(identity_service.endpoint) as client,
    ):
        yield client


def _rejected(client: WorkloadApiClient, token: str, audience: str = "vault") -> str:
    with pytest.raises(ValidateJwtSvidError) as info:
        client.validate_jwt_svid(token, audience, timeout=5)
    return str(info.value)


def test_well_formed_token_signed_by_real_key_passes(identity_service, client) -> None:
    key, kid = _real_signer(identity_service)
    svid = client.validate_jwt_svid(_token(key, kid), "vault", timeout=5)
    assert str(svid.spiffe_id) == "spiffe://hexr.local/agent/acme/planner/main"


def test_forged_signature_is_rejected(identity_service, client) -> None:
    _, kid = _real_signer(identity_service)
    forged = _token(ec.generate_private_key(ec.SECP256R1()), kid)
    assert "signature" in _rejected(client, forged)


def test_tampered_payload_is_rejected(identity_service, client) -> None:
    key, kid = _real_signer(identity_service)
    header, _, signature = _token(key, kid).split(".")
    other_payload = _token(key, kid, sub="spiffe://hexr.local/agent/acme/admin/main").split(".")[1]
    assert "signature" in _rejected(client, f"{header}.{other_payload}.{signature}")


def test_unknown_key_id_is_rejected(client) -> None:
    token = _token(ec.generate_private_key(ec.SECP256R1()), "not-a-known-kid")
    assert "not signed by this trust domain" in _rejected(client, token)


def test_alg_none_is_rejected(client) -> None:
    token = jwt.encode({"sub": "spiffe://hexr.local/agent/a/b/c", "aud": "vault"}, None, "none")
    assert "unsupported algorithm" in _rejected(client, token)


def test_expired_token_is_rejected(identity_service, client) -> None:
    key, kid = _real_signer(identity_service)
    now = int(time.time())
    assert "expired" in _rejected(client, _token(key, kid, iat=now - 600, exp=now - 300))


def test_wrong_audience_is_rejected(identity_service, client) -> None:
    key, kid = _real_signer(identity_service)
    assert "audience" in _rejected(client, _token(key, kid), audience="billing")


def test_foreign_trust_domain_subject_is_rejected(identity_service, client) -> None:
    key, kid = _real_signer(identity_service)
    token = _token(key, kid, sub="spiffe://evil.example/agent/acme/planner/main")
    assert "foreign trust domain" in _rejected(client, token)


def test_missing_claims_are_rejected(identity_service, client) -> None:
    key, kid = _real_signer(identity_service)
    assert "invalid" in _rejected(client, _token(key, kid, exp=None))


def test_token_of_another_trust_domain_service_is_rejected(
    identity_service_factory, client
) -> None:
    other = identity_service_factory(trust_domain="other.local")
    foreign_id = other.spiffe_id("acme", "planner")
    with other.as_workload(foreign_id), WorkloadApiClient(other.endpoint) as other_client:
        token = other_client.fetch_jwt_svid({"vault"}, timeout=5).token
        assert other_client.validate_jwt_svid(token, "vault", timeout=5)
    assert "not signed by this trust domain" in _rejected(client, token)


def test_oversized_token_is_rejected(client) -> None:
    assert "too large" in _rejected(client, "a" * 9000 + ".b.c")


def test_missing_security_header_is_invalid_argument(identity_service) -> None:
    with (
        identity_service.as_workload(identity_service.spiffe_id("acme", "raw")),
        grpc.insecure_channel(identity_service.endpoint) as channel,
    ):
        stub = workload_pb2_grpc.SpiffeWorkloadAPIStub(channel)
        with pytest.raises(grpc.RpcError) as info:
            stub.FetchJWTSVID(workload_pb2.JWTSVIDRequest(audience=["vault"]), timeout=5)
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        with pytest.raises(grpc.RpcError) as info:
            next(stub.FetchX509SVID(workload_pb2.X509SVIDRequest(), timeout=5))
        assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
        # With the header the same call succeeds: the header was the only defect.
        answer = stub.FetchJWTSVID(
            workload_pb2.JWTSVIDRequest(audience=["vault"]),
            metadata=[("workload.spiffe.io", "true")],
            timeout=5,
        )
        assert answer.svids[0].spiffe_id == "spiffe://hexr.local/agent/acme/raw/main"


def test_empty_and_oversized_audiences_are_invalid(identity_service) -> None:
    with (
        identity_service.as_workload(identity_service.spiffe_id("acme", "raw")),
        grpc.insecure_channel(identity_service.endpoint) as channel,
    ):
        stub = workload_pb2_grpc.SpiffeWorkloadAPIStub(channel)
        meta = [("workload.spiffe.io", "true")]
        for audience in ([], ["x" * 300], [f"a{i}" for i in range(17)]):
            with pytest.raises(grpc.RpcError) as info:
                stub.FetchJWTSVID(
                    workload_pb2.JWTSVIDRequest(audience=audience), metadata=meta, timeout=5
                )
            assert info.value.code() == grpc.StatusCode.INVALID_ARGUMENT
