"""The demo's local AWS: a moto server (STS and S3) the demo starts and stops itself."""

from __future__ import annotations

import contextlib
import logging
import socket
from pathlib import Path
from typing import Any

__all__ = ["LocalAws"]


def _port_free(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class LocalAws:
    """moto in server mode on loopback; reuses the port of the last run when it is free.

    The same port keeps the injector's generated config valid between runs, so a warm
    demo does not restart the injector.
    """

    def __init__(self, state_dir: Path) -> None:
        self._port_file = state_dir / "moto-port"
        self._server: Any = None
        self.port = 0

    @property
    def url(self) -> str:
        """Base URL of STS and S3."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Start the server (imported here: moto is heavy)."""
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        # Its request log would interleave with the demo's progress display.
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        previous = 0
        with contextlib.suppress(OSError, ValueError):
            previous = int(self._port_file.read_text())
        self.port = previous if previous and _port_free(previous) else _free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        self._server.start()
        self._port_file.write_text(str(self.port))

    def create_bucket(self, name: str) -> None:
        """Create the demo bucket (moto accepts any credentials for this set-up step)."""
        import boto3

        s3 = boto3.client(
            "s3", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="setup", aws_secret_access_key="setup",  # noqa: S106 - moto
        )
        s3.create_bucket(Bucket=name)

    def stop(self) -> None:
        """Stop the server."""
        if self._server is not None:
            self._server.stop()
            self._server = None
