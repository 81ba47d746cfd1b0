import asyncio
import json
import socket
import subprocess
import sys

from hexr_injector.__main__ import _listen_socket


async def test_listen_socket_gets_nodelay_connections() -> None:
    # asyncio sets TCP_NODELAY on accepted sockets only when the listener's proto is TCP;
    # without it every response waits for a delayed ACK.
    sock = _listen_socket("127.0.0.1", 0)
    assert sock.proto == socket.IPPROTO_TCP
    accepted: list[int] = []

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        raw = writer.get_extra_info("socket")
        accepted.append(raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(handle, sock=sock)
    port = sock.getsockname()[1]
    _, writer = await asyncio.open_connection("127.0.0.1", port)
    for _ in range(100):
        if accepted:
            break
        await asyncio.sleep(0.01)
    writer.close()
    server.close()
    await server.wait_closed()
    assert accepted == [1]


def test_server_errors_go_through_the_scrubbing_log_pipeline() -> None:
    # A fresh process: the root logger and uvicorn's loggers are process-wide.
    script = """
import io, json, logging
from hexr.logs import configure_logging
from hexr_injector import InjectorSettings
from hexr_injector.__main__ import server_config
out = io.StringIO()
configure_logging("injector", stream=out)
server_config(lambda scope, receive, send: None, InjectorSettings())
logging.getLogger("uvicorn.error").error("Exception in ASGI application: Bearer %s", TOKEN)
print(json.dumps(out.getvalue()))
"""
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    result = subprocess.run(
        [sys.executable, "-c", f"TOKEN = {token!r}\n" + script],
        capture_output=True, text=True, timeout=60, check=True,
    )
    logged = json.loads(result.stdout.strip().splitlines()[-1])
    assert token not in logged + result.stderr
    assert "Exception in ASGI application" in logged  # the line itself is kept, as JSON
    assert json.loads(logged.splitlines()[0])["logger"] == "uvicorn.error"
