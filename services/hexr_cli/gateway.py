"""``hexr gateway``: the tools an identity may call, and registering OpenAPI specs.

Runs as the calling workload (its JWT-SVID from the Workload API, e.g. under
``hexr dev run``); the gateway's policy decides what it sees and may register.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

from hexr import env as _env
from hexr.errors import HexrError

app = typer.Typer(name="gateway", help="Gateway tools and specs.", no_args_is_help=True)

Url = Annotated[
    str | None, typer.Option("--url", help=f"Gateway URL (default ${_env.HEXR_GATEWAY_URL}).")
]
_MAX_SPEC_BYTES = 16 * 1024 * 1024


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


def _client(url: str | None) -> Any:
    from hexr.gateway import GatewayClient

    return GatewayClient(url)


def _read_spec(source: str) -> str:
    if source.startswith(("http://", "https://")):
        import httpx

        with httpx.stream("GET", source, timeout=10.0, follow_redirects=False) as response:
            response.raise_for_status()
            data = b""
            for chunk in response.iter_bytes():
                data += chunk
                if len(data) > _MAX_SPEC_BYTES:
                    raise HexrError("spec is larger than 16 MiB")
        return data.decode()
    path = Path(source)
    if path.stat().st_size > _MAX_SPEC_BYTES:
        raise HexrError("spec is larger than 16 MiB")
    return path.read_text()


@app.command()
def tools(
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Another tenant's tools (operators only).")
    ] = None,
    url: Url = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """List the tools this identity may call."""
    try:
        with _client(url) as client:
            listed = client.list_tools(tenant)
    except (HexrError, OSError) as exc:
        raise _fail(exc) from None
    if as_json:
        typer.echo(json.dumps([{"name": t.name, "description": t.description,
                                "upstream": t.upstream} for t in listed], indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table("tool", "description")
    for tool in listed:
        table.add_row(tool.name, tool.description.splitlines()[0][:100] if tool.description
                      else "")
    Console().print(table)


@app.command(name="import")
def import_(
    spec: Annotated[str, typer.Argument(help="OpenAPI 3.x file or http(s) URL (JSON/YAML).")],
    name: Annotated[str, typer.Option("--name", help="Upstream name (tool name prefix).")],
    base_url: Annotated[
        str | None, typer.Option("--base-url", help="Upstream URL (default: spec servers).")
    ] = None,
    tenant: Annotated[
        str | None, typer.Option("--tenant", help="Tenant (default: the caller's).")
    ] = None,
    url: Url = None,
) -> None:
    """Register an OpenAPI spec with the gateway."""
    try:
        text = _read_spec(spec)
        with _client(url) as client:
            answer = client.register_spec(name, text, base_url=base_url, tenant=tenant)
    except (HexrError, OSError, ValueError) as exc:
        raise _fail(exc) from None
    typer.echo(f"registered {answer['upstream']} for tenant {answer['tenant']}:"
               f" {len(answer['tools'])} tools")
    for tool in answer["tools"]:
        typer.echo(f"  {tool}")
