"""``hexr dev up|status|down|env``: the local platform, a thin layer over `hexr_platform`."""

from __future__ import annotations

import json
import shlex
import threading
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.text import Text

from hexr.config import set_dev_observe
from hexr.endpoints import default_home
from hexr.errors import HexrError
from hexr_platform import ComponentState, ComponentStatus, Event, Platform

app = typer.Typer(name="dev", help="Run the local platform.", no_args_is_help=True)

EXIT_UNHEALTHY = 1
EXIT_NOT_RUNNING = 3  # LSB convention for "program is not running"

_PHASES = {
    "starting": "[cyan]starting…",
    "restarting": "[yellow]crashed — restarting…",
    "healthy": "[green]healthy",
    "running": "[green]already running",
    "unhealthy": "[red]running but unhealthy",
    "failed": "[red]failed",
    "not-installed": "[yellow]not installed",
    "background": "[cyan]starting in the background",
}
_DONE = {"healthy", "running", "unhealthy", "failed", "not-installed", "background"}
_STATE_STYLE = {
    ComponentState.HEALTHY: "green",
    ComponentState.STARTING: "cyan",
    ComponentState.UNHEALTHY: "red",
    ComponentState.CRASHED: "bold red",
    ComponentState.STOPPED: "dim",
    ComponentState.NOT_INSTALLED: "yellow",
}

Components = Annotated[
    list[str] | None,
    typer.Option("--component", "-c", help="Only this component (repeatable)."),
]
Observe = Annotated[
    bool,
    typer.Option(
        "--observe/--no-observe",
        help="Local agents export traces and metrics to this platform by default.",
    ),
]


def _console() -> Console:
    return Console(highlight=False)


@app.command()
def up(component: Components = None, observe: Observe = True) -> None:
    """Start the local platform (a no-op when it already runs; restarts crashed parts)."""
    console = _console()
    # Zero-config observability for agents on this machine (HEXR_OBSERVE still wins).
    set_dev_observe(default_home(), observe)
    lock = threading.Lock()
    with Progress(
        SpinnerColumn(finished_text="•"),
        TextColumn("{task.description}"),
        console=console,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def on_event(event: Event) -> None:
            detail = event.detail.splitlines()[0] if event.detail else ""
            text = f"{event.component:<13} {_PHASES.get(event.phase, event.phase)}"
            if detail:
                text += f"  [dim]{escape(detail)}"
            done = event.phase in _DONE
            with lock:
                if event.component not in tasks:
                    tasks[event.component] = progress.add_task(text, total=1)
                progress.update(tasks[event.component], description=text, completed=done)

        try:
            result = Platform(on_event=on_event).up(component)
        except HexrError as exc:
            progress.stop()
            console.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_UNHEALTHY) from None

    home = default_home()
    if result.noop:
        console.print(
            f"Hexr platform already running ({len(result.already_running)} components) "
            f"— nothing to do. [dim]HEXR_HOME={home}"
        )
        return
    if result.restarted:
        console.print(f"[yellow]Restarted crashed:[/] {', '.join(result.restarted)}")
    for name, hint in result.not_installed.items():
        console.print(f"[yellow]{name} not installed[/] — {escape(hint)}")
    for name, message in result.failed.items():
        console.print(f"[red]{name} failed:[/] {escape(message)}")
    for name in result.unhealthy:
        console.print(f"[red]{name} runs but fails its health check[/] (see hexr dev status)")
    if result.failed or result.unhealthy:
        console.print("Run [bold]hexr dev down[/] to stop what did start.")
        raise typer.Exit(EXIT_UNHEALTHY)
    console.print(
        f"[green]Hexr platform up[/] in {result.elapsed_s:.2f} s. [dim]HEXR_HOME={home}[/]\n"
        "Agents discover it automatically; `hexr dev env` prints the endpoints."
    )


def _render(statuses: list[ComponentStatus], home: Path, width: int) -> list[Text]:
    """The status table as lines of at most ``width`` columns where the names allow.

    Addresses are what users copy, so none is ever cut or folded: paths under the state
    directory are written from ``$HEXR_HOME``, and an address that does not fit at the end
    of its row goes on the next line, indented.
    """
    prefix = str(home).rstrip("/") + "/"
    rows = [
        (
            st.name,
            st.state.value,
            str(st.pid or ""),
            "" if st.uptime_s is None else _duration(st.uptime_s),
            st.address.replace(prefix, "$HEXR_HOME/"),
            _STATE_STYLE[st.state],
        )
        for st in statuses
    ]
    header = ("component", "state", "pid", "uptime")
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header)]
    lines = [Text(_cells(header, widths) + "  address", style="bold")]
    for *cells, address, style in rows:
        base = _cells(tuple(cells), widths)
        if not address:
            text = base.rstrip()
        elif len(base) + 2 + len(address) <= width:
            text = f"{base}  {address}"
        else:
            text = f"{base.rstrip()}\n    {address}"
        line = Text(text)
        line.stylize(style, widths[0] + 2, widths[0] + 2 + len(cells[1]))
        lines.append(line)
    return lines


