"""Tasks live in Valkey: a SIGKILLed sidecar loses none, and its in-flight work is failed."""

from __future__ import annotations

from typing import Any

from hexr.a2a import AsyncA2AClient


async def test_kill_9_loses_no_task(a2a_sidecars: Any, caller: Any, valkey_server: Any) -> None:
    # An agent name of its own: a session-wide "echo" sidecar of other tests is alive on the
    # same Valkey, and the registry would route some calls to it instead.
    first = a2a_sidecars("crashy", function="echo")
    with caller("acme", "survivor"):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        done = await client.send("crashy", "before the crash")
        asked = await client.send("crashy", "ask")
        running = await client.send("crashy", "sleep", wait=False)
        assert (done.state, asked.state) == ("completed", "input_required")
        assert running.state in ("submitted", "working")

        first.kill()
        a2a_sidecars("crashy", function="echo")  # a new replica, on the same Valkey

        failed = await client.wait("crashy", running.task_id, timeout=20)
        kept = await client.get("crashy", done.task_id)
        resumed = await client.send(
            "crashy", "green", task_id=asked.task_id, context_id=asked.context_id
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
