"""What a platform component is: a declarative spec and the context it starts in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["ComponentContext", "ComponentSpec", "HealthCheck"]

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
    """One platform component, declared once in the registry.

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
        metrics_path: Path of a Prometheus ``/metrics`` endpoint on the main port, which
            the local Prometheus then scrapes (None: not scraped).
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
