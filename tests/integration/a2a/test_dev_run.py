"""``hexr dev run --a2a``: the agent's sidecar starts next to it, as its ``a2a`` role."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

HEXR = str(Path(sys.executable).with_name("hexr"))
_CALL_OWN_SIDECAR = (
    "import os, json, valkey; from hexr.a2a import A2AClient; c = A2AClient();"
    "r = c.send('devrun', 'from dev run'); c.close();"
    "reg = valkey.Valkey.from_url(os.environ['HEXR_VALKEY_URL']).hgetall("
    "'hexr:a2a:registry:acme:devrun');"
    "sid = json.loads(next(iter(reg.values())))['spiffe_id'];"
    "print(os.environ['HEXR_A2A_URL'], sid, r.state, r.text)"
)


def test_dev_run_starts_the_sidecar_and_stops_it_with_the_agent(
    identity_service: Any, valkey_server: Any, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "HEXR_HOME": str(tmp_path),
        "SPIFFE_ENDPOINT_SOCKET": identity_service.endpoint,
        "HEXR_IDENTITY_REGISTRATION_SOCKET": identity_service.registration_socket,
        "HEXR_VALKEY_URL": valkey_server.url,
        "OTEL_TRACES_EXPORTER": "none",
        "PYTHONPATH": os.getcwd(),
    }
    out = subprocess.run(
        [
            HEXR,
            "dev",
            "run",
            "--tenant",
            "acme",
            "--agent",
            "devrun",
            "--a2a",
            "tests.integration.a2a.agents:echo",
            "--",
            sys.executable,
            "-c",
            _CALL_OWN_SIDECAR,
        ],
        env=env,
        capture_output=True,
        timeout=90,
        check=False,
    )
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    url, spiffe_id, state, text = out.stdout.decode().split(maxsplit=3)
    assert spiffe_id == "spiffe://hexr.local/agent/acme/devrun/a2a"
    assert (state, text.strip()) == ("completed", "echo:from dev run")
    assert f"A2A sidecar of acme/devrun at {url}" in out.stderr.decode()
    # The agent exited: its sidecar got SIGTERM (PR_SET_PDEATHSIG) and stops listening.
    host, port = url.removeprefix("https://").split(":")
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, int(port)), timeout=1).close()
        except ConnectionRefusedError:
            return
        time.sleep(0.2)
    pytest.fail("the sidecar outlived its agent")
