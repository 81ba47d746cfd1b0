"""Agent functions the A2A tests serve through real sidecars (imported by the sidecar).

The researcher → writer → editor chain calls onward with ``AsyncA2AClient`` inside the
agent function, so one trace covers all three hops.
"""

from __future__ import annotations

import asyncio
import os

from hexr import hexr_agent
from hexr.a2a import (
    A2ARequest,
    Artifact,
    AsyncA2AClient,
    DataPart,
    FilePart,
    InputRequired,
    Message,
    Skill,
    TaskFailed,
    TaskRejected,
    TextPart,
    serves_a2a,
)

TENANT = os.environ.get("A2A_TEST_TENANT", "acme")
_client: AsyncA2AClient | None = None


def _a2a() -> AsyncA2AClient:
    global _client
    if _client is None:
        _client = AsyncA2AClient()
    return _client


@serves_a2a("Edits a draft", skills=[Skill(id="edit", name="Edit", description="Polish text")])
@hexr_agent(name="editor", tenant=TENANT)
async def editor(request: A2ARequest) -> str:
    return f"edited({request.text})"


@serves_a2a("Writes from notes", skills=[Skill(id="write", name="Write", description="Draft")])
@hexr_agent(name="writer", tenant=TENANT)
async def writer(request: A2ARequest) -> str:
    edited = await _a2a().send("editor", f"draft[{request.text}]")
    return edited.text


@serves_a2a(
    "Researches a topic", skills=[Skill(id="research", name="Research", description="Find facts")]
)
@hexr_agent(name="researcher", tenant=TENANT)
async def researcher(request: A2ARequest) -> str:
    written = await _a2a().send("writer", f"notes on {request.text}")
    return written.text


@serves_a2a(
    "Behaves as the message says",
    skills=[Skill(id="echo", name="Echo", description="Test behaviours")],
)
@hexr_agent(name="echo", tenant=TENANT)
async def echo(request: A2ARequest) -> object:
    """Commands: ask (then the answer), reject, fail, crash, parts, slow, sleep; else echo."""
    command = request.text
    if request.history and request.history[0] == "ask":
        return f"colour={command}"  # the answer to the question, in the same task
    if command == "ask":
        raise InputRequired("which colour?")
    if command == "reject":
        raise TaskRejected("not my job")
    if command == "fail":
        raise TaskFailed("no sources found")
    if command == "crash":
        raise RuntimeError("secret internal detail")
    if command == "parts":
        return [
            Artifact(
                name="all",
                parts=(
                    TextPart("hello"),
                    FilePart(
                        data=b"\x00\x01bytes", name="a.bin", media_type="application/octet-stream"
                    ),
                    FilePart(
                        url="https://example.com/r.pdf", name="r.pdf", media_type="application/pdf"
                    ),
                    DataPart({"score": 3, "tags": ["a"]}),
                ),
            )
        ]
    if command == "sleep":
        await asyncio.sleep(30)
    if command == "slow":
        await asyncio.sleep(1.0)
    return f"echo:{command}"


@serves_a2a(
    "Answers directly",
    direct_messages=True,
    skills=[Skill(id="chat", name="Chat", description="Direct answers")],
)
@hexr_agent(name="chat", tenant=TENANT)
def chat(request: A2ARequest) -> object:
    """A sync function: a direct Message for "hi", a task for anything else."""
    if request.text == "hi":
        return Message.text("direct answer")
    return f"task:{request.text}"
