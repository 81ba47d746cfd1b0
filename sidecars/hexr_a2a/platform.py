"""The A2A sidecar as a component of the local platform.

A sidecar belongs to one agent, so ``hexr dev run --a2a module:function`` starts one
next to the agent it runs (`start_sidecar`). `a2a_spec` describes the same sidecar as a
``hexr dev up`` component for one agent named by ``HEXR_A2A_AGENT`` (``module:function``),
``HEXR_A2A_TENANT`` and ``HEXR_A2A_NAME``; it is not registered under ``hexr.components``
(an unconfigured per-agent component would be listed by every ``hexr dev up``).
Either way the sidecar runs as the agent's own ``a2a`` workload,
``spiffe://{td}/agent/{tenant}/{agent}/a2a``, through the identity launcher.
"""

from __future__ import annotations

import os
import sys

from hexr import env as _env
from hexr_platform.component import ComponentContext, ComponentSpec, tcp_ok, workload_argv

__all__ = ["a2a_spec", "sidecar_argv", "sidecar_spiffe_id"]

ROLE = "a2a"


def _trust_domain() -> str:
    return os.environ.get(_env.HEXR_TRUST_DOMAIN) or "hexr.local"


def sidecar_spiffe_id(tenant: str, agent: str, trust_domain: str | None = None) -> str:
    """The sidecar's SPIFFE ID: role ``a2a`` of the agent it serves."""
    return f"spiffe://{trust_domain or _trust_domain()}/agent/{tenant}/{agent}/{ROLE}"


def sidecar_argv(function: str, *, host: str = "127.0.0.1", port: int = 0) -> list[str]:
    """The sidecar's own command line (to wrap with the identity launcher)."""
    return [
        sys.executable,
        "-m",
        "hexr_a2a",
        "--agent",
        function,
        "--host",
        host,
        "--port",
        str(port),
    ]


def _configured() -> tuple[str, str, str] | None:
    function = os.environ.get(_env.HEXR_A2A_AGENT)
    tenant = os.environ.get(_env.HEXR_A2A_TENANT)
    agent = os.environ.get(_env.HEXR_A2A_NAME)
    return (function, tenant, agent) if function and tenant and agent else None


def _argv(ctx: ComponentContext, exe: str) -> list[str]:
    # Unconfigured, locate() returns None and this never runs; the placeholder keeps the
    # spec inspectable (status, checks) without HEXR_A2A_* set.
    function, tenant, agent = _configured() or ("unset:unset", "unset", "unset")
    return workload_argv(
        ctx,
        sidecar_spiffe_id(tenant, agent),
        sidecar_argv(function, host=ctx.host, port=ctx.ports["https"]),
    )


def _env_of(ctx: ComponentContext) -> dict[str, str]:
    valkey = ctx.peers.get("valkey")
    env = {_env.HEXR_METRICS_PORT: str(ctx.ports["metrics"])}
    if valkey is not None:
        env[_env.HEXR_VALKEY_URL] = f"redis://{valkey.host}:{valkey.port}/0"
    return env


def a2a_spec() -> ComponentSpec:
    """The A2A sidecar of the agent named by ``HEXR_A2A_*`` (mTLS; Valkey task store)."""
    return ComponentSpec(
        name="a2a",
        locate=lambda: sys.executable if _configured() else None,
        ports=("metrics", "https"),
        argv=_argv,
        health=tcp_ok("https"),
        process_env=_env_of,
        address=lambda ctx: f"https://{ctx.host}:{ctx.ports['https']}",
        metrics_path="/metrics",
        depends_on=("identity", "valkey"),
        optional=True,
        install_hint="set HEXR_A2A_AGENT=module:function, HEXR_A2A_TENANT, HEXR_A2A_NAME",
        order=60,
    )


def start_sidecar(
    function: str,
    spiffe_id: str,
    *,
    registration_socket: str,
    workload_socket: str,
    env: dict[str, str],
    timeout_s: float = 30.0,
) -> str:
    """Start the sidecar of the agent about to run (``hexr dev run --a2a``); its URL.

    The sidecar gets ``PR_SET_PDEATHSIG``: ``hexr dev run`` then execs the agent in this
    same process, so the sidecar receives SIGTERM when the agent exits.

    Raises:
        RuntimeError: the sidecar did not print its ready line in time.
    """
    import json
    import selectors
    import signal
    import subprocess

    from hexr_identity.launcher import spawn_workload

    def die_with_parent() -> None:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)

    process = spawn_workload(
        spiffe_id,
        sidecar_argv(function),
        registration_socket=registration_socket,
        workload_socket=workload_socket,
        env=env,
        stdout=subprocess.PIPE,
        preexec_fn=die_with_parent,
    )
    assert process.stdout is not None  # noqa: S101 - stdout=PIPE
    with selectors.DefaultSelector() as selector:
        selector.register(process.stdout, selectors.EVENT_READ)
        line = process.stdout.readline() if selector.select(timeout_s) else b""
    if not line:
        process.kill()
        raise RuntimeError("the A2A sidecar did not start (see its stderr)")
    url: str = json.loads(line)["url"]
    return url
