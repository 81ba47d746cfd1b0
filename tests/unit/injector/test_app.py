"""The injector app end to end over ASGI: real ES256 tokens, real policy, real moto STS."""

from __future__ import annotations

import base64
import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from hexr_injector import InjectorSettings, build_service, create_app, load_config
from tests.fixtures.injector import INJECTOR_AUDIENCE, TokenMint, agent_id

ROLE = "arn:aws:iam::123456789012:role/hexr-{tenant}-{agent}"


@pytest.fixture
def app_factory(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path], moto_server: Any
) -> Callable[..., Any]:
    def make(**overrides: Any) -> Any:
        fields: dict[str, Any] = {
            "grants": [
                {"tenant": "acme", "agents": ["*"], "services": ["aws_s3", "aws_dead"]},
                {"tenant": "beta", "agents": ["bot"], "services": ["aws_s3"],
                 "regions": ["eu-west-1"]},
            ],
            "services": {
                "aws_s3": {"provider": "aws_sts", "role_arn": ROLE,
                           "endpoint_url": moto_server.url, "duration_seconds": 900},
                "aws_dead": {"provider": "aws_sts", "role_arn": ROLE,
                             "endpoint_url": "http://127.0.0.1:9", "timeout_seconds": 1},
                "ungranted": {"provider": "aws_sts", "role_arn": ROLE,
                              "endpoint_url": moto_server.url},
            },
        }
        fields.update(overrides)
        settings = InjectorSettings(state_dir=tmp_path / "state")
        config = load_config(injector_config(**fields))
        service = build_service(settings, config, jwks=token_mint.fetch_jwks)
        return create_app(settings, service=service)

    return make


