import pytest

from hexr.a2a import AsyncA2AClient


async def test_echo(identity_service, valkey_server, a2a_sidecars):
    side = a2a_sidecars("echo")
    with identity_service.as_workload(identity_service.spiffe_id("acme", "tester")):
        client = AsyncA2AClient(valkey_url=valkey_server.url)
        r = await client.send("echo", "hi")
        print(r)
        r = await client.send("echo", "ask")
        print(r)
        r2 = await client.send("echo", "blue", task_id=r.task_id, context_id=r.context_id)
        print(r2)
        for c in ("reject", "fail", "crash", "message", "parts"):
            print(await client.send("echo", c))
        await client.aclose()
    print(side.log())
