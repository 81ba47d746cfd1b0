"""What an agent function does becomes the task the caller sees — through any client."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from a2a.client import ClientConfig, ClientFactory
from a2a.types import (
    GetTaskRequest,
    Message,
    Part,
    Role,
    SendMessageRequest,
    SubscribeToTaskRequest,
    TaskState,
)

from hexr.a2a import AsyncA2AClient, DataPart, FilePart, TextPart
from tests.integration.a2a.conftest import ECHO_POLICY, mtls


async def test_every_outcome(echo: Any, chat: Any, caller: Any, valkey_server: Any) -> None:
    with caller("acme", "tester"):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        outcomes = {c: await client.send("echo", c) for c in ("reject", "fail", "crash", "parts")}
        direct = await client.send("chat", "hi")
        as_task = await client.send("chat", "later")
        asked = await client.send("echo", "ask")
        answered = await client.send(
            "echo", "blue", task_id=asked.task_id, context_id=asked.context_id
        )
        history = await client.get("echo", asked.task_id, history_length=0)
        slow = await client.send("echo", "sleep", wait=False)
        canceled = await client.cancel("echo", slow.task_id)
        await client.aclose()
    assert (outcomes["reject"].state, outcomes["reject"].status_text) == ("rejected", "not my job")
    assert (outcomes["fail"].state, outcomes["fail"].status_text) == ("failed", "no sources found")
    assert outcomes["crash"].state == "failed"
    assert "secret internal detail" not in outcomes["crash"].status_text
    parts = outcomes["parts"].artifacts[0].parts
    assert [type(p) for p in parts] == [TextPart, FilePart, FilePart, DataPart]
    assert parts[1].data == b"\x00\x01bytes"
    assert parts[2].url == "https://example.com/r.pdf"
    assert parts[3].data == {"score": 3, "tags": ["a"]}
    assert (direct.state, direct.task_id, direct.text) == ("message", "", "direct answer")
    assert (as_task.state, as_task.text) == ("completed", "task:later")
    assert (asked.state, asked.status_text) == ("input_required", "which colour?")
    assert (answered.task_id, answered.context_id) == (asked.task_id, asked.context_id)
    assert (answered.state, answered.text) == ("completed", "colour=blue")
    assert history.state == "completed"
    assert canceled.state == "canceled"


def _request(text: str) -> SendMessageRequest:
    return SendMessageRequest(
        message=Message(role=Role.ROLE_USER, message_id=uuid.uuid4().hex, parts=[Part(text=text)])
    )


@pytest.mark.parametrize("binding", ["JSONRPC", "HTTP+JSON"])
async def test_official_client_drives_the_sidecar(echo: Any, caller: Any, binding: str) -> None:
    with caller("acme", "sdk-user") as source:
        async with httpx.AsyncClient(verify=mtls(source)) as http:
            config = ClientConfig(
                httpx_client=http, streaming=True, supported_protocol_bindings=[binding]
            )
            client = await ClientFactory(config).create_from_url(echo.url)
            events = [e async for e in client.send_message(_request("streamed"))]
            kinds = [e.WhichOneof("payload") for e in events]
            task_id = events[0].task.id
            stored = await client.get_task(GetTaskRequest(id=task_id))
            await client.close()
    assert kinds[0] == "task"
    assert "artifact_update" in kinds
    assert events[-1].status_update.status.state == TaskState.TASK_STATE_COMPLETED
    assert stored.artifacts[0].parts[0].text == "echo:streamed"


async def test_subscribers_on_another_replica_see_the_same_events(
    echo: Any, a2a_sidecars: Any, caller: Any
) -> None:
    replicas = [echo, a2a_sidecars("echo", policy=ECHO_POLICY)]
    with caller("acme", "watcher") as source:
        async with httpx.AsyncClient(verify=mtls(source), timeout=30) as http:
            clients = [
                await ClientFactory(
                    ClientConfig(httpx_client=http, streaming=True)
                ).create_from_url(r.url)
                for r in replicas
            ]
            request = _request("slow")
            request.configuration.return_immediately = True
            stream = clients[0].send_message(request)
            first = await anext(stream)  # the task, announced; it keeps running
            await stream.aclose()
            task_id = first.task.id

            async def watch(client: Any) -> list[Any]:
                return [
                    e.WhichOneof("payload")
                    + ":"
                    + TaskState.Name(
                        e.status_update.status.state
                        if e.HasField("status_update")
                        else e.task.status.state
                    )
                    async for e in client.subscribe(SubscribeToTaskRequest(id=task_id))
                ]

            local, remote = await asyncio.gather(*(watch(c) for c in clients))
            for client in clients:
                await client.close()
    assert remote[-1] == local[-1] == "status_update:TASK_STATE_COMPLETED"
    assert remote[0].startswith("task:")
