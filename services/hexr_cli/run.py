"""``hexr dev run``: run any command as a registered workload of the local platform."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from hexr import env as _env
from hexr.endpoints import DEFAULT_TRUST_DOMAIN, default_home, published_env
from hexr.errors import HexrError
from hexr.identity import SpiffeId
from hexr_identity import registration_socket_path
from hexr_identity.launcher import exec_workload

__all__ = ["EXIT_COMMAND_NOT_FOUND", "run"]

EXIT_USAGE = 2
EXIT_COMMAND_NOT_FOUND = 127  # shell convention
# Operator vault tokens an operator's shell may export (the README suggests VAULT_TOKEN for
# OpenBao's CLI): the agent logs in with its JWT-SVID and must not inherit a root token.
_OPERATOR_TOKENS = frozenset({_env.HEXR_VAULT_TOKEN, "VAULT_TOKEN", "BAO_TOKEN"})


def run(
    command: Annotated[list[str], typer.Argument(help="The command, after `--`.")],
    tenant: Annotated[str, typer.Option(help="Tenant of the agent.")],
    agent: Annotated[str, typer.Option(help="Agent name.")],
    role: Annotated[str, typer.Option(help="Process role.")] = "main",
    a2a: Annotated[
        str | None,
        typer.Option(help="module:function of the @serves_a2a agent to serve over A2A."),
    ] = None,
    own_uid: Annotated[
        bool,
        typer.Option(
            "--own-uid",
            help="Run the agent under its own unprivileged uid (needs root): it cannot "
            "reach the registration socket, the secrets or other agents' files.",
        ),
    ] = False,
) -> None:
    """Run COMMAND as agent identity spiffe://TD/agent/TENANT/AGENT/ROLE.

    The launcher registers itself with the identity service and then execs COMMAND, so
    the command keeps the registered pid: it gets its SVIDs from the Workload API with no
    other setup. The platform's endpoints (see hexr dev env) are set for it.
    """
    home = default_home()
    env = {
        name: value
        for name, value in {**os.environ, **published_env(home)}.items()
        if name not in _OPERATOR_TOKENS
    }
    workload = env.get(_env.SPIFFE_ENDPOINT_SOCKET)
    if not workload:
        typer.echo("error: the identity service is not running (start it: hexr dev up)", err=True)
        raise typer.Exit(1)
    trust_domain = env.get(_env.HEXR_TRUST_DOMAIN) or DEFAULT_TRUST_DOMAIN
    try:
        spiffe_id = SpiffeId.for_agent(tenant, agent, role, trust_domain=trust_domain)
    except HexrError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(EXIT_USAGE) from None
    if env.get(_env.HEXR_VAULT_ADDR):
        _enroll_in_vault(tenant, agent, home)
    registration = env.get(_env.HEXR_IDENTITY_REGISTRATION_SOCKET) or str(
        registration_socket_path(home)
    )
    if a2a:
        env[_env.HEXR_A2A_URL] = _start_a2a_sidecar(a2a, tenant, agent, env, registration)
    published_valkey = published_env(home).get(_env.HEXR_VALKEY_URL)
    if published_valkey and env.get(_env.HEXR_VALKEY_URL) == published_valkey:
        # The local platform's Valkey: the agent gets an ACL user of its own.
        env[_env.HEXR_VALKEY_URL] = _agent_valkey_url(
            home, env[_env.HEXR_VALKEY_URL], trust_domain, tenant, agent
        )
    uid = None
    if own_uid:
        if os.geteuid() != 0:
            typer.echo("error: --own-uid needs root (it switches to the agent's uid)", err=True)
            raise typer.Exit(EXIT_USAGE)
        from hexr_cli._agent_uid import agent_uid

        uid = agent_uid(home, tenant, agent)
        env["HOME"] = "/"  # the operator's home is not the agent's
    try:
        exec_workload(
            spiffe_id,
            command,
            registration_socket=registration,
            workload_socket=workload,
            env=env,
            uid=uid,
        )
    except HexrError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    except FileNotFoundError:
        typer.echo(f"error: command not found: {command[0]}", err=True)
        raise typer.Exit(EXIT_COMMAND_NOT_FOUND) from None
    except OSError as exc:
        typer.echo(f"error: cannot run {command[0]}: {exc.strerror or exc}", err=True)
        raise typer.Exit(126) from None


def _start_a2a_sidecar(
    function: str, tenant: str, agent: str, env: dict[str, str], registration: str
) -> str:
    """Start the agent's A2A sidecar (role ``a2a``); it stops when the agent exits."""
    from hexr_a2a.platform import sidecar_spiffe_id, start_sidecar

    trust_domain = env.get(_env.HEXR_TRUST_DOMAIN) or DEFAULT_TRUST_DOMAIN
    try:
        url = start_sidecar(
            function,
            sidecar_spiffe_id(tenant, agent, trust_domain),
            registration_socket=registration,
            workload_socket=env[_env.SPIFFE_ENDPOINT_SOCKET],
            env=env,
        )
    except RuntimeError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"A2A sidecar of {tenant}/{agent} at {url}", err=True)
    return url
def _agent_valkey_url(home: Path, url: str, trust_domain: str, tenant: str, agent: str) -> str:
    """A Valkey URL of the agent's own ACL user (its cached credentials only).

    Best effort like the vault enrollment: without it the agent runs with L2 disabled.
    """
    from hexr_platform.builtin.valkey import grant_agent

    try:
        return grant_agent(home, url, trust_domain, tenant, agent)
    except OSError as exc:
        typer.echo(f"warning: no Valkey user for the agent, L2 cache disabled: {exc}", err=True)
        return url


def _enroll_in_vault(tenant: str, agent: str, home: Path) -> None:
    """Give the agent its vault role and policy, so ``hexr.vault`` works with no token.

    Best effort: an agent that never touches the vault must still run when the local
    OpenBao is unhealthy, so a failure is reported and the launch goes on.
    """
    from hexr_vault import enroll_local_agent

    try:
        enroll_local_agent(tenant, agent, home)
    except HexrError as exc:
        typer.echo(f"warning: vault enrollment failed, hexr.vault will be denied: {exc}", err=True)
