"""The ``hexr`` command line: one module per command group, each command a thin call."""

from hexr_cli._app import app, main

__all__ = ["app", "main"]
