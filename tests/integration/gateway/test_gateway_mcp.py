"""The gateway end to end: the official MCP client, a real upstream API, the real identity
service, OpenBao and Valkey; the gateway runs as its own registered workload."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.exceptions import McpError

from hexr.gateway import GatewayClient, GatewayError
from tests.fixtures.gateway import (
    UPSTREAM_KEY,
    GatewayHandle,
    StaticIdentity,
    gateway_document,
)


@pytest.fixture(scope="module")
def seeded(vault_env: Any) -> Any:
    vault_env.seed("acme", "upstreams/shop", {"api_key": UPSTREAM_KEY})
    vault_env.seed("acme", "upstreams/shop2", {"api_key": UPSTREAM_KEY})
    return vault_env


@pytest.fixture(scope="module")
def gateway(
    identity_service: Any, seeded: Any, valkey_server: Any, upstream_api: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Any:
    document = gateway_document(identity_service, seeded, valkey_server.url, upstream_api.url)
    handle = GatewayHandle(identity_service, tmp_path_factory.mktemp("gw-main"), document)
    try:
        yield handle
    finally:
        handle.stop()


async def _session_call(url: str, token: str, op: str, *args: Any, headers: Any = None) -> Any:
    http = httpx.AsyncClient(headers={"authorization": f"Bearer {token}", **(headers or {})},
                             timeout=httpx.Timeout(10.0))
    try:
        async with (
            http,
            streamable_http_client(url, http_client=http) as (read, write, _),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            return await getattr(session, op)(*args)
    except BaseExceptionGroup as group:  # the SDK's task groups wrap what the call raised
        leaf: BaseException = group
        while isinstance(leaf, BaseExceptionGroup):
            leaf = leaf.exceptions[0]
        raise leaf from None


def _run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_mcp_client_lists_tools_and_calls_one_with_the_vault_credential(
    gateway: GatewayHandle, agent_token: Any, upstream_api: Any
) -> None:
    token = agent_token("acme")
    listed = _run(_session_call(gateway.mcp_url, token, "list_tools"))
    tools = {t.name: t for t in listed.tools}
    # operationId, and method+path where the spec has none.
    assert {"shop_getItem", "shop_listItems", "shop_put__items_by_id"} <= set(tools)
    # "id" is in the path and the query: both survive, under distinct names.
    assert set(tools["shop_getItem"].inputSchema["properties"]) == {"id", "id_query"}
    # The API key parameter is the gateway's, never an argument.
    assert all("X-API-Key" not in t.inputSchema["properties"] for t in tools.values())

    result = _run(_session_call(
        gateway.mcp_url, token, "call_tool", "shop_getItem", {"id": "a-1", "id_query": 7},
        headers={"cookie": "session=caller-cookie", "x-api-key": "caller-own-key"},
    ))
    assert result.isError is False
    assert result.structuredContent["body"]["id"] == "a-1"
    assert result.structuredContent["body"]["query"] == {"id": "7"}
    sent = upstream_api.seen()[-1]
    assert sent["path"] == "/items/a-1"
    headers = sent["headers"]
    assert headers["x-api-key"] == UPSTREAM_KEY  # from the vault, not the caller
    assert "authorization" not in headers  # the caller's JWT-SVID stays at the gateway
    assert "cookie" not in headers


def test_path_arguments_cannot_leave_their_segment(
    gateway: GatewayHandle, agent_token: Any, upstream_api: Any
) -> None:
    _run(_session_call(gateway.mcp_url, agent_token("acme"), "call_tool", "shop_getItem",
                       {"id": "../../admin?x=1"}))
    sent = upstream_api.seen()[-1]
    assert sent["raw_path"] == "/items/..%2F..%2Fadmin%3Fx%3D1"
    assert sent["query"] == ""


def test_body_with_allof_oneof_discriminator_and_cyclic_ref_is_accepted(
    gateway: GatewayHandle, agent_token: Any
) -> None:
    body = {"name": "n", "price": 2, "pet": {"kind": "dog", "barks": True},
            "category": {"name": "c", "children": [{"name": "d", "parent": {"name": "c"}}]}}
    result = _run(_session_call(gateway.mcp_url, agent_token("acme"), "call_tool",
                                "shop_put__items_by_id", {"id": "7", "body": body}))
    assert result.isError is False, result.content
    assert result.structuredContent["body"]["body"] == body


def test_invalid_arguments_are_refused_before_the_upstream(
    gateway: GatewayHandle, agent_token: Any, upstream_api: Any
) -> None:
    before = len(upstream_api.seen())
    token = agent_token("acme")
    for arguments in ({"limit": 1000}, {"limit": "many"}, {"unknown": 1}):
        result = _run(_session_call(gateway.mcp_url, token, "call_tool", "shop_listItems",
                                    arguments))
        assert result.isError is True
        assert result.content[0].text.startswith("invalid arguments")
    bad_body = {"id": "1", "body": {"name": "n", "pet": {"kind": "fish"}}}
    result = _run(_session_call(gateway.mcp_url, token, "call_tool", "shop_put__items_by_id",
                                bad_body))
    assert result.isError is True
    assert len(upstream_api.seen()) == before


def test_another_tenant_can_neither_list_nor_call_these_tools(
    gateway: GatewayHandle, agent_token: Any, upstream_api: Any
) -> None:
    token = agent_token("beta")
    listed = _run(_session_call(gateway.mcp_url, token, "list_tools"))
    assert [t.name for t in listed.tools] == []
    before = len(upstream_api.seen())
    with pytest.raises(McpError, match="unknown tool"):
        _run(_session_call(gateway.mcp_url, token, "call_tool", "shop_getItem", {"id": "1"}))
    assert len(upstream_api.seen()) == before


def test_no_or_forged_jwt_svid_gets_401(gateway: GatewayHandle, agent_token: Any) -> None:
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {}}
    accept = {"accept": "application/json, text/event-stream"}
    assert httpx.post(gateway.mcp_url, json=body, headers=accept).status_code == 401
    forged = agent_token("acme")[:-4] + "AAAA"
    answer = httpx.post(gateway.mcp_url, json=body,
                        headers={**accept, "authorization": f"Bearer {forged}"})
    assert answer.status_code == 401
    assert "Traceback" not in answer.text


def test_agent_side_never_holds_the_credential(
    gateway: GatewayHandle, agent_token: Any, identity_service: Any,
    credential_spans: Any, caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    identity = StaticIdentity(str(identity_service.spiffe_id("acme", "bot")),
                              agent_token("acme"))
    with GatewayClient(gateway.url, identity=identity) as client:
        # The upstream echoes the key it received: the gateway scrubs it from the answer.
        result = client.call_tool("shop_echoKey")
        assert result.body == {"you_sent": "[REDACTED]"}
        items = client.call("shop_listItems", {"limit": 2})
        assert items.body["limit"] == "2"
        tools = client.search_tools("list items")
        assert tools[0].name == "shop_listItems"
        assert client.get_tool("shop_getItem").input_schema["required"] == ["id"]
    spans = [s for s in credential_spans.get_finished_spans() if s.name == "hexr.gateway.call"]
    assert {s.attributes["tool_name"] for s in spans} >= {"shop_echoKey", "shop_listItems"}
    seen_here = repr(result) + repr(items) + caplog.text + "".join(
        str(dict(s.attributes or {})) + str(s.events) for s in spans
    )
    assert UPSTREAM_KEY not in seen_here
    assert UPSTREAM_KEY not in gateway.log()


def test_upstream_errors_come_back_clean(gateway: GatewayHandle, agent_token: Any) -> None:
    token = agent_token("acme")
    started = time.monotonic()
    slow = _run(_session_call(gateway.mcp_url, token, "call_tool", "shop_slow", {}))
    assert slow.isError is True
    assert slow.content[0].text == "upstream timed out"
    assert time.monotonic() - started < 5  # the upstream sleeps 5 s; the bound is 1 s
    failed = _run(_session_call(gateway.mcp_url, token, "call_tool", "shop_fail", {}))
    assert failed.isError is True
    assert failed.content[0].text == "upstream answered HTTP 500"  # no trace, no host
    big = _run(_session_call(gateway.mcp_url, token, "call_tool", "shop_big", {}))
    assert big.isError is True
    assert big.content[0].text.startswith("upstream answer larger than")


def test_upstream_killed_mid_answer_and_registered_at_run_time(
    gateway: GatewayHandle, agent_token: Any, identity_service: Any, upstream_factory: Any
) -> None:
    doomed = upstream_factory()
    identity = StaticIdentity(str(identity_service.spiffe_id("acme", "bot")),
                              agent_token("acme"))
    spec = httpx.get(f"{doomed.url}/openapi.json").json()
    with GatewayClient(gateway.url, identity=identity) as client:
        answer = client.register_spec("shop2", spec)
        assert "shop2_crash" in answer["tools"]
        crashed = client.call_tool("shop2_crash", raise_on_error=False)
        assert crashed.is_error
        assert crashed.text.startswith("upstream request failed")
        with pytest.raises(GatewayError, match="upstream request failed"):
            client.call_tool("shop2_listItems")  # the upstream is gone: refused, not hung
        assert client.call_tool("shop_listItems").body["items"] == ["a", "b"]


def test_registering_an_upstream_on_a_foreign_host_is_refused(
    gateway: GatewayHandle, agent_token: Any, identity_service: Any, upstream_api: Any
) -> None:
    identity = StaticIdentity(str(identity_service.spiffe_id("acme", "bot")),
                              agent_token("acme"))
    spec = httpx.get(f"{upstream_api.url}/openapi.json").json()
    with GatewayClient(gateway.url, identity=identity) as client:
        with pytest.raises(GatewayError) as refused:
            client.register_spec("evil", spec, base_url="http://169.254.169.254/latest")
        assert refused.value.code == "spec_rejected"
        # The name picks the vault credential: no taking over another upstream's name.
        with pytest.raises(GatewayError, match="configured upstream"):
            client.register_spec("shop", spec)
        client.register_spec("owned", spec)
    other = StaticIdentity(str(identity_service.spiffe_id("acme", "bot2")),
                           agent_token("acme", "bot2"))
    with GatewayClient(gateway.url, identity=other) as client, pytest.raises(
        GatewayError, match="another identity"
    ):
        client.register_spec("owned", spec, base_url="http://localhost:1")
    beta = StaticIdentity(str(identity_service.spiffe_id("beta", "bot")), agent_token("beta"))
    with GatewayClient(gateway.url, identity=beta) as client, pytest.raises(GatewayError) as no:
        client.register_spec("mine", spec)
    assert no.value.status == 403


def test_rate_limit_holds_across_two_replicas(
    identity_service: Any, seeded: Any, valkey_server: Any, upstream_api: Any,
    gateway_factory: Any, agent_token: Any,
) -> None:
    agent = f"limited-{uuid.uuid4().hex[:8]}"
    document = gateway_document(
        identity_service, seeded, valkey_server.url, upstream_api.url,
        rate_limits=[{"tenant": "acme", "agent": agent, "tool": "shop_listItems",
                      "limit": 3, "window_seconds": 86400}],
    )
    first, second = gateway_factory(document), gateway_factory(document)
    identity = StaticIdentity(str(identity_service.spiffe_id("acme", agent)),
                              agent_token("acme", agent))
    with (GatewayClient(first.url, identity=identity) as a,
          GatewayClient(second.url, identity=identity) as b):
        a.call_tool("shop_listItems")
        b.call_tool("shop_listItems")
        a.call_tool("shop_listItems")
        for client in (b, a):
            with pytest.raises(GatewayError, match="rate limit of 3 calls"):
                client.call_tool("shop_listItems")
        assert a.call_tool("shop_getItem", {"id": "1"}).body["id"] == "1"  # other tool
    assert 'hexr_gateway_rate_limited_total{' in first.metrics() + second.metrics()


def test_gateway_metrics_follow_the_contract(gateway: GatewayHandle) -> None:
    text = gateway.metrics()
    for name in ("hexr_gateway_calls_total{", "hexr_gateway_call_errors_total{",
                 "hexr_gateway_call_duration_seconds_bucket{", "hexr_gateway_tools{",
                 'component="gateway"'):
        assert name in text, name
    assert 'stage="credential"' in text
    assert 'stage="upstream"' in text


def test_gateway_dying_mid_call_does_not_hang_the_client(
    identity_service: Any, seeded: Any, upstream_api: Any, gateway_factory: Any,
    agent_token: Any,
) -> None:
    doomed = gateway_factory(gateway_document(
        identity_service, seeded, None, upstream_api.url,
    ))
    token = agent_token("acme")

    async def call_then_kill() -> Any:
        call = asyncio.create_task(_session_call(doomed.mcp_url, token, "call_tool",
                                                 "shop_slow", {}))
        await asyncio.sleep(0.5)
        doomed.process.kill()
        return await asyncio.wait_for(asyncio.gather(call, return_exceptions=True), 30)

    (outcome,) = _run(call_then_kill())
    assert isinstance(outcome, BaseException) or outcome.isError


def test_an_agent_function_becomes_a_gateway_tool(
    gateway: GatewayHandle, agent_token: Any, identity_service: Any
) -> None:
    import socket
    import threading

    import uvicorn

    from hexr.gateway import LocalTools, mcp_tool

    tools = LocalTools()

    @mcp_tool(registry=tools)
    def convert(amount: float, rate: float = 2.0) -> dict[str, float]:
        """Convert an amount at a rate."""
        return {"converted": amount * rate}

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(tools.asgi_app(), log_level="error", log_config=None))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    identity = StaticIdentity(str(identity_service.spiffe_id("acme", "bot")),
                              agent_token("acme"))
    try:
        with GatewayClient(gateway.url, identity=identity) as client:
            while not server.started:
                time.sleep(0.01)
            base = f"http://127.0.0.1:{sock.getsockname()[1]}"
            assert tools.register(client, "mine", base)["tools"] == ["mine_convert"]
            result = client.call_tool("mine_convert", {"amount": 3})
            assert result.body == {"result": {"converted": 6.0}}
            with pytest.raises(GatewayError, match="invalid arguments"):
                client.call_tool("mine_convert", {"amount": "three"})
            assert client.get_tool("mine_convert").input_schema["required"] == ["amount"]
    finally:
        server.should_exit = True
        thread.join(5)


def _hexr(identity: Any, spiffe_id: Any, *args: str) -> subprocess.CompletedProcess[bytes]:
    process = identity.spawn(
        spiffe_id, [sys.executable, "-m", "hexr_cli", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    out, err = process.communicate(timeout=60)
    return subprocess.CompletedProcess(args, process.returncode, out, err)


def test_cli_imports_a_spec_and_lists_what_the_identity_may_call(
    gateway: GatewayHandle, identity_service: Any, upstream_api: Any, tmp_path: Path,
) -> None:
    spec = tmp_path / "shop.json"
    spec.write_text(json.dumps(httpx.get(f"{upstream_api.url}/openapi.json").json()))
    acme = identity_service.spiffe_id("acme", "cli")
    imported = _hexr(identity_service, acme, "gateway", "import", str(spec), "--name", "cli",
                     "--url", gateway.url)
    assert imported.returncode == 0, imported.stderr
    assert b"registered cli for tenant acme" in imported.stdout
    listed = _hexr(identity_service, acme, "gateway", "tools", "--json", "--url", gateway.url)
    assert listed.returncode == 0, listed.stderr
    assert "cli_getItem" in {t["name"] for t in json.loads(listed.stdout)}
