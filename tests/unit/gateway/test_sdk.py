"""The SDK's pure parts: search ranking, answer parsing, @mcp_tool's spec and invocation."""

from __future__ import annotations

import httpx
import pytest

from hexr.gateway import GatewayError, LocalTools, Tool, mcp_tool
from hexr.gateway._base import match_tools, parse_rpc, resolve_url
from hexr_gateway.openapi import convert_spec, parse_spec


def test_search_ranks_name_matches_first() -> None:
    tools = [Tool("shop_listItems", "List items", {}), Tool("shop_getItem", "Read one item", {}),
             Tool("weather_now", "Current weather", {})]
    assert [t.name for t in match_tools(tools, "list items", 5)] == [
        "shop_listItems", "shop_getItem"]
    assert match_tools(tools, "nothing", 5) == []


def test_rpc_errors_and_http_errors_raise_with_the_gateway_code() -> None:
    request = httpx.Request("POST", "http://g/mcp")
    denied = httpx.Response(401, json={"error": {"code": "unauthenticated", "message": "no"}},
                            request=request)
    with pytest.raises(GatewayError) as error:
        parse_rpc(denied)
    assert (error.value.code, error.value.status) == ("unauthenticated", 401)
    rpc = httpx.Response(200, json={"jsonrpc": "2.0", "id": 1,
                                    "error": {"code": -32602, "message": "unknown tool"}},
                         request=request)
    with pytest.raises(GatewayError, match="unknown tool"):
        parse_rpc(rpc)


def test_a_bearer_url_off_loopback_must_be_https() -> None:
    assert resolve_url("http://127.0.0.1:8450/") == "http://127.0.0.1:8450"
    with pytest.raises(Exception, match="HEXR_GATEWAY_URL"):
        resolve_url("http://gateway.example.com")


async def test_mcp_tool_functions_become_a_spec_the_gateway_converts() -> None:
    registry = LocalTools()

    @mcp_tool(registry=registry)
    def add(a: int, b: int = 2) -> int:
        """Add two numbers."""
        return a + b

    @mcp_tool(registry=registry, name="shout")
    async def loud(text: str) -> str:
        return text.upper()

    assert add(1) == 3  # the function itself is unchanged
    spec = registry.openapi()
    names = [t.name for t in convert_spec(parse_spec(spec), "me").tools]
    assert names == ["me_add", "me_shout"]
    assert await registry.invoke("add", {"a": 1, "b": 5}) == 6
    assert await registry.invoke("shout", {"text": "hi"}) == "HI"
    with pytest.raises(ValueError, match="validation"):
        await registry.invoke("add", {"a": "x"})


def test_sdk_surface_is_sorted_and_light() -> None:
    import subprocess
    import sys

    import hexr.gateway

    assert list(hexr.gateway.__all__) == sorted(hexr.gateway.__all__)
    assert hexr.gateway.GatewayClient.__module__ == "hexr.gateway"
    code = ("import sys, hexr.gateway; print(sorted({'starlette', 'mcp', 'regopy', 'uvicorn'}"
            " & {m.split('.')[0] for m in sys.modules}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"
