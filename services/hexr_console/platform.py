"""The console as a component of the local platform (`hexr dev up`)."""

from __future__ import annotations

from hexr import env as _env
from hexr_platform.component import ComponentSpec, extra_hint, http_ok, python_module

__all__ = ["console_spec"]


def console_spec() -> ComponentSpec:
    """The management console on loopback; its admin token is in ``secrets/``."""
    return ComponentSpec(
        name="console",
        locate=python_module("hexr_console", needs=("starlette", "uvicorn", "plotly")),
        install_hint=extra_hint("console"),
        argv=lambda ctx, exe: [
            exe, "-m", "hexr_console",
            "--home", str(ctx.home),
            "--host", ctx.host,
            "--port", str(ctx.port),
        ],
        health=http_ok("/healthz"),
        publish=lambda ctx: {_env.HEXR_CONSOLE_URL: f"http://{ctx.host}:{ctx.port}"},
        optional=True,
        order=90,
    )
