"""Providers against real endpoints: an RFC 8693 token endpoint on loopback, a vault reader."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import parse_qsl

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route

from hexr.errors import ConfigError
from hexr_injector._spiffe import Caller
from hexr_injector.errors import ProviderFailed
from hexr_injector.providers import ExchangeRequest, build_provider
from hexr_injector.providers.aws_sts import role_session_name
from hexr_injector.providers.oauth2 import GRANT_TYPE, JWT_TOKEN_TYPE

CALLER = Caller("spiffe://hexr.local/agent/acme/bot/main", "acme", "bot", "main")


class TokenEndpoint:
    """A real RFC 8693 token endpoint: accepts only token exchange of a known subject token."""

    def __init__(self) -> None:
        self.requests: list[dict[str, str]] = []
        self.auth: list[str | None] = []
        self.mode = "ok"

        async def token(request: Request) -> JSONResponse:
            form = dict(parse_qsl((await request.body()).decode()))
            self.requests.append(form)
            self.auth.append(request.headers.get("authorization"))
            grant, kind = form.get("grant_type"), form.get("subject_token_type")
            if grant != GRANT_TYPE or kind != JWT_TOKEN_TYPE:
                return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
            if self.mode == "deny" or form.get("subject_token") != "svid.jwt.token":
                return JSONResponse({"error": "invalid_grant"}, status_code=400)
            if self.mode == "garbage":
                return JSONResponse({"token_type": "Bearer"})
            return JSONResponse({
                "access_token": "exchanged-" + form["subject_token"][:4],
                "issued_token_type": "urn:ietf:params:oauth:token-type:access_token",
                "token_type": "Bearer",
                "expires_in": 600,
            })

        async def flood(request: Request) -> StreamingResponse:
            # A broken or hostile endpoint: a JSON-looking body that never ends.
            async def chunks() -> Any:
                yield b'{"access_token": "'
                for _ in range(100_000):
                    yield b"x" * 65536
                    await asyncio.sleep(0.01)

            return StreamingResponse(chunks(), media_type="application/json")

        app = Starlette(routes=[
            Route("/token", token, methods=["POST"]),
            Route("/flood", flood, methods=["GET", "POST"]),
        ])
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self.server = uvicorn.Server(
            uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="error")
        )
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/token"

    def start(self) -> None:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started and time.monotonic() < deadline:
            time.sleep(0.01)
        assert self.server.started

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=5)


@pytest.fixture(scope="module")
def token_endpoint() -> Iterator[TokenEndpoint]:
    endpoint = TokenEndpoint()
    endpoint.start()
    try:
        yield endpoint
    finally:
        endpoint.stop()


def request(service: str = "github", token: str = "svid.jwt.token") -> ExchangeRequest:  # noqa: S107
    return ExchangeRequest(CALLER, service, "us-east-1", token)


async def test_oauth2_token_exchange(
    token_endpoint: TokenEndpoint, monkeypatch: pytest.MonkeyPatch
) -> None:
    token_endpoint.mode = "ok"
    monkeypatch.setenv("TEST_OAUTH_SECRET", "client-secret")
    provider = build_provider("github", {
        "provider": "oauth2", "token_endpoint": token_endpoint.url, "client_id": "hexr",
        "client_secret_env": "TEST_OAUTH_SECRET", "audience": "https://api.github.test",
        "base_url": "https://api.github.test",
    }, lambda: pytest.fail("no vault"))
    before = time.time()
    credential = await provider.exchange(request())
    await provider.aclose()
    assert credential.kind == "token"
    assert credential.values["token"] == "exchanged-svid"
    assert credential.values["base_url"] == "https://api.github.test"
    assert before + 590 < credential.expires_at < time.time() + 610
    sent = token_endpoint.requests[-1]
    assert sent["audience"] == "https://api.github.test"
    assert sent["requested_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert token_endpoint.auth[-1] is not None
    assert token_endpoint.auth[-1].startswith("Basic ")


@pytest.mark.parametrize("mode", ["deny", "garbage"])
async def test_oauth2_refusal_or_garbage_is_provider_failure(
    token_endpoint: TokenEndpoint, mode: str
) -> None:
    token_endpoint.mode = mode
    provider = build_provider(
        "github", {"provider": "oauth2", "token_endpoint": token_endpoint.url}, lambda: None
    )
    with pytest.raises(ProviderFailed) as info:
        await provider.exchange(request())
    assert "svid.jwt.token" not in str(info.value)
    await provider.aclose()


async def test_oauth2_unreachable_endpoint_is_provider_failure() -> None:
    provider = build_provider("github", {
        "provider": "oauth2", "token_endpoint": "http://127.0.0.1:9/token", "timeout_seconds": 1,
    }, lambda: None)
    with pytest.raises(ProviderFailed, match="unreachable"):
        await provider.exchange(request())
    await provider.aclose()


class Reader:
    def __init__(self, store: Mapping[tuple[str, str], Mapping[str, Any]]) -> None:
        self.store = store
        self.reads: list[tuple[str, str]] = []

    def read_credential(self, tenant: str, name: str) -> Mapping[str, Any]:
        self.reads.append((tenant, name))
        try:
            return self.store[(tenant, name)]
        except KeyError:
            raise LookupError(name) from None


async def test_vault_key_reads_callers_tenant_only() -> None:
    reader = Reader(
        {("acme", "openai"): {"api_key": "sk-acme"}, ("beta", "openai"): {"api_key": "sk-beta"}}
    )
    provider = build_provider("openai", {
        "provider": "vault_key", "base_url": "https://api.openai.test/v1", "ttl_seconds": 600,
    }, lambda: reader)
    credential = await provider.exchange(request("openai"))
    assert credential.values["token"] == "sk-acme"
    assert credential.values["prefix"] == "Bearer "
    assert reader.reads == [("acme", "openai")]


async def test_vault_key_missing_is_provider_failure() -> None:
    provider = build_provider(
        "anthropic", {"provider": "vault_key", "header": "x-api-key", "prefix": ""},
        lambda: Reader({}),
    )
    with pytest.raises(ProviderFailed, match="no API key"):
        await provider.exchange(request("anthropic"))


@pytest.mark.parametrize(
    "options",
    [
        {"provider": "magic"},
        {"provider": "aws_sts"},
        {"provider": "aws_sts", "role_arn": "arn:aws:iam::1:role/x-{tenant}", "surprise": 1},
        {"provider": "aws_sts", "role_arn": "arn:aws:iam::1:role/x-{tenant}",
         "duration_seconds": 5},
        {"provider": "oauth2", "token_endpoint": "ftp://x"},
        # Placeholders other than {tenant} and {agent} would fail every exchange later.
        {"provider": "aws_sts", "role_arn": "arn:aws:iam::1:role/x-{team}"},
        {"provider": "aws_sts", "role_arn": "arn:aws:iam::1:role/x-{0}-{tenant}"},
        {"provider": "aws_sts", "role_arn": "arn:aws:iam::1:role/x-{tenant.__class__}"},
        {"provider": "aws_sts", "role_arn": "arn:aws:iam::1:role/x-{tenant!r}"},
        {"provider": "aws_sts", "role_arn": "arn:aws:iam::1:role/x-{tenant"},
    ],
)
def test_bad_provider_options_are_config_errors(options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError, match=r"services\.svc"):
        build_provider("svc", options, lambda: None)


def test_role_session_name_is_sanitized_and_bounded() -> None:
    assert role_session_name("spiffe://hexr.local/agent/acme/bot/main") == "agent.acme.bot.main"
    long = "spiffe://hexr.local/agent/" + "t" * 100 + "/bot/main"
    assert len(role_session_name(long)) == 64


async def test_oauth2_endless_answer_is_cut_at_the_bound(token_endpoint: TokenEndpoint) -> None:
    provider = build_provider("github", {
        "provider": "oauth2", "token_endpoint": token_endpoint.url.replace("/token", "/flood"),
    }, lambda: None)
    try:
        with pytest.raises(ProviderFailed, match="too large"):
            await asyncio.wait_for(provider.exchange(request()), 5)
    finally:
        await provider.aclose()


async def test_jwks_endless_answer_is_cut_at_the_bound(token_endpoint: TokenEndpoint) -> None:
    from hexr_injector._auth import fetch_jwks_url

    fetch = fetch_jwks_url(token_endpoint.url.replace("/token", "/flood"))
    with pytest.raises(ValueError, match="too large"):
        await asyncio.wait_for(fetch(), 5)


def test_exchange_request_repr_holds_no_subject_token() -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    shown = repr(request(token=token)) + str(request(token=token))
    assert token not in shown
    assert "acme" in shown  # still says who asked for what
    assert "github" in shown


def test_oauth2_named_but_unset_client_secret_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TEST_OAUTH_SECRET_UNSET", raising=False)
    with pytest.raises(ConfigError, match=r"services\.github: .*TEST_OAUTH_SECRET_UNSET"):
        build_provider("github", {
            "provider": "oauth2", "token_endpoint": "http://127.0.0.1:9/token",
            "client_id": "hexr", "client_secret_env": "TEST_OAUTH_SECRET_UNSET",
        }, lambda: None)
