"""Panel specifications and the builders turning them into Grafana dashboards."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from grafana_foundation_sdk.builders import dashboard as db
from grafana_foundation_sdk.builders import prometheus, stat, timeseries
from grafana_foundation_sdk.builders.common import VizLegendOptions
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.models import common
from grafana_foundation_sdk.models.dashboard import (
    DashboardLinkType,
    DataSourceRef,
    VariableHide,
    VariableOption,
    VariableRefresh,
)

__all__ = [
    "AGENT",
    "DATASOURCE",
    "PENDING_COMPONENTS",
    "TENANT",
    "TRACE_STORE_DEFAULT",
    "PanelSpec",
    "Query",
    "build_dashboard",
    "sel",
]

TENANT = 'tenant=~"$tenant"'
AGENT = 'agent_name=~"$agent"'
DATASOURCE = DataSourceRef(type_val="prometheus", uid="${datasource}")
TRACE_STORE_DEFAULT = "http://127.0.0.1:6006"
"""Phoenix' UI on the local platform (``hexr dev up``); set the ``trace_store`` variable."""

PENDING_COMPONENTS = frozenset({"a2a", "gateway", "guard"})
"""Components whose series are specified (coordination contract) but not yet emitted here."""


def sel(*matchers: str) -> str:
    """A label selector ``{a, b}`` from matchers (``TENANT``, ``AGENT``, ``'x="y"'``)."""
    return "{" + ", ".join(matchers) + "}"


@dataclass(frozen=True)
class Query:
    """One PromQL target of a panel."""

    expr: str
    legend: str = ""


@dataclass(frozen=True)
class PanelSpec:
    """A panel: title, queries, how to draw them and which component emits the series."""

    title: str
    queries: tuple[Query, ...]
    component: str
    unit: str = "short"
    kind: Literal["timeseries", "stat"] = "timeseries"
    description: str = ""
    width: int = 8
    traces: bool = False
    """Link the panel to the trace store (spans of the selected tenant/agent)."""
    extra: dict[str, str] = field(default_factory=dict)


def _targets(spec: PanelSpec) -> list[cogbuilder.Builder[object]]:
    targets: list[cogbuilder.Builder[object]] = []
    for index, query in enumerate(spec.queries):
        target = (
            prometheus.Dataquery()
            .expr(query.expr)
            .ref_id(chr(ord("A") + index))
            .datasource(DATASOURCE)
        )
        if query.legend:
            target = target.legend_format(query.legend)
        targets.append(target)
    return targets


def _trace_link() -> db.DashboardLink:
    return (
        db.DashboardLink("Traces in the trace store")
        .type(DashboardLinkType.LINK)
        .url("${trace_store}/projects")
        .tooltip("Spans of this tenant/agent; CLI: hexr traces --tenant T --agent A")
        .target_blank(True)
    )


def _panel(spec: PanelSpec) -> cogbuilder.Builder[object]:
    builder: timeseries.Panel | stat.Panel
    if spec.kind == "stat":
        builder = stat.Panel().graph_mode(common.BigValueGraphMode.AREA)
    else:
        builder = timeseries.Panel().legend(
            VizLegendOptions()
            .display_mode(common.LegendDisplayMode.TABLE)
            .placement(common.LegendPlacement.BOTTOM)
            .show_legend(True)
        )
    builder = (
        builder.title(spec.title)
        .datasource(DATASOURCE)
        .unit(spec.unit)
        .height(8)
        .span(spec.width)
    )
    if spec.description:
        builder = builder.description(spec.description)
    for target in _targets(spec):
        builder = builder.with_target(target)  # type: ignore[arg-type]
    if spec.traces:
        builder = builder.links([_trace_link()])
    return builder


def _variables(label_metric: str) -> list[cogbuilder.Builder[object]]:
    everything = VariableOption(selected=True, text="All", value="$__all")
    datasource = (
        db.DatasourceVariable("datasource").label("Prometheus").type("prometheus")
    )
    tenant = (
        db.QueryVariable("tenant")
        .label("Tenant")
        .datasource(DATASOURCE)
        .query(f"label_values({label_metric}, tenant)")
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(everything)
    )
    agent = (
        db.QueryVariable("agent")
        .label("Agent")
        .datasource(DATASOURCE)
        .query(f'label_values({label_metric}{{tenant=~"$tenant"}}, agent_name)')
        .refresh(VariableRefresh.ON_TIME_RANGE_CHANGED)
        .multi(True)
        .include_all(True)
        .all_value(".*")
        .current(everything)
    )
    trace_store = (
        db.TextBoxVariable("trace_store")
        .label("Trace store URL")
        .default_value(TRACE_STORE_DEFAULT)
        .hide(VariableHide.HIDE_VARIABLE)
    )
    return [datasource, tenant, agent, trace_store]


def build_dashboard(
    title: str, uid: str, panels: Sequence[PanelSpec], label_metric: str, tags: Sequence[str]
) -> db.Dashboard:
    """The dashboard ``title`` with ``panels``, tenant/agent variables from ``label_metric``."""
    builder = (
        db.Dashboard(title)
        .uid(uid)
        .tags(list(tags))
        .editable()
        .refresh("30s")
        .time("now-1h", "now")
        .timezone("browser")
        .link(
            db.DashboardLink("Trace store")
            .type(DashboardLinkType.LINK)
            .url("${trace_store}")
            .target_blank(True)
            .icon("external link")
        )
        .link(
            db.DashboardLink("Hexr dashboards")
            .type(DashboardLinkType.DASHBOARDS)
            .tags(["hexr"])
            .as_dropdown(True)
            .include_vars(True)
            .keep_time(True)
        )
    )
    for variable in _variables(label_metric):
        builder = builder.with_variable(variable)  # type: ignore[arg-type]
    for spec in panels:
        builder = builder.with_panel(_panel(spec))  # type: ignore[arg-type]
    return builder
