"""Traces assembled from store spans, and the CLI's duration parsing."""

from __future__ import annotations

import pytest
import typer

from hexr_cli.traces import parse_duration
from hexr_traces import Span, group_traces


def _span(trace: str, span: str, parent: str | None, start: str, end: str,
          status: str = "UNSET", **attrs: str) -> Span:
    return Span.from_api({
        "context": {"trace_id": trace, "span_id": span}, "parent_id": parent, "name": span,
        "start_time": f"2026-01-01T00:00:{start}+00:00",
        "end_time": f"2026-01-01T00:00:{end}+00:00", "status_code": status,
        "attributes": attrs,
    })


def test_group_traces_builds_trees_newest_first() -> None:
    spans = [
        _span("t1", "root", None, "01.000", "02.000", tenant="acme", agent_name="a"),
        _span("t1", "child", "root", "01.100", "01.500"),
        # the injector's span: parent in this trace, another process
        _span("t1", "exchange", "child", "01.200", "01.300", status="ERROR"),
        # parent never arrived (dropped): shown as a second root, not lost
        _span("t1", "orphan", "missing", "01.600", "02.500"),
        _span("t2", "later", None, "05.000", "05.010"),
    ]
    traces = group_traces(spans)
    assert [t.trace_id for t in traces] == ["t2", "t1"]
    t1 = traces[1]
    assert t1.root.name == "root"
    assert [s.name for s in t1.roots] == ["root", "orphan"]
    assert t1.duration_ms == pytest.approx(1500)
    assert t1.status == "ERROR"
    assert traces[0].status == "UNSET"
    assert t1.attribute("agent_name") == "a"
    tree = t1.children()
    assert [s.name for s in tree[None]] == ["root", "orphan"]
    assert [s.name for s in tree["child"]] == ["exchange"]


@pytest.mark.parametrize(("text", "seconds"),
                         [("250ms", 0.25), ("30s", 30), ("15m", 900), ("2h", 7200), ("1d", 86400),
                          ("1.5s", 1.5)])
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "5", "soon", "-1s", "1w"])
def test_parse_duration_rejects(text: str) -> None:
    with pytest.raises(typer.BadParameter):
        parse_duration(text)
