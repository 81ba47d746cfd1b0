"""``hexr demo``: the platform, two tenants, a three-agent workflow and a summary."""

from __future__ import annotations

import json
import threading
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TaskID, TextColumn
from rich.table import Table
from rich.tree import Tree

from hexr import env as _env
from hexr.errors import HexrError

if TYPE_CHECKING:
    from hexr_demo import DemoResult

EXIT_FAILED = 1


def demo(
    rounds: Annotated[int, typer.Option(min=1, max=1000, help="Workflow runs in acme.")] = 1,
    keep_running: Annotated[
        bool, typer.Option("--keep-running", help="Leave the platform and the agents up.")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the result as JSON (progress on stderr).")
    ] = False,
) -> None:
    """Run the demo: researcher → writer → editor in acme, a globex intruder, a summary."""
    from hexr_demo import DemoOptions, hold_until_interrupted, run_demo

    console = Console(highlight=False, width=max(Console().width, 140), stderr=as_json)
    lock = threading.Lock()
    with Progress(SpinnerColumn(finished_text="•"), TextColumn("{task.description}"),
                  console=console) as progress:
        tasks: dict[str, TaskID] = {}

        def step(name: str, detail: str) -> None:
            done = detail.startswith("done") or detail in {"healthy", "running", "failed",
                                                           "not-installed", "background"}
            text = f"{name:<34} [dim]{escape(detail.removeprefix('done: '))}"
            with lock:
                if name not in tasks:
                    tasks[name] = progress.add_task(text, total=1)
                progress.update(tasks[name], description=text, completed=done)

        def hold(result: DemoResult) -> None:
            progress.stop()
            if not as_json:
                _summary(console, result)
            console.print("[bold]--keep-running:[/] agents and the local AWS stay up; Ctrl-C "
                          "stops them (the platform stays: hexr dev down).")
            hold_until_interrupted(result)

        try:
            result = run_demo(DemoOptions(rounds=rounds, keep_running=keep_running), step,
                              hold=hold)
        except HexrError as exc:
            progress.stop()
            console.print(f"[red]error:[/] {escape(str(exc))}")
            raise typer.Exit(EXIT_FAILED) from None
    if as_json:
        typer.echo(json.dumps(result.to_json(), default=str))
    elif not keep_running:
        _summary(console, result)
    if not result.completed:
        raise typer.Exit(EXIT_FAILED)


def _summary(console: Console, result: DemoResult) -> None:
    from hexr_demo import SpanNode

    console.rule("hexr demo: summary")
    rounds = Table("round", "state", "seconds", "trace id", title="acme workflow")
    for index, item in enumerate(result.rounds, 1):
        style = "green" if item.get("state") == "completed" else "red"
        rounds.add_row(str(index), f"[{style}]{item.get('state')}", str(item.get("seconds", "")),
                       str(item.get("trace_id", "")))
    console.print(rounds)
    for index, item in enumerate(result.rounds, 1):
        if item.get("state") != "completed":
            console.print(f"[red]round {index}:[/] {escape(str(item.get('text', '')))}")
    guard = result.guard
    if guard.get("blocked"):
        console.print(f"[green]guard:[/] the prompt carrying a secret was blocked "
                      f"({guard.get('direction')}, {', '.join(guard.get('scanners', []))})")
    else:
        console.print(f"[red]guard:[/] NOT blocked: {escape(str(guard.get('error')))}")
    attempts = Table("globex tried to", "refused", "by", "how", title="cross-tenant attempts")
    for item in result.attempts:
        mark = "[green]yes" if item.get("refused") else "[red]NO"
        attempts.add_row(item["attempt"], mark, item.get("by", ""), escape(item.get("how", "")))
    console.print(attempts)
    if result.tree:
        tree = Tree(f"trace {result.trace_id} (one workflow run, from the trace store)")

        def add(parent: Tree, node: SpanNode) -> None:
            branch = parent.add(f"[bold]{escape(node.name)}[/]  {node.duration_ms:.1f} ms  "
                                f"{node.status}  [dim]{escape(node.detail)}")
            for child in node.children:
                add(branch, child)

        for root in result.tree:
            add(tree, root)
        console.print(tree)
    else:
        console.print("[yellow]no span tree:[/] the trace store is not installed "
                      "(hexr traces install, then hexr dev down && hexr dev up)")
    if result.metrics:
        metrics = Table("metric (Prometheus, now)", "value", title="key metrics")
        for metric in result.metrics:
            if not metric.values:
                value = "[dim]no data"
            elif list(metric.values) == [""]:
                value = f"{metric.values['']:g}"
            else:
                value = ", ".join(f"{k or '-'}={v:g}" for k, v in sorted(metric.values.items()))
            metrics.add_row(metric.label, value)
        console.print(metrics)
    _next(console, result.endpoints, result.wall_s)


def _next(console: Console, env: dict[str, str], wall_s: float) -> None:
    console.print(f"[bold]demo wall time:[/] {wall_s:.1f} s\n[bold]Where to look next[/]")
    none = "(not running)"
    lines = [
        "hexr traces --tenant acme            recent traces; hexr traces show <trace-id>",
        f"hexr console                         {env.get(_env.HEXR_CONSOLE_URL, none)}"
        " (prints the sign-in token)",
        f"Prometheus                           {env.get(_env.HEXR_PROMETHEUS_URL, none)}",
        "dashboards                           dashboards/ (Grafana JSON), also in the console",
    ]
    for line in lines:
        console.print(f"  {escape(line)}")
