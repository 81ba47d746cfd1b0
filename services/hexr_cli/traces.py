"""``hexr traces``: list recent traces of the local trace store and show one as a tree.

The store is the platform's Phoenix (``HEXR_TRACES_URL``, published by ``hexr dev up``);
``hexr traces install`` creates its private environment once.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from hexr import env as _env
from hexr.endpoints import resolve_endpoint

app = typer.Typer(
    name="traces",
    help="Recent traces from the local trace store (Phoenix).",
    invoke_without_command=True,
)

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$")
_MAX_LIMIT = 500
# Shown next to each span in the tree: bounded identity and GenAI keys, never content.
_KEY_ATTRIBUTES = (
    "tenant", "agent_name", "hexr.spiffe_id", "status", "service", "region", "tier",
    "hit", "cache_tier", "provider", "path", "tool_name", "target_agent",
    "gen_ai.request.model", "gen_ai.usage.input_tokens", "gen_ai.usage.output_tokens",
    "hexr.llm.cost_usd", "error.type",
)

Url = Annotated[
    str | None, typer.Option("--url", help=f"Trace store URL (default ${_env.HEXR_TRACES_URL}).")
]
AsJson = Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")]


def parse_duration(text: str) -> float:
    """Seconds in ``text`` such as ``250ms``, ``30s``, ``15m``, ``2h``, ``1d``.

    Raises:
        typer.BadParameter: not a number with one of those units.
    """
    match = _DURATION.match(text)
    if match is None:
        raise typer.BadParameter(f"{text!r}: expected a number and a unit (ms, s, m, h, d)")
    return float(match.group(1)) * _UNITS[match.group(2)]


def _client(url: str | None) -> Any:
    from hexr_traces import PhoenixClient

    base = url or resolve_endpoint(_env.HEXR_TRACES_URL)
    if not base:
        typer.echo(
            f"error: no trace store: set {_env.HEXR_TRACES_URL} or run `hexr dev up`"
            " (after `hexr traces install`)", err=True,
        )
        raise typer.Exit(1)
    return PhoenixClient(base)


def _fail(exc: Exception) -> typer.Exit:
    typer.echo(f"error: {exc}", err=True)
    return typer.Exit(1)


@app.callback()
def list_traces(
    ctx: typer.Context,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    agent: Annotated[str | None, typer.Option(help="Only this agent.")] = None,
    status: Annotated[str | None, typer.Option(help="ok or error.")] = None,
    min_duration: Annotated[
        str | None, typer.Option("--min-duration", help="e.g. 250ms, 2s.")
    ] = None,
    since: Annotated[str, typer.Option(help="How far back, e.g. 30s, 15m, 2h.")] = "1h",
    limit: Annotated[int, typer.Option(min=1, max=_MAX_LIMIT, help="At most this many.")] = 20,
    url: Url = None,
    as_json: AsJson = False,
) -> None:
    """List recent traces, newest first (root span, agent, duration, status, spans)."""
    if ctx.invoked_subcommand is not None:
        return
    from hexr_traces import TraceStoreError, group_traces

    if status is not None and status.lower() not in ("ok", "error"):
        raise typer.BadParameter("expected ok or error", param_hint="--status")
    window = parse_duration(since)
    floor_ms = parse_duration(min_duration) * 1000 if min_duration else 0.0
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=window)
    filters = {k: v for k, v in (("tenant", tenant), ("agent_name", agent)) if v}
    try:
        with _client(url) as client:
            roots = client.spans(since=start, roots_only=True, attributes=filters,
                                 max_spans=max(limit * 5, 100))
            ids = list(dict.fromkeys(r.trace_id for r in roots))[: limit * 5]
            spans = client.spans(trace_ids=ids, max_spans=5000) if ids else []
    except TraceStoreError as exc:
        raise _fail(exc) from exc
    traces = [
        t for t in group_traces(spans)
        if t.duration_ms >= floor_ms
        and (status is None or (t.status == "ERROR") == (status.lower() == "error"))
    ][:limit]
    if as_json:
        typer.echo(json.dumps([_summary(t) for t in traces], indent=2))
        return
    table = Table(title=f"Traces since {since} ago ({len(traces)})")
    for column in ("trace id", "started", "root", "tenant", "agent", "duration", "status",
                   "spans"):
        table.add_column(
            column, justify="right" if column in ("duration", "spans") else "left",
            no_wrap=column in ("trace id", "root"),
        )
    for t in traces:
        table.add_row(
            t.trace_id, t.start.astimezone().strftime("%H:%M:%S"), t.root.name,
            t.attribute("tenant"), t.attribute("agent_name"), _ms(t.duration_ms),
            _status(t.status), str(len(t.spans)),
        )
    # Never squeeze the 32-digit ids: at least 150 columns, also when piped.
    Console(highlight=False, width=max(Console().width, 150)).print(table)


def _summary(trace: Any) -> dict[str, Any]:
    return {
        "trace_id": trace.trace_id, "start_time": trace.start.isoformat(),
        "root": trace.root.name, "tenant": trace.attribute("tenant"),
        "agent": trace.attribute("agent_name"), "duration_ms": round(trace.duration_ms, 3),
        "status": trace.status, "spans": len(trace.spans),
    }


def _ms(value: float) -> str:
    return f"{value:.1f} ms" if value < 10_000 else f"{value / 1000:.2f} s"


def _status(status: str) -> Text:
    style = {"ERROR": "bold red", "OK": "green"}.get(status, "dim")
    return Text(status, style=style)


@app.command()
def show(
    trace_id: Annotated[str, typer.Argument(help="Trace id (32 hex digits).")],
    url: Url = None,
    as_json: AsJson = False,
) -> None:
    """Print one trace as a tree: span, duration, status and key attributes."""
    from hexr_traces import Trace, TraceStoreError

    if not re.fullmatch(r"[0-9a-fA-F]{32}", trace_id):
        raise typer.BadParameter("expected 32 hex digits", param_hint="TRACE_ID")
    try:
        with _client(url) as client:
            spans = client.spans(trace_ids=[trace_id.lower()], max_spans=5000)
    except TraceStoreError as exc:
        raise _fail(exc) from exc
    if not spans:
        typer.echo(f"error: trace {trace_id} not found in the trace store", err=True)
        raise typer.Exit(1)
    trace = Trace(trace_id.lower(), tuple(spans))
    children = trace.children()
    if as_json:
        def node(span: Any) -> dict[str, Any]:
            return {**span.to_json(), "children": [node(c) for c in children.get(span.span_id, [])]}

        typer.echo(json.dumps({**_summary(trace), "tree": [node(r) for r in children[None]]},
                              indent=2, default=str))
        return
    tree = Tree(f"trace {trace.trace_id}  {_ms(trace.duration_ms)}  {trace.status}")

    def add(parent: Tree, span: Any) -> None:
        label = Text(span.name, style="bold")
        label.append(f"  {_ms(span.duration_ms)}  ")
        label.append_text(_status(span.status))
        keys = [f"{k}={span.attributes[k]}" for k in _KEY_ATTRIBUTES if k in span.attributes]
        if span.status_message:
            keys.append(f"error={span.status_message[:200]}")
        if keys:
            label.append("  " + " ".join(keys), style="dim")
        branch = parent.add(label)
        for child in children.get(span.span_id, []):
            add(branch, child)

    for root in children[None]:
        add(tree, root)
    Console(highlight=False, width=max(Console().width, 150)).print(tree)


@app.command()
def install() -> None:
    """Create the trace store's private environment (pip install arize-phoenix, ~860 MB)."""
    import subprocess

    from hexr_traces import PHOENIX_VERSION, install_phoenix, venv_dir

    typer.echo(f"installing arize-phoenix=={PHOENIX_VERSION} into {venv_dir()} ...")
    try:
        path = install_phoenix()
    except subprocess.CalledProcessError as exc:
        raise _fail(RuntimeError(f"installation failed (exit {exc.returncode})")) from exc
    typer.echo(f"installed: {path}; `hexr dev up` now starts the trace store")
