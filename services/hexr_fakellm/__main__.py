"""``python -m hexr_fakellm --host H --port P``: serve the fake LLM with uvicorn.

Once it accepts connections it prints its base URL (``http://H:P/v1``) on stdout, so a
user (or a script) knows where to point an OpenAI client; ``--port 0`` picks a free port.
"""

from __future__ import annotations

import argparse
import socket

import uvicorn

from hexr_fakellm._app import create_app


class _AnnouncingServer(uvicorn.Server):
    """uvicorn's server, printing the URL once every listener is up."""

    def __init__(self, config: uvicorn.Config, sock: socket.socket) -> None:
        super().__init__(config)
        self._sock = sock

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        """Start listening, then announce where."""
        await super().startup(sockets)
        host, port = self._sock.getsockname()[:2]
        print(f"hexr_fakellm ready: http://{host}:{port}/v1", flush=True)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="hexr_fakellm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args(argv)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((args.host, args.port))
    config = uvicorn.Config(create_app(), log_level="warning", access_log=False)
    _AnnouncingServer(config, sock).run(sockets=[sock])


if __name__ == "__main__":
    main()
