"""The injector as a component of the local platform (`hexr dev up`).

Started through the identity launcher, so it runs as the registered workload
``spiffe://{td}/service/credential-injector`` and serves mTLS with that SVID. Without
``HEXR_INJECTOR_CONFIG`` it gets a generated config that trusts the local identity service
and the local vault and grants nothing (deny by default): add services and grants in your
own config file and point ``HEXR_INJECTOR_CONFIG`` at it.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from hexr import _env
from hexr_platform.component import (
    ComponentContext,
    ComponentSpec,
    extra_hint,
    python_module,
    tcp_ok,
    workload_argv,
)

__all__ = ["injector_spec"]

SERVICE_NAME = "credential-injector"


def _trust_domain() -> str:
    return os.environ.get(_env.HEXR_TRUST_DOMAIN) or "hexr.local"


def _config_path(ctx: ComponentContext) -> Path:
    explicit = os.environ.get(_env.HEXR_INJECTOR_CONFIG)
    return Path(explicit) if explicit else ctx.data_dir / "injector.yaml"


def _prepare(ctx: ComponentContext) -> None:
    if os.environ.get(_env.HEXR_INJECTOR_CONFIG):
        return
    identity = ctx.peers["identity"]
    document: dict[str, object] = {
        "trust_domain": _trust_domain(),
        "issuer": f"http://{identity.host}:{identity.port}",
        "grants": [],
        "services": {},
    }
    openbao = ctx.peers.get("openbao")
    if openbao is not None:
        document["vault_addr"] = f"http://{openbao.host}:{openbao.port}"
    ctx.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _config_path(ctx).write_text(yaml.safe_dump(document))


def _argv(ctx: ComponentContext, exe: str) -> list[str]:
    return workload_argv(
        ctx,
        f"spiffe://{_trust_domain()}/service/{SERVICE_NAME}",
        [
            exe, "-m", "hexr_injector",
            "--config", str(_config_path(ctx)),
            "--host", ctx.host,
            "--port", str(ctx.ports["https"]),
        ],
    )


def _url(ctx: ComponentContext) -> str:
    return f"https://{ctx.host}:{ctx.ports['https']}"


def injector_spec() -> ComponentSpec:
    """The credential injector: JWT-SVID → short-lived credentials, over mTLS."""
    return ComponentSpec(
        name="injector",
        locate=python_module("hexr_injector", needs=("starlette", "uvicorn", "regopy")),
        install_hint=extra_hint("server"),
        # The main (first) port is the plain-HTTP /metrics the local Prometheus scrapes;
        # the API itself is mTLS only.
        ports=("metrics", "https"),
        argv=_argv,
        # mTLS: a plain HTTP probe cannot pass client authentication, a TCP connect can.
        health=tcp_ok("https"),
        process_env=lambda ctx: {
            _env.HEXR_INJECTOR_STATE_DIR: str(ctx.data_dir / "state"),
            _env.HEXR_METRICS_PORT: str(ctx.ports["metrics"]),
        },
        prepare=_prepare,
        publish=lambda ctx: {_env.HEXR_INJECTOR_URL: _url(ctx)},
        address=_url,
        metrics_path="/metrics",
        depends_on=("identity", "openbao"),
        order=40,
    )
