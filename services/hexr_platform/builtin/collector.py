"""The ``rotel`` OTLP collector every SDK process and service exports to."""

from __future__ import annotations

import os
import shlex
from collections.abc import Sequence

from hexr import _env
from hexr_platform.component import ComponentSpec, http_ok, package_binary

__all__ = ["DEFAULT_COLLECTOR_EXPORTER_ARGS", "collector_spec"]

DEFAULT_COLLECTOR_EXPORTER_ARGS = ("--exporter", "blackhole")


def _exporter_args(explicit: Sequence[str] | None) -> list[str]:
    if explicit is not None:
        return list(explicit)
    configured = os.environ.get(_env.HEXR_COLLECTOR_EXPORTER_ARGS, "").strip()
    return shlex.split(configured) if configured else list(DEFAULT_COLLECTOR_EXPORTER_ARGS)


def collector_spec(exporter_args: Sequence[str] | None = None) -> ComponentSpec:
    """The collector; exporter from args, ``HEXR_COLLECTOR_EXPORTER_ARGS`` or blackhole."""
    return ComponentSpec(
        name="collector",
        locate=package_binary("rotel", "rotel-agent"),
        install_hint="pip install 'hexr[dev]'",
        ports=("grpc", "http"),
        argv=lambda ctx, exe: [
            exe, "start",
            "--pid-file", str(ctx.run_dir / "collector.pid"),
            "--log-file", str(ctx.log_path.with_suffix(".agent.log")),
            "--otlp-grpc-endpoint", f"{ctx.host}:{ctx.ports['grpc']}",
            "--otlp-http-endpoint", f"{ctx.host}:{ctx.ports['http']}",
            *_exporter_args(exporter_args),
        ],
        # An empty OTLP/HTTP export is accepted only once the receiver pipeline runs.
        health=http_ok(
            "/v1/traces",
            method="POST",
            port_role="http",
            headers={"content-type": "application/x-protobuf"},
        ),
        address=lambda ctx: f"http://{ctx.host}:{ctx.ports['grpc']}",
        publish=lambda ctx: {
            _env.OTEL_EXPORTER_OTLP_ENDPOINT: f"http://{ctx.host}:{ctx.ports['grpc']}"
        },
        order=50,
    )