@pytest.fixture
async def client(app_factory: Callable[..., Any]) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app_factory())
    async with httpx.AsyncClient(transport=transport, base_url="http://injector") as http:
        yield http


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def test_exchange_returns_sts_credential_for_callers_own_role(
    client: httpx.AsyncClient, token_mint: TokenMint, moto_server: Any
) -> None:
    token = token_mint.mint(agent_id("acme", "bot"))
    response = await client.post("/exchange", json={"service": "aws_s3"}, headers=bearer(token))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["provider"] == "aws_sts"
    credential = body["credential"]
    assert credential["kind"] == "aws"
    assert credential["values"]["access_key_id"].startswith("ASIA")
    assert len(base64.b64decode(body["sealing_key"])) == 32
    # The credential is for the verified caller's tenant/agent role, not any other.
    sts = boto3.client(
        "sts", region_name="us-east-1", endpoint_url=moto_server.url,
        aws_access_key_id=credential["values"]["access_key_id"],
        aws_secret_access_key=credential["values"]["secret_access_key"],
        aws_session_token=credential["values"]["session_token"],
    )
    arn = sts.get_caller_identity()["Arn"]
    assert ":assumed-role/hexr-acme-bot/" in arn
    assert "agent.acme.bot.main" in arn  # RoleSessionName names the SPIFFE ID


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, "missing"),
        ({"authorization": "Bearer not-a-jwt"}, "malformed"),
        ({"authorization": "Bearer " + "a" * 9000}, "malformed"),
    ],
)
async def test_missing_or_malformed_token_is_401(
    client: httpx.AsyncClient, headers: dict[str, str], reason: str
) -> None:
    response = await client.post("/exchange", json={"service": "aws_s3"}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthenticated"
    assert reason in response.json()["error"]["message"]
    assert response.headers["www-authenticate"] == "Bearer"


async def test_forged_token_is_401(client: httpx.AsyncClient, token_mint: TokenMint) -> None:
    forger = ec.generate_private_key(ec.SECP256R1())
    # Same kid as the real key, but signed by a key the trust bundle does not hold.
    forged = token_mint.mint(agent_id("beta"), key=forger)
    response = await client.post("/exchange", json={"service": "aws_s3"}, headers=bearer(forged))
    assert response.status_code == 401
    assert "does not verify" in response.json()["error"]["message"]
    unknown_kid = token_mint.mint(agent_id("beta"), key=forger, kid="someone-else")
    response = await client.post(
        "/exchange", json={"service": "aws_s3"}, headers=bearer(unknown_kid)
    )
    assert response.status_code == 401


async def test_unsigned_and_hmac_tokens_are_401(
    client: httpx.AsyncClient, token_mint: TokenMint
) -> None:
    import jwt

    claims = {"sub": agent_id("acme"), "aud": INJECTOR_AUDIENCE, "exp": 2**40, "iat": 1,
              "iss": token_mint.issuer}
    none_token = jwt.encode(claims, None, algorithm="none", headers={"kid": token_mint.kid})
    hmac_token = jwt.encode(claims, "x" * 32, algorithm="HS256", headers={"kid": token_mint.kid})
    for token in (none_token, hmac_token):
        response = await client.post("/exchange", json={"service": "aws_s3"}, headers=bearer(token))
        assert response.status_code == 401


async def test_replayed_expired_token_is_401(
    client: httpx.AsyncClient, token_mint: TokenMint
) -> None:
    expired = token_mint.mint(agent_id("acme"), ttl=-1)
    response = await client.post("/exchange", json={"service": "aws_s3"}, headers=bearer(expired))
    assert response.status_code == 401
    assert "expired" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("claims", "why"),
    [
        ({"aud": "hexr-vault"}, "audience"),
        ({"iss": "http://evil.example"}, "does not verify"),
        ({"sub": "spiffe://hexr.local/service/credential-injector"}, "subject"),
        ({"sub": "spiffe://other.domain/agent/acme/bot/main"}, "subject"),
        ({"sub": "not a spiffe id"}, "subject"),
    ],
)
async def test_token_for_wrong_audience_issuer_or_subject_is_401(
    client: httpx.AsyncClient, token_mint: TokenMint, claims: dict[str, str], why: str
) -> None:
    sub = claims.pop("sub", agent_id("acme"))
    token = token_mint.mint(sub, **claims)
    response = await client.post("/exchange", json={"service": "aws_s3"}, headers=bearer(token))
    assert response.status_code == 401
    assert why in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "bad_request"),
        (b"[1, 2]", 400, "bad_request"),
        (b"[" * 5000, 400, "bad_request"),  # nesting past the JSON decoder's recursion limit
        (b'{"service": 5}', 422, "invalid_request"),
        (b'{"service": "AWS S3!"}', 422, "invalid_request"),
        (b'{"region": "us-east-1"}', 422, "invalid_request"),
        # A caller cannot name a role (another tenant's or any): the body has no such field.
        (b'{"service": "aws_s3", "role_arn": "arn:aws:iam::1:role/hexr-beta-bot"}', 422,
         "invalid_request"),
        (b'{"service": "aws_s3", "tenant": "beta"}', 422, "invalid_request"),
    ],
)
async def test_bad_bodies_get_4xx_json(
    client: httpx.AsyncClient, token_mint: TokenMint, body: bytes, status: int, code: str
) -> None:
    token = token_mint.mint(agent_id("acme"))
    response = await client.post(
        "/exchange", content=body, headers={**bearer(token), "content-type": "application/json"}
    )
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_oversized_body_is_413_declared_or_streamed(
    client: httpx.AsyncClient, token_mint: TokenMint
) -> None:
    token = token_mint.mint(agent_id("acme"))
    big = json.dumps({"service": "aws_s3", "pad": "x" * 20000}).encode()
    response = await client.post("/exchange", content=big, headers=bearer(token))
    assert response.status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 1024

    response = await client.post("/exchange", content=chunks(), headers=bearer(token))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


async def test_unknown_service_is_404(client: httpx.AsyncClient, token_mint: TokenMint) -> None:
    token = token_mint.mint(agent_id("acme"))
    response = await client.post("/exchange", json={"service": "aws_nope"}, headers=bearer(token))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "unknown_service"


