"""``hexr dev up|status|down|env``: the local platform, a thin layer over `hexr_platform`."""

from __future__ import annotations

import shlex
import threading
import time
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table

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
}
_DONE = {"healthy", "running", "unhealthy", "failed", "not-installed"}
_STATE_STYLE = {
    ComponentState.HEALTHY: "green",
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


def _render(statuses: list[ComponentStatus]) -> Table:
    table = Table("component", "state", "pid", box=None)
    # Addresses (unix socket paths) are what users copy: never cut them with an ellipsis.
    table.add_column("address", overflow="fold")
    table.add_column("uptime")
    for st in statuses:
        uptime = "" if st.uptime_s is None else _duration(st.uptime_s)
        state = f"[{_STATE_STYLE[st.state]}]{st.state.value}"
        if st.state is ComponentState.NOT_INSTALLED and st.hint:
            state += f" [dim]({escape(st.hint)})"
        table.add_row(st.name, state, str(st.pid or ""), st.address, uptime)
    return table


def _duration(seconds: float) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


@app.command()
def status() -> None:
    """Show each component's state, pid, address and uptime (exit 1 if any is down)."""
    console = _console()
    try:
        statuses = Platform().status()
    except HexrError as exc:
        console.print(f"[red]error:[/] {escape(str(exc))}")
        raise typer.Exit(EXIT_UNHEALTHY) from None
    console.print(_render(statuses))
    for st in statuses:
        if st.state is ComponentState.CRASHED:
            console.print(f"\n[bold red]{st.name} crashed[/] — last lines of {st.log_path}:")
            for line in st.log_tail:
                console.print(f"  {escape(line)}", soft_wrap=True)
    if any(st.state in (ComponentState.CRASHED, ComponentState.UNHEALTHY) for st in statuses):
        console.print("\nRun [bold]hexr dev up[/] to restart crashed components.")
        raise typer.Exit(EXIT_UNHEALTHY)
    if not any(st.state is ComponentState.HEALTHY for st in statuses):
        console.print("Hexr platform is not running; start it with [bold]hexr dev up[/].")
        raise typer.Exit(EXIT_NOT_RUNNING)


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
def env() -> None:
    """Print the running platform's endpoints as shell ``export`` lines."""
    from hexr.endpoints import published_env

    values = published_env()
    if not values:
        typer.echo("# Hexr platform is not running (hexr dev up)", err=True)
        raise typer.Exit(EXIT_NOT_RUNNING)
    for name, value in sorted(values.items()):
        typer.echo(f"export {name}={shlex.quote(value)}")
