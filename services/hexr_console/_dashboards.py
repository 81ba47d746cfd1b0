"""The Grafana dashboards' panels, read from their generated JSON, as queries to run.

The console renders the same panels as Grafana from the same PromQL, so a user with no
Grafana sees them; only these queries ever reach Prometheus (callers cannot send PromQL).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["Dashboard", "Panel", "Target", "expand", "legend", "load_dashboards"]

_MAX_FILE_BYTES = 2 * 1024 * 1024
# Grafana's variable forms: $name, ${name}, ${name:format}, [[name]].
_VARIABLE = re.compile(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]")
_LEGEND = re.compile(r"\{\{\s*(\w+)\s*\}\}")
INSTANT_TYPES = frozenset({"stat", "gauge", "bargauge", "table", "piechart"})


@dataclass(frozen=True, slots=True)
class Target:
    """One query of a panel."""

    ref_id: str
    expr: str
    legend: str


@dataclass(frozen=True, slots=True)
class Panel:
    """One panel: what it shows and the queries behind it."""

    id: int
    title: str
    type: str
    unit: str
    description: str
    targets: tuple[Target, ...]

    @property
    def instant(self) -> bool:
        """Whether the panel shows current values (stat, gauge, table) rather than a graph."""
        return self.type in INSTANT_TYPES


@dataclass(frozen=True, slots=True)
class Dashboard:
    """One dashboard: uid, title and its query panels in layout order."""

    uid: str
    title: str
    panels: tuple[Panel, ...]

    def panel(self, panel_id: int) -> Panel | None:
        """The panel with ``panel_id``, or None."""
        return next((p for p in self.panels if p.id == panel_id), None)


def _walk(panels: list[Any]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        if not isinstance(panel, dict):
            continue
        if panel.get("type") == "row":
            yield from _walk(panel.get("panels") or [])
        else:
            yield panel


def _panel(position: int, raw: dict[str, Any]) -> Panel | None:
    targets = tuple(
        Target(str(t.get("refId", "")), str(t["expr"]), str(t.get("legendFormat") or ""))
        for t in raw.get("targets") or []
        if isinstance(t, dict) and t.get("expr")
    )
    if not targets:
        return None
    # Grafana numbers panels on import when the JSON has no ids: do the same, in order.
    panel_id = raw["id"] if isinstance(raw.get("id"), int) else position
    defaults = (raw.get("fieldConfig") or {}).get("defaults") or {}
    return Panel(
        id=panel_id,
        title=str(raw.get("title", "")),
        type=str(raw.get("type", "timeseries")),
        unit=str(defaults.get("unit") or ""),
        description=str(raw.get("description") or ""),
        targets=targets,
    )


def load_dashboards(directory: Path) -> dict[str, Dashboard]:
    """Every ``*.json`` Grafana dashboard in ``directory``, by uid (bad files are skipped)."""
    found: dict[str, Dashboard] = {}
    for path in sorted(directory.rglob("*.json")) if directory.is_dir() else []:
        try:
            if path.stat().st_size > _MAX_FILE_BYTES:
                continue
            document = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(document, dict) or not document.get("uid"):
            continue
        raw_panels = enumerate(_walk(document.get("panels") or []), start=1)
        panels = tuple(p for p in (_panel(i, raw) for i, raw in raw_panels) if p)
        uid = str(document["uid"])
        found[uid] = Dashboard(uid, str(document.get("title", uid)), panels)
    return found


def expand(expr: str, variables: Mapping[str, str]) -> str:
    """``expr`` with Grafana variables replaced; unknown variables match everything."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        return variables.get(name, ".*")

    return _VARIABLE.sub(value, expr)


def legend(template: str, labels: Mapping[str, str]) -> str:
    """A series name from a Grafana ``legendFormat`` (``{{tenant}}``) or its labels."""
    if template:
        return _LEGEND.sub(lambda m: labels.get(m.group(1), ""), template)
    shown = {k: v for k, v in labels.items() if k != "__name__"}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items())) or "value"
