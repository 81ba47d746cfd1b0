"""The gateway as a component of the local platform (`hexr dev up`).

Started through the identity launcher, so it runs as the registered workload
``spiffe://{td}/service/gateway`` (its SVID logs it in to the vault, read-only on the
tenants' ``upstreams/``). Without ``HEXR_GATEWAY_CONFIG`` it gets a generated config that
trusts the local identity service, reads the local vault, keeps rate limits in the local
Valkey, and has no upstreams and no grants (deny by default): list upstream specs and
grants in your own config file and point ``HEXR_GATEWAY_CONFIG`` at it, or register specs
at run time (``hexr gateway import``).
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from hexr import env as _env
from hexr_platform.component import (
    ComponentContext,
    ComponentSpec,
    extra_hint,
    http_ok,
    python_module,
    workload_argv,
)

__all__ = ["gateway_spec"]

SERVICE_NAME = "gateway"


def _trust_domain() -> str:
    return os.environ.get(_env.HEXR_TRUST_DOMAIN) or "hexr.local"


def _config_path(ctx: ComponentContext) -> Path:
    explicit = os.environ.get(_env.HEXR_GATEWAY_CONFIG)
    return Path(explicit) if explicit else ctx.data_dir / "gateway.yaml"


def _prepare(ctx: ComponentContext) -> None:
    if os.environ.get(_env.HEXR_GATEWAY_CONFIG):
        return
    identity = ctx.peers["identity"]
    document: dict[str, object] = {
        "trust_domain": _trust_domain(),
        "issuer": f"http://{identity.host}:{identity.port}",
        "upstreams": [],
        "grants": [],
    }
    openbao = ctx.peers.get("openbao")
    if openbao is not None:
        document["vault_addr"] = f"http://{openbao.host}:{openbao.port}"
    valkey = ctx.peers.get("valkey")
    if valkey is not None:
        document["valkey_url"] = f"valkey://{valkey.host}:{valkey.port}"
    ctx.data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    _config_path(ctx).write_text(yaml.safe_dump(document))


def _argv(ctx: ComponentContext, exe: str) -> list[str]:
    return workload_argv(
        ctx,
        f"spiffe://{_trust_domain()}/service/{SERVICE_NAME}",
        [
            exe, "-m", "hexr_gateway",
            "--config", str(_config_path(ctx)),
            "--host", ctx.host,
            "--port", str(ctx.ports["http"]),
        ],
    )


def _url(ctx: ComponentContext) -> str:
    return f"http://{ctx.host}:{ctx.ports['http']}"


def gateway_spec() -> ComponentSpec:
    """The gateway: OpenAPI upstreams as MCP tools, credentials from the vault."""
    return ComponentSpec(
        name="gateway",
        locate=python_module("hexr_gateway", needs=("starlette", "uvicorn", "regopy", "mcp")),
        install_hint=extra_hint("gateway"),
        # The main (first) port is the /metrics the local Prometheus scrapes.
        ports=("metrics", "http"),
        argv=_argv,
        health=http_ok("/healthz", port_role="http"),
        process_env=lambda ctx: {_env.HEXR_METRICS_PORT: str(ctx.ports["metrics"])},
        prepare=_prepare,
        publish=lambda ctx: {_env.HEXR_GATEWAY_URL: _url(ctx)},
        address=_url,
        metrics_path="/metrics",
        depends_on=("identity", "openbao", "valkey"),
        order=45,
    )
