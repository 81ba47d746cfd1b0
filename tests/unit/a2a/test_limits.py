"""Input bounds before a2a-sdk: each bad body gets its JSON-RPC code (in-process ASGI)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from hexr_a2a._limits import LimitsMiddleware, json_depth


def test_json_depth_ignores_brackets_in_strings() -> None:
    assert json_depth("[" * 5 + "]" * 5, 4)
    assert not json_depth("[" * 4 + "]" * 4, 4)
    assert not json_depth('{"a": "[[[[[[[[[[\\"]]]]"}', 2)


async def _echo_app(scope: Any, receive: Any, send: Any) -> None:
    body = (await receive())["body"]
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/a2a+json")],
        }
    )
    await send({"type": "http.response.body", "body": body})


@pytest.fixture
def client() -> httpx.AsyncClient:
    app = LimitsMiddleware(
        _echo_app, jsonrpc_path="/rpc", rest_path="/rest", max_body_bytes=1000, max_depth=8
    )
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t")


@pytest.mark.parametrize(
    ("body", "content_type", "code"),
    [
        (b"x" * 1001, "application/json", -32600),
        ("\xff".encode("latin-1"), "application/json", -32700),
        (b"[" * 9 + b"]" * 9, "application/json", -32600),
        (b"{}", "text/plain", -32005),
    ],
)
async def test_rejections(
    client: httpx.AsyncClient, body: bytes, content_type: str, code: int
) -> None:
    answer = await client.post("/rpc", content=body, headers={"content-type": content_type})
    assert answer.json()["error"]["code"] == code


async def test_good_body_passes_and_rest_is_application_json(client: httpx.AsyncClient) -> None:
    ok = await client.post(
        "/rpc", content=b'{"a": 1}', headers={"content-type": "application/json"}
    )
    assert ok.content == b'{"a": 1}'
    rest = await client.post("/rest/x", content=b"{}")
    assert rest.headers["content-type"] == "application/json"
    too_big = await client.post("/rest/x", content=b"x" * 2000)
    assert too_big.status_code == 413
