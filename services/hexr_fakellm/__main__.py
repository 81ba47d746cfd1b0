"""``python -m hexr_fakellm --host H --port P``: serve the fake LLM with uvicorn."""

from __future__ import annotations

import argparse

import uvicorn

from hexr_fakellm._app import create_app


def main(argv: list[str] | None = None) -> None:
    """Parse arguments and serve until interrupted."""
    parser = argparse.ArgumentParser(prog="hexr_fakellm", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8089)
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(), host=args.host, port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
