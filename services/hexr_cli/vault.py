"""``hexr vault``: operator commands to provision the vault and seed tenants' secrets.

Uses an operator token (``HEXR_VAULT_TOKEN``, ``--token-file``, or the local platform's
OpenBao root token file); agents never do, they log in with their JWT-SVID.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from hexr import env as _env
from hexr.endpoints import DEFAULT_TRUST_DOMAIN, resolve_endpoint
from hexr.errors import HexrError

app = typer.Typer(name="vault", help="Tenant secrets (operator commands).", no_args_is_help=True)

Addr = Annotated[
    str | None, typer.Option("--addr", help=f"Vault URL (default ${_env.HEXR_VAULT_ADDR}).")
]
TokenFile = Annotated[
    Path | None,
    typer.Option("--token-file", help=f"Operator token file (else ${_env.HEXR_VAULT_TOKEN}).")
]
Tenant = Annotated[str, typer.Argument(help="Tenant name.")]

_MAX_INPUT_BYTES = 256 * 1024
# Tenant-relative prefixes the default agent-path policy lets someone read.
_READABLE_PREFIXES = ("shared/", "agents/", "credentials/")


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _operator(addr: str | None, token_file: Path | None) -> Any:
    from hexr_vault import OperatorVault, operator_client, operator_token

    url = addr or resolve_endpoint(_env.HEXR_VAULT_ADDR)
    if not url:
        raise HexrError(f"no vault address: pass --addr or set {_env.HEXR_VAULT_ADDR}")
    return OperatorVault(operator_client(url, operator_token(token_file)))


def _fields(pairs: list[str], json_file: str | None) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if json_file is not None:
        if json_file == "-":
            text = sys.stdin.read(_MAX_INPUT_BYTES + 1)
        else:
            with open(json_file) as fh:
                text = fh.read(_MAX_INPUT_BYTES + 1)
        if len(text) > _MAX_INPUT_BYTES:
            raise HexrError("JSON input is larger than 256 KiB")
        try:
            loaded = json.loads(text)
        except ValueError:
            raise HexrError("--json input is not valid JSON") from None
        if not isinstance(loaded, dict):
            raise HexrError("--json input must be a JSON object")
        fields.update(loaded)
    for position, pair in enumerate(pairs, start=1):
        key, sep, value = pair.partition("=")
        if not sep or not key:
            # Never quote the argument: it may be a value typed without its "key=".
            raise HexrError(f"expected KEY=VALUE fields; field {position} has no key")
        fields[key] = value
    return fields


@app.command()
def put(
    tenant: Tenant,
    path: Annotated[str, typer.Argument(help="Tenant-relative path, e.g. shared/db.")],
    pairs: Annotated[list[str] | None, typer.Argument(help="KEY=VALUE fields.")] = None,
    json_file: Annotated[
        str | None,
        typer.Option("--json", help="Read fields from a JSON object file ('-' for stdin, "
                     "which keeps values out of shell history)."),
    ] = None,
    addr: Addr = None,
    token_file: TokenFile = None,
) -> None:
    """Write a secret of TENANT at PATH (a new version)."""
    try:
        version = _operator(addr, token_file).put(tenant, path, _fields(pairs or [], json_file))
    except (HexrError, OSError) as exc:
        raise _fail(exc) from None
    typer.echo(f"wrote tenants/{tenant}/{path} version {version}")
    if not path.lstrip("/").startswith(_READABLE_PREFIXES):
        typer.echo(
            f"warning: with the default policy no agent reads {path!r}: agents read"
            " shared/... and their own agents/<name>/..., the credential injector reads"
            " credentials/... (more prefixes need rules in the agent-path policy)",
            err=True,
        )


@app.command()
def get(
    tenant: Tenant,
    path: Annotated[str, typer.Argument(help="Tenant-relative path.")],
    reveal: Annotated[bool, typer.Option("--reveal", help="Print the values as JSON.")] = False,
    field: Annotated[
        str | None, typer.Option("--field", help="Print only this field's value.")
    ] = None,
    addr: Addr = None,
    token_file: TokenFile = None,
) -> None:
    """Show a secret of TENANT: field names and version; values only with --reveal/--field."""
    try:
        secret = _operator(addr, token_file).get(tenant, path)
    except (HexrError, OSError) as exc:
        raise _fail(exc) from None
    if field is not None:
        if field not in secret:
            raise _fail(HexrError(f"no field {field!r}; fields: {', '.join(secret.keys())}"))
        typer.echo(str(secret[field]))
    elif reveal:
        typer.echo(json.dumps(secret.reveal(), indent=2, sort_keys=True))
    else:
        typer.echo(f"version {secret.version}; fields: {', '.join(secret.keys())}")


@app.command("list")
def list_(
    tenant: Tenant,
    prefix: Annotated[str, typer.Argument(help="Tenant-relative folder.")] = "",
    addr: Addr = None,
    token_file: TokenFile = None,
) -> None:
    """List names under PREFIX of TENANT (folders end with '/')."""
    try:
        names = _operator(addr, token_file).list(tenant, prefix)
    except (HexrError, OSError) as exc:
        raise _fail(exc) from None
    for name in names:
        typer.echo(name)


@app.command()
def bootstrap(
    jwks_url: Annotated[
        str | None, typer.Option(help=f"Identity JWKS (default ${_env.HEXR_JWKS_URL}).")
    ] = None,
    issuer: Annotated[str | None, typer.Option(help="Default: OIDC discovery.")] = None,
    trust_domain: Annotated[str, typer.Option()] = DEFAULT_TRUST_DOMAIN,
    policy_data: Annotated[
        Path | None, typer.Option(help="JSON data for the agent-path Rego policy.")
    ] = None,
    addr: Addr = None,
    token_file: TokenFile = None,
) -> None:
    """Configure mounts, JWT auth and the injector role (idempotent)."""
    from hexr_vault import operator_token, run_bootstrap

    url = addr or resolve_endpoint(_env.HEXR_VAULT_ADDR)
    jwks = jwks_url or resolve_endpoint(_env.HEXR_JWKS_URL)
    try:
        if not url or not jwks:
            raise HexrError("pass --addr and --jwks-url (or run `hexr dev up`)")
        data = json.loads(policy_data.read_text()) if policy_data else None
        changes = run_bootstrap(url, operator_token(token_file), jwks_url=jwks, issuer=issuer,
                                trust_domain=trust_domain, policy_data=data)
    except (HexrError, OSError, ValueError) as exc:
        raise _fail(exc) from None
    typer.echo("\n".join(changes) if changes else "nothing to change")


@app.command()
def enroll(
    tenant: Tenant,
    agent: Annotated[str, typer.Argument(help="Agent name.")],
    policy_data: Annotated[
        Path | None,
        typer.Option(help="JSON data for the agent-path Rego policy (stored; default: "
                     "the stored data)."),
    ] = None,
    trust_domain: Annotated[str, typer.Option()] = DEFAULT_TRUST_DOMAIN,
    addr: Addr = None,
    token_file: TokenFile = None,
) -> None:
    """Let AGENT of TENANT log in: its ACL policy (from Rego) and JWT role (idempotent)."""
    from hexr_vault import enroll_agent, operator_client, operator_token

    url = addr or resolve_endpoint(_env.HEXR_VAULT_ADDR)
    try:
        if not url:
            raise HexrError(f"no vault address: pass --addr or set {_env.HEXR_VAULT_ADDR}")
        data = json.loads(policy_data.read_text()) if policy_data else None
        client = operator_client(url, operator_token(token_file))
        changes = enroll_agent(client, tenant, agent, trust_domain=trust_domain,
                               policy_data=data)
    except (HexrError, OSError, ValueError) as exc:
        raise _fail(exc) from None
    typer.echo("\n".join(changes) if changes else "nothing to change")
