"""The CLI reads well: no reST markup in help, a status table for 80 columns, JSON output."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer
from rich.console import Console
from typer.testing import CliRunner

from hexr_cli._app import app
from hexr_cli.dev import _notes, _render
from hexr_platform import ComponentState, ComponentStatus


def _commands(group: Any, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    found = [prefix]
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            found += _commands(command, (*prefix, name))
        else:
            found.append((*prefix, name))
    return found


def test_no_help_text_shows_literal_double_backticks() -> None:
    root = typer.main.get_command(app)
    commands = _commands(root)
    assert ("dev", "run") in commands
    runner = CliRunner()
    for command in commands:
        result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "100"})
        assert result.exit_code == 0, command
        assert "``" not in result.output, command


def test_status_fits_80_columns_and_never_breaks_an_address(tmp_path: Path) -> None:
    home = tmp_path / "a-rather-long-state-directory-name" / "hexr"
    statuses = [
        ComponentStatus("identity", ComponentState.HEALTHY, 4242,
                        f"unix://{home}/run/identity/workload-api.sock", 3725.0),
        ComponentStatus("injector", ComponentState.HEALTHY, 4243,
                        "https://127.0.0.1:39999", 61.0),
        ComponentStatus("prometheus", ComponentState.NOT_INSTALLED,
                        hint="apt-get install prometheus (Debian/Ubuntu)"),
    ]
    console = Console(width=80, record=True, color_system=None)
    for line in _render(statuses, home, 80):
        console.print(line, soft_wrap=True)
    for note in _notes(statuses):
        console.print(note, soft_wrap=True)
    lines = console.export_text().splitlines()
    assert all(len(line) <= 80 for line in lines)
    assert "    unix://$HEXR_HOME/run/identity/workload-api.sock" in lines  # its own line
    assert any("https://127.0.0.1:39999" in line for line in lines)
    row = next(line for line in lines if line.startswith("prometheus "))
    assert row.split()[1:3] == ["not", "installed"]
    assert "apt-get" not in row  # the hint is a note under the table
    assert "prometheus not installed: apt-get install prometheus (Debian/Ubuntu)" in lines


@pytest.mark.parametrize("command", [["dev", "status", "--json"], ["dev", "env", "--json"]])
def test_json_for_scripts(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HEXR_HOME", str(tmp_path))
    (tmp_path / "run").mkdir()
    published = {"HEXR_VALKEY_URL": "valkey://127.0.0.1:6379"}
    (tmp_path / "run" / "platform.json").write_text(json.dumps({"env": published}))
    result = CliRunner().invoke(app, command)
    document = json.loads(result.output)
    if command[1] == "env":
        assert result.exit_code == 0
        assert document == published
    else:
        assert result.exit_code == 3  # nothing runs
        assert {row["component"] for row in document} >= {"identity", "valkey", "injector"}
        states = {row["component"]: row["state"] for row in document}
        # Optional components whose binary or extra is missing are "not installed".
        assert set(states.values()) <= {"stopped", "not installed"}
        assert states["identity"] == states["valkey"] == states["injector"] == "stopped"
