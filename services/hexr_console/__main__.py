"""``python -m hexr_console --home H --host 127.0.0.1 --port P``: serve the console."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from hexr import env as _env
from hexr.endpoints import default_home, published_env

_DEFAULT_DASHBOARDS = Path(__file__).resolve().parents[2] / "dashboards"


def main(argv: list[str] | None = None) -> None:
    """Parse flags and run the console under uvicorn (loopback by default)."""
    parser = argparse.ArgumentParser(prog="python -m hexr_console")
    parser.add_argument("--home", type=Path, default=None)
    parser.add_argument("--host", default=os.environ.get(_env.HEXR_CONSOLE_HOST, "127.0.0.1"))
    parser.add_argument(
        "--port", type=int, default=int(os.environ.get(_env.HEXR_CONSOLE_PORT, "8766"))
    )
    parser.add_argument("--dashboards", type=Path, default=None)
    args = parser.parse_args(argv)

    import uvicorn

    from hexr.logs import configure_logging
    from hexr_console._app import ConsoleSettings, create_app
    from hexr_console._auth import load_or_create_token

    home = (args.home or default_home()).expanduser().resolve()
    dashboards = args.dashboards or Path(
        os.environ.get(_env.HEXR_CONSOLE_DASHBOARDS) or _DEFAULT_DASHBOARDS
    )

    def prometheus_url() -> str | None:
        return os.environ.get(_env.HEXR_PROMETHEUS_URL) or published_env(home).get(
            _env.HEXR_PROMETHEUS_URL
        )

    configure_logging("console")
    settings = ConsoleSettings(home, load_or_create_token(home), prometheus_url, dashboards)
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_config=None,
        access_log=False,
        timeout_keep_alive=5,
        limit_concurrency=64,
        h11_max_incomplete_event_size=16 * 1024,
    )


if __name__ == "__main__":
    main()
