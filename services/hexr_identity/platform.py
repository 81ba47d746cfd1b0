"""The identity service as a component of the local platform (`hexr dev up`)."""

from __future__ import annotations

import os
from pathlib import Path

from hexr import _env
from hexr._settings import DEFAULT_TRUST_DOMAIN
from hexr_identity._config import registration_socket_path, workload_socket_path
from hexr_platform.component import (
    ComponentContext,
    ComponentSpec,
    extra_hint,
    http_ok,
    python_module,
)

__all__ = ["identity_spec"]


def _trust_domain() -> str:
    return os.environ.get(_env.HEXR_TRUST_DOMAIN) or DEFAULT_TRUST_DOMAIN


def _socket(ctx: ComponentContext) -> Path:
    return workload_socket_path(ctx.home)


def identity_spec() -> ComponentSpec:
    """The SPIFFE Workload API service (``hexr_identity``): SVIDs, JWKS/OIDC on ``http``."""
    return ComponentSpec(
        name="identity",
        locate=python_module("hexr_identity", needs=("grpclib", "starlette", "uvicorn")),
        install_hint=extra_hint("server"),
        ports=("http",),
        argv=lambda ctx, exe: [
            exe, "-m", "hexr_identity",
            "--home", str(ctx.home),
            "--trust-domain", _trust_domain(),
            "--socket", str(_socket(ctx)),
            "--registration-socket", str(registration_socket_path(ctx.home)),
            "--http-host", ctx.host,
            "--http-port", str(ctx.port),
        ],
        # The JWKS server starts last, so its answer means every listener is up.
        health=http_ok("/.well-known/openid-configuration"),
        address=lambda ctx: f"unix://{_socket(ctx)}",
        publish=lambda ctx: {
            _env.SPIFFE_ENDPOINT_SOCKET: f"unix://{_socket(ctx)}",
            _env.HEXR_TRUST_DOMAIN: _trust_domain(),
            _env.HEXR_JWKS_URL: f"http://{ctx.host}:{ctx.port}/keys",
        },
        order=10,
    )
