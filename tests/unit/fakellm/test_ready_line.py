"""Issue 17, first run 7: ``python -m hexr_fakellm`` says where it serves once ready."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import sys

import httpx


def test_prints_its_url_when_ready() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hexr_fakellm", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
    )
    try:
        assert proc.stdout is not None
        with selectors.DefaultSelector() as sel:
            sel.register(proc.stdout, selectors.EVENT_READ)
            assert sel.select(30), "no ready line"
        line = proc.stdout.readline().decode().strip()
        assert line.startswith("hexr_fakellm ready: http://127.0.0.1:")
        url = line.split(": ", 1)[1]
        assert url.endswith("/v1")
        # Ready means serving: the printed URL answers right away.
        assert httpx.get(f"{url}/models", timeout=5).status_code < 500
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=10)
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
