"""Assembles the ``hexr`` typer application from its command groups."""

from __future__ import annotations

import typer

from hexr._version import __version__
from hexr_cli import dev

app = typer.Typer(
    name="hexr",
    help="Hexr: zero-trust runtime for AI agents.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Hexr: zero-trust runtime for AI agents."""


app.add_typer(dev.app, name="dev")


@app.command()
def version() -> None:
    """Print the Hexr version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
