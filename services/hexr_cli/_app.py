"""Assembles the ``hexr`` typer application from its command groups."""

from __future__ import annotations

import typer

from hexr import __version__
from hexr_cli import deploy, dev, gateway, traces, vault
from hexr_cli.console import console
from hexr_cli.demo import demo
from hexr_cli.run import run as dev_run

app = typer.Typer(
    name="hexr",
    help="Hexr: zero-trust runtime for AI agents.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.callback()
def _root() -> None:
    """Hexr: zero-trust runtime for AI agents."""


# `run` lives in its own module (it execs into the workload); it belongs to `hexr dev`.
dev.app.command(name="run")(dev_run)
app.add_typer(dev.app, name="dev")
app.add_typer(vault.app, name="vault")
app.add_typer(gateway.app, name="gateway")
app.add_typer(traces.app, name="traces")
deploy.register(app)
app.command(name="console")(console)
app.command(name="demo")(demo)


@app.command()
def version() -> None:
    """Print the Hexr version."""
    typer.echo(__version__)


def main() -> None:
    """Console-script entry point."""
    app()
