"""Credential application, request building, policy and limits (no network)."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from hexr_gateway._auth import Caller
from hexr_gateway._config import GatewayConfig, RateLimit
from hexr_gateway._credentials import apply_credential
from hexr_gateway._policy import ToolPolicy
from hexr_gateway._ratelimit import InMemoryCounter, LimitChecker
from hexr_gateway._upstream import UpstreamClient
from hexr_gateway.errors import InvalidArguments, RateLimited, UpstreamFailed, error_response
from hexr_gateway.openapi import convert_spec, parse_spec


def _tool(security: list[dict[str, Any]], schemes: dict[str, Any],
          params: list[dict[str, Any]] | None = None) -> Any:
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "security": security,
            "components": {"securitySchemes": schemes},
            "paths": {"/p/{id}": {"post": {"operationId": "op", "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}},
                *(params or [])],
                "requestBody": {"content": {"application/json": {"schema": {}}}}}}}}
    (tool,) = convert_spec(parse_spec(spec), "up").tools
    return tool


@pytest.mark.parametrize(("scheme", "fields", "where", "expected"), [
    ({"type": "apiKey", "in": "header", "name": "X-Key"}, {"s": "k1"}, "header", ("X-Key", "k1")),
    ({"type": "apiKey", "in": "query", "name": "key"}, {"api_key": "k2"}, "query", ("key", "k2")),
    ({"type": "apiKey", "in": "cookie", "name": "sid"}, {"s": "k3"}, "cookie", ("sid", "k3")),
    ({"type": "http", "scheme": "bearer"}, {"token": "t1"}, "header",
     ("authorization", "Bearer t1")),
    ({"type": "http", "scheme": "basic"}, {"username": "u", "password": "p"}, "header",
     ("authorization", "Basic " + base64.b64encode(b"u:p").decode())),
])
def test_each_scheme_puts_the_credential_where_the_spec_says(
    scheme: dict[str, Any], fields: dict[str, str], where: str, expected: tuple[str, str]
) -> None:
    tool = _tool([{"s": []}], {"s": scheme})
    applied = apply_credential(tool, fields)
    assert getattr(applied, {"header": "headers", "query": "query",
                             "cookie": "cookies"}[where]) == dict([expected])
    assert "k1" not in repr(applied)
    assert "t1" not in repr(applied)


def test_alternatives_fall_through_and_missing_credentials_refuse() -> None:
    tool = _tool([{"a": []}, {"b": []}], {"a": {"type": "http", "scheme": "bearer"},
                                          "b": {"type": "apiKey", "in": "header", "name": "K"}})
    assert apply_credential(tool, {"b": "kb"}).headers == {"K": "kb"}
    with pytest.raises(UpstreamFailed):
        apply_credential(tool, {})
    anonymous = _tool([{}], {})
    assert apply_credential(anonymous, None).headers == {}


def test_the_request_is_built_from_scratch_and_the_credential_wins() -> None:
    tool = _tool([{"s": []}], {"s": {"type": "apiKey", "in": "header", "name": "X-Key"}},
                 [{"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                  {"name": "tags", "in": "query", "schema": {"type": "array"}}])
    client = UpstreamClient("http://up.invalid/base", timeout=1, max_response_bytes=1024)
    applied = apply_credential(tool, {"s": "real"})
    request = client.build(tool, {"id": "a/../b", "X-Trace": "t", "tags": ["x", "y"],
                                  "body": {"n": 1}}, applied)
    assert request.url.raw_path == b"/base/p/a%2F..%2Fb?tags=x&tags=y"
    assert request.headers["x-key"] == "real"
    assert request.headers["x-trace"] == "t"
    assert "authorization" not in request.headers
    assert "cookie" not in request.headers
    assert request.content == b'{"n": 1}'


def test_header_arguments_cannot_smuggle_headers() -> None:
    tool = _tool([{}], {}, [{"name": "X-Trace", "in": "header", "schema": {"type": "string"}},
                           {"name": "sid", "in": "cookie", "schema": {"type": "string"}}])
    client = UpstreamClient("http://up.invalid", timeout=1, max_response_bytes=1024)
    with pytest.raises(InvalidArguments):
        client.build(tool, {"id": "1", "X-Trace": "a\r\nAuthorization: x"},
                     apply_credential(tool, None))
    with pytest.raises(InvalidArguments):
        client.build(tool, {"id": "1", "sid": "a; admin=1"}, apply_credential(tool, None))


def _policy(**data: Any) -> ToolPolicy:
    config = GatewayConfig(issuer="http://i", **data)
    return ToolPolicy.from_config(config)


def test_policy_denies_by_default_and_constrains_arguments() -> None:
    caller = Caller("spiffe://hexr.local/agent/acme/bot/main", "acme", "bot")
    assert not _policy().allows(caller, "call", "up_op")
    policy = _policy(
        grants=[{"tenant": "acme", "agents": ["bot"], "tools": ["up_*"]}],
        constraints=[{"tool": "up_op", "argument": "region", "allowed": ["eu"]}],
    )
    assert policy.allows(caller, "list", "up_op")
    assert policy.allows(caller, "call", "up_op", arguments={"region": "eu"})
    assert not policy.allows(caller, "call", "up_op", arguments={"region": "us"})
    assert not policy.allows(caller, "call", "other_op")
    assert not policy.allows(caller, "register", "up")  # not in the grant's actions
    assert not policy.allows(caller, "list", "up_op", target_tenant="beta")
    other = Caller("spiffe://hexr.local/agent/beta/bot/main", "beta", "bot")
    assert not policy.allows(other, "call", "up_op", arguments={"region": "eu"})


async def test_limits_count_per_tenant_agent_and_tool() -> None:
    checker = LimitChecker([RateLimit(tool="up_op", limit=2, window_seconds=3600)],
                           InMemoryCounter())
    await checker.check("acme", "bot", "up_op")
    await checker.check("acme", "bot", "up_op")
    with pytest.raises(RateLimited) as limited:
        await checker.check("acme", "bot", "up_op")
    assert limited.value.retry_after > 1
    response = error_response(limited.value)
    assert response.status_code == 429
    assert "retry-after" in response.headers
    await checker.check("acme", "other", "up_op")  # another agent has its own count
    await checker.check("acme", "bot", "unlimited")


async def test_a_tenant_quota_and_a_tool_rate_both_hold() -> None:
    checker = LimitChecker([
        RateLimit(tenant="acme", limit=3, window_seconds=86400, per=["tenant"]),
        RateLimit(tool="up_op", limit=10, window_seconds=60),
    ], InMemoryCounter())
    await checker.check("acme", "a", "up_op")
    await checker.check("acme", "b", "up_x")
    await checker.check("acme", "c", "up_y")
    with pytest.raises(RateLimited, match="3 calls per 86400 s"):
        await checker.check("acme", "d", "up_z")  # the tenant's total, across agents
    await checker.check("beta", "a", "up_op")