@pytest.mark.parametrize(
    ("tenant", "agent", "service", "region"),
    [
        ("beta", "other", "aws_s3", "eu-west-1"),  # agent not granted
        ("beta", "bot", "aws_s3", "us-east-1"),  # region not granted
        ("acme", "bot", "ungranted", "us-east-1"),  # service configured, never granted
        ("gamma", "bot", "aws_s3", "us-east-1"),  # tenant with no grant at all
    ],
)
async def test_policy_denies_by_default_with_403(
    client: httpx.AsyncClient, token_mint: TokenMint, tenant: str, agent: str, service: str,
    region: str,
) -> None:
    token = token_mint.mint(agent_id(tenant, agent))
    response = await client.post(
        "/exchange", json={"service": service, "region": region}, headers=bearer(token)
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


async def test_granted_tenant_in_granted_region_is_allowed(
    client: httpx.AsyncClient, token_mint: TokenMint
) -> None:
    token = token_mint.mint(agent_id("beta", "bot"))
    response = await client.post(
        "/exchange", json={"service": "aws_s3", "region": "eu-west-1"}, headers=bearer(token)
    )
    assert response.status_code == 200


async def test_provider_failure_is_502_with_safe_message(
    client: httpx.AsyncClient, token_mint: TokenMint
) -> None:
    token = token_mint.mint(agent_id("acme"))
    response = await client.post("/exchange", json={"service": "aws_dead"}, headers=bearer(token))
    assert response.status_code == 502
    body = response.text
    assert response.json()["error"]["code"] == "provider_failed"
    assert token not in body
    assert "Traceback" not in body
    assert "127.0.0.1:9" not in body


async def test_sealing_key_is_per_identity_and_stable(
    client: httpx.AsyncClient, token_mint: TokenMint
) -> None:
    async def key_of(spiffe_id: str) -> str:
        response = await client.post("/sealing-key", headers=bearer(token_mint.mint(spiffe_id)))
        assert response.status_code == 200
        return str(response.json()["sealing_key"])

    a1, a2 = await key_of(agent_id("acme")), await key_of(agent_id("acme"))
    b = await key_of(agent_id("beta"))
    assert a1 == a2
    assert a1 != b
    response = await client.post("/sealing-key")
    assert response.status_code == 401


async def test_master_secret_survives_restart_and_is_private(
    app_factory: Callable[..., Any], tmp_path: Path, token_mint: TokenMint
) -> None:
    keys = []
    for _ in range(2):
        transport = httpx.ASGITransport(app=app_factory())
        async with httpx.AsyncClient(transport=transport, base_url="http://i") as http:
            response = await http.post(
                "/sealing-key", headers=bearer(token_mint.mint(agent_id("acme")))
            )
            keys.append(response.json()["sealing_key"])
    assert keys[0] == keys[1]
    assert (tmp_path / "state" / "sealing.key").stat().st_mode & 0o777 == 0o600


async def test_exchange_span_joins_callers_trace_and_holds_no_secret(
    client: httpx.AsyncClient, token_mint: TokenMint, credential_spans: Any
) -> None:
    trace_id = "4bf92f3577b34da6a3ce929d0e0e4736"
    token = token_mint.mint(agent_id("acme", "bot"))
    headers = {**bearer(token), "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    response = await client.post("/exchange", json={"service": "aws_s3"}, headers=headers)
    assert response.status_code == 200
    secret = response.json()["credential"]["values"]["secret_access_key"]
    spans = [s for s in credential_spans.get_finished_spans()
             if s.name == "hexr.credential.exchange"
             and format(s.context.trace_id, "032x") == trace_id]
    assert len(spans) == 1
    attrs = dict(spans[0].attributes or {})
    assert attrs["provider"] == "aws_sts"
    assert attrs["service"] == "aws_s3"
    assert attrs["spiffe_id"] == agent_id("acme", "bot")
    assert format(spans[0].parent.span_id, "016x") == "00f067aa0ba902b7"
    dumped = json.dumps([dict(s.attributes or {}) for s in credential_spans.get_finished_spans()])
    assert secret not in dumped
    assert token not in dumped


def with_peer(app: Any, peer: str | None) -> Any:
    """What PeerIdentityH11Protocol does on an mTLS connection from ``peer``."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        scope["extensions"] = {**(scope.get("extensions") or {}), "hexr.peer_spiffe_id": peer}
        await app(scope, receive, send)

    return wrapped


@pytest.mark.parametrize(
    ("peer", "bind", "status"),
    [
        (agent_id("acme", "bot"), True, 200),  # token and channel name the same workload
        (agent_id("beta", "bot"), True, 401),  # acme's token over beta's channel
        (agent_id("acme", "other"), False, 401),  # any known peer must match, bound or not
        (None, True, 401),  # binding required but no mTLS identity
        (None, False, 200),  # in-process use without TLS
    ],
)
async def test_token_is_bound_to_the_mtls_peer(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path],
    moto_server: Any, peer: str | None, bind: bool, status: int,
) -> None:
    settings = InjectorSettings(state_dir=tmp_path / "state")
    config = load_config(injector_config(
        grants=[{"tenant": "acme", "services": ["aws_s3"]}],
        services={"aws_s3": {"provider": "aws_sts", "role_arn": ROLE,
                             "endpoint_url": moto_server.url}},
    ))
    service = build_service(settings, config, jwks=token_mint.fetch_jwks, bind_to_peer=bind)
    transport = httpx.ASGITransport(app=with_peer(create_app(settings, service=service), peer))
    token = token_mint.mint(agent_id("acme", "bot"))
    async with httpx.AsyncClient(transport=transport, base_url="http://i") as http:
        for path, body in (("/exchange", {"service": "aws_s3"}), ("/sealing-key", {})):
            response = await http.post(path, json=body, headers=bearer(token))
            assert response.status_code == status, (path, response.text)
            if status == 401:
                assert "mTLS" in response.json()["error"]["message"]


async def test_provider_error_text_does_not_reach_the_exchange_span(
    tmp_path: Path, token_mint: TokenMint, injector_config: Callable[..., Path],
    credential_spans: Any,
) -> None:
    leaked = "sk-live-" + "Q" * 40

    class LeakyReader:
        def read_credential(self, tenant: str, name: str) -> Any:
            # A client library quoting what it was handed, as some do in their errors.
            raise RuntimeError(f"vault client failed with key {leaked}")

    settings = InjectorSettings(state_dir=tmp_path / "state")
    config = load_config(injector_config(
        grants=[{"tenant": "acme", "services": ["openai"]}],
        services={"openai": {"provider": "vault_key"}},
    ))
    service = build_service(
        settings, config, jwks=token_mint.fetch_jwks, vault_reader=lambda: LeakyReader()
    )
    transport = httpx.ASGITransport(app=create_app(settings, service=service))
    trace_id = "5bf92f3577b34da6a3ce929d0e0e4737"
    headers = {**bearer(token_mint.mint(agent_id("acme", "bot"))),
               "traceparent": f"00-{trace_id}-00f067aa0ba902b7-01"}
    async with httpx.AsyncClient(transport=transport, base_url="http://i") as http:
        response = await http.post("/exchange", json={"service": "openai"}, headers=headers)
    assert response.status_code == 502
    assert leaked not in response.text
    spans = [s for s in credential_spans.get_finished_spans()
             if s.name == "hexr.credential.exchange"
             and format(s.context.trace_id, "032x") == trace_id]
    assert len(spans) == 1
    events = [dict(e.attributes or {}) for e in spans[0].events if e.name == "exception"]
    assert events, "the failure is still recorded on the span"
    assert "RuntimeError" in str(events[0]["exception.stacktrace"])  # the cause stays visible
    assert dict(spans[0].attributes or {})["error.type"] == "provider_failed"
    dumped = json.dumps([dict(e.attributes or {}) for e in spans[0].events])
    dumped += json.dumps(dict(spans[0].attributes or {})) + str(spans[0].status.description)
    assert leaked not in dumped
