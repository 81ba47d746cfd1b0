"""``hexr console``: where the management console is and the token that signs you in."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from hexr import env as _env
from hexr.endpoints import default_home, published_env


def console(
    as_json: Annotated[bool, typer.Option("--json", help="Print URL and token as JSON.")] = False,
) -> None:
    """Print the console's URL and admin token (start it with `hexr dev up`)."""
    from hexr_console import load_or_create_token

    home = default_home()
    url = published_env(home).get(_env.HEXR_CONSOLE_URL)
    if not url:
        typer.echo("The console is not running; start it with: hexr dev up", err=True)
        raise typer.Exit(3)
    token = load_or_create_token(home)
    if as_json:
        typer.echo(json.dumps({"url": url, "token": token}))
        return
    typer.echo(f"Hexr console: {url}")
    typer.echo(f"Admin token:  {token}")
    typer.echo("Sign in with the token; scripts send it as 'Authorization: Bearer <token>'.")