def _cells(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(w) for cell, w in zip(cells, widths, strict=True))


def _notes(statuses: list[ComponentStatus]) -> list[str]:
    """Install hints of components that are not installed, one line each."""
    return [
        f"[yellow]{st.name}[/] not installed: {escape(st.hint)}"
        for st in statuses
        if st.state is ComponentState.NOT_INSTALLED and st.hint
    ]


def _as_json(statuses: list[ComponentStatus]) -> str:
    rows = [
        {
            "component": st.name,
            "state": st.state.value,
            "pid": st.pid,
            "address": st.address,
            "uptime_s": st.uptime_s,
            "hint": st.hint or None,
        }
        for st in statuses
    ]
    return json.dumps(rows, indent=2)


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


AsJson = Annotated[bool, typer.Option("--json", help="Print JSON, for scripts.")]


@app.command()
def status(as_json: AsJson = False) -> None:
    """Show each component's state, pid, uptime and address (exit 1 if any is down)."""
    console = _console()
    try:
        statuses = Platform().status()
    except HexrError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_UNHEALTHY) from None
    broken = any(st.state in (ComponentState.CRASHED, ComponentState.UNHEALTHY) for st in statuses)
    running = any(st.state is ComponentState.HEALTHY for st in statuses)
    if as_json:
        typer.echo(_as_json(statuses))
    else:
        _print_status(console, statuses, broken=broken, running=running)
    if broken:
        raise typer.Exit(EXIT_UNHEALTHY)
    if not running:
        raise typer.Exit(EXIT_NOT_RUNNING)


def _print_status(
    console: Console, statuses: list[ComponentStatus], *, broken: bool, running: bool
) -> None:
    for row in _render(statuses, default_home(), console.width):
        console.print(row, soft_wrap=True)
    for note in _notes(statuses):
        console.print(note, soft_wrap=True)
    for st in statuses:
        if st.state is ComponentState.CRASHED:
            console.print(f"\n[bold red]{st.name} crashed[/] — last lines of {st.log_path}:")
            for line in st.log_tail:
                console.print(f"  {escape(line)}", soft_wrap=True)
    if broken:
        console.print("\nRun [bold]hexr dev up[/] to restart crashed components.")
    elif not running:
        console.print("Hexr platform is not running; start it with [bold]hexr dev up[/].")
    console.print(f"[dim]HEXR_HOME={escape(str(default_home()))}", soft_wrap=True)


@app.command()
def watch(
    interval: Annotated[
        float, typer.Option(min=0.2, max=300.0, help="Seconds between checks.")
    ] = 2.0,
) -> None:
    """Supervise the running platform: report and restart crashed components until Ctrl-C."""
    console = _console()
    try:
        platform = Platform()
    except HexrError as exc:  # e.g. a malformed HEXR_DEV_PORTS
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_UNHEALTHY) from None
    console.print(f"Watching the Hexr platform every {interval:g} s (Ctrl-C to stop watching).")
    try:
        while True:
            try:
                healed = platform.heal()
            except HexrError as exc:
                console.print(f"[red]error:[/] {escape(str(exc))}")
                healed = None
            if healed is not None:
                for name in healed.restarted:
                    console.print(f"[yellow]{name} had crashed — restarted")
                for name, message in healed.failed.items():
                    console.print(f"[red]{name} could not be restarted:[/] {escape(message)}")
            time.sleep(interval)
    except KeyboardInterrupt:
        console.print("Stopped watching; the platform keeps running.")


@app.command()
def down() -> None:
    """Stop every component and remove the run files (idempotent)."""
    console = _console()
    try:
        stopped = Platform().down()
    except HexrError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_UNHEALTHY) from None
    if stopped:
        console.print(f"Stopped: {', '.join(stopped)}")
    else:
        console.print("Hexr platform was not running.")


@app.command()
def env(as_json: AsJson = False) -> None:
    """Print the running platform's endpoints as shell 'export' lines."""
    from hexr.endpoints import published_env

    values = published_env()
    if not values:
        typer.echo("# Hexr platform is not running (hexr dev up)", err=True)
        raise typer.Exit(EXIT_NOT_RUNNING)
    if as_json:
        typer.echo(json.dumps(dict(sorted(values.items())), indent=2))
        return
    for name, value in sorted(values.items()):
        typer.echo(f"export {name}={shlex.quote(value)}")
