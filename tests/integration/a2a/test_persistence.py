"""Tasks live in Valkey: a SIGKILLed sidecar loses none, and its in-flight work is failed."""

from __future__ import annotations

from typing import Any

from hexr.a2a import AsyncA2AClient


async def test_kill_9_loses_no_task(a2a_sidecars: Any, caller: Any, valkey_server: Any) -> None:
    first = a2a_sidecars("echo")
    with caller("acme", "survivor"):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        done = await client.send("echo", "before the crash")
        asked = await client.send("echo", "ask")
        running = await client.send("echo", "sleep", wait=False)
        assert (done.state, asked.state) == ("completed", "input_required")
        assert running.state in ("submitted", "working")

        first.kill()
        a2a_sidecars("echo")  # a new replica, on the same Valkey

        failed = await client.wait("echo", running.task_id, timeout=20)
        kept = await client.get("echo", done.task_id)
        resumed = await client.send(
            "echo", "green", task_id=asked.task_id, context_id=asked.context_id
        )
        await client.aclose()
    assert failed.state == "failed"
    assert "stopped before it finished" in failed.status_text
    assert (kept.state, kept.text) == ("completed", "echo:before the crash")
    assert (resumed.task_id, resumed.state, resumed.text) == (
        asked.task_id,
        "completed",
        "colour=green",
    )
