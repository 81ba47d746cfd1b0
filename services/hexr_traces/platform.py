"""The trace store (Arize Phoenix) as a component of the local platform.

Optional (``hexr traces install`` creates its environment) and started in the
background: Phoenix takes 10 s (idle machine) to a minute (loaded) to serve, and
``hexr dev up`` must not wait for it — the collector buffers and retries meanwhile.
"""

from __future__ import annotations

import shutil

from hexr import env as _env
from hexr_platform.component import ComponentContext, ComponentSpec, http_ok

__all__ = ["PROJECT", "trace_store_spec"]

PROJECT = "default"
"""Phoenix' project for spans whose resource names none (every Hexr span)."""


def _locate() -> str | None:
    from hexr_traces._install import phoenix_executable

    return phoenix_executable()


def _nice() -> str:
    return shutil.which("nice") or "/usr/bin/nice"


def _env_of(ctx: ComponentContext) -> dict[str, str]:
    return {
        "PHOENIX_WORKING_DIR": str(ctx.data_dir),
        "PHOENIX_HOST": ctx.host,
        "PHOENIX_PORT": str(ctx.ports["http"]),
        "PHOENIX_GRPC_PORT": str(ctx.ports["grpc"]),
        # No telemetry about the user's traces leaves the machine.
        "PHOENIX_TELEMETRY_ENABLED": "false",
    }


def trace_store_spec() -> ComponentSpec:
    """Phoenix: OTLP gRPC ingest on ``grpc``, UI and span REST API on ``http``."""
    return ComponentSpec(
        name="traces",
        locate=_locate,
        install_hint="hexr traces install",
        ports=("http", "grpc"),
        # Host and ports come through PHOENIX_* (process_env). Lower CPU priority (nice
        # execs, same pid): its ~10 s import must not slow the components up waits for.
        argv=lambda ctx, exe: [_nice(), "-n", "10", exe, "serve"],
        # Roles by name: a restored state lists ports in key order, not role order.
        health=http_ok("/healthz", port_role="http"),
        address=lambda ctx: f"http://{ctx.host}:{ctx.ports['http']}",
        process_env=_env_of,
        publish=lambda ctx: {_env.HEXR_TRACES_URL: f"http://{ctx.host}:{ctx.ports['http']}"},
        optional=True,
        background=True,
        start_timeout_s=120.0,
        order=55,
    )
