"""The identity service's HTTP server logs through Hexr's pipeline, not uvicorn's own."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile

SCRIPT = """
import asyncio, io, json, logging, sys
from pathlib import Path
from hexr.logs import configure_logging
from hexr_identity import IdentitySettings
from hexr_identity._server import IdentityService

out = io.StringIO()
configure_logging("identity", stream=out)
home = Path(sys.argv[1])

async def main():
    service = IdentityService(IdentitySettings(
        home=home, http_port=0, socket=home / "w.sock", registration_socket=home / "a" / "r.sock"
    ))
    await service.start()
    try:
        log = logging.getLogger("uvicorn.error")
        log.error("Exception in ASGI application: Bearer %s", sys.argv[2])
    finally:
        await service.stop()

asyncio.run(main())
print(json.dumps(out.getvalue()))
"""


def test_http_server_errors_go_through_the_scrubbing_log_pipeline() -> None:
    token = "eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl"
    with tempfile.TemporaryDirectory(prefix="hexr-id-") as home:
        result = subprocess.run(
            [sys.executable, "-c", SCRIPT, home, token],
            capture_output=True, text=True, timeout=60, check=True,
        )
    logged = json.loads(result.stdout.strip().splitlines()[-1])
    assert token not in logged + result.stderr
    lines = [json.loads(line) for line in logged.splitlines()]
    assert any(line["logger"] == "uvicorn.error" for line in lines)
