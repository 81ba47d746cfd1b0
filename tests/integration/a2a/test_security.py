"""Zero trust at the sidecar: mTLS required, caller policy, tenant isolation of tasks."""

from __future__ import annotations

import ssl
from typing import Any

import httpx
import pytest

from hexr.a2a import A2AError, AsyncA2AClient
from tests.integration.a2a.conftest import message, mtls, rpc


def test_cross_tenant_denied_uniformly_and_tasks_are_private(echo: Any, caller: Any) -> None:
    with caller("acme", "owner") as source, httpx.Client(verify=mtls(source)) as http:
        task_id = rpc(http, echo.url, "SendMessage", message("mine"))["result"]["task"]["id"]
    with caller("beta", "intruder") as source, httpx.Client(verify=mtls(source)) as http:
        existing = http.post(
            f"{echo.url}/a2a/jsonrpc",
            json={"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": task_id}},
        )
        missing = http.post(
            f"{echo.url}/a2a/jsonrpc",
            json={"jsonrpc": "2.0", "id": 1, "method": "GetTask", "params": {"id": "nope"}},
        )
        send = rpc(http, echo.url, "SendMessage", message("let me in"))
        rest = http.get(f"{echo.url}/a2a/rest/tasks/{task_id}")
    # A denied caller learns nothing: the same answer whether the task exists or not.
    assert existing.status_code == missing.status_code == 403
    assert existing.content == missing.content
    assert send["error"]["code"] == existing.json()["error"]["code"]
    assert rest.status_code == 403
    with caller("acme", "neighbour") as source, httpx.Client(verify=mtls(source)) as http:
        other = rpc(http, echo.url, "GetTask", {"id": task_id})
        unknown = rpc(http, echo.url, "GetTask", {"id": "nope"})
    # Same tenant, another caller: its task is "not found", exactly like no task.
    assert other["error"] == unknown["error"]
    assert other["error"]["code"] == -32001


async def test_cross_tenant_allow_list(echo: Any, caller: Any, valkey_server: Any) -> None:
    # ECHO_POLICY lets beta/partner in, and nobody else of beta.
    with caller("beta", "partner"):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        allowed = await client.send(echo.url, "hello from beta")
        await client.aclose()
    assert allowed.text == "echo:hello from beta"
    with caller("beta", "stranger"):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        with pytest.raises(A2AError):
            await client.send(echo.url, "and me?")
        await client.aclose()


async def test_registry_is_per_tenant(echo: Any, caller: Any, valkey_server: Any) -> None:
    with caller("beta", "looker"):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        with pytest.raises(A2AError, match="not registered in tenant 'beta'"):
            await client.send("echo", "hi")
        await client.aclose()


def test_no_client_certificate_no_connection(echo: Any) -> None:
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    with httpx.Client(verify=context) as http, pytest.raises(httpx.HTTPError):
        http.get(f"{echo.url}/.well-known/agent-card.json").raise_for_status()
