"""The "A2A communication" dashboard: task lifecycle, agent-pair throughput, task store,
SSE, push deliveries and cross-tenant calls (19 panels).

Series names follow the A2A metric contract (sidecar and SDK client)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards._panels import AGENT, TENANT, PanelSpec, Query, build_dashboard, sel

__all__ = ["PANELS", "UID", "dashboard"]

UID = "hexr-a2a-communication"
R = "$__rate_interval"
TA = sel(TENANT, AGENT)


def _quantile(q: float, metric: str, by: str) -> str:
    return f"histogram_quantile({q}, sum by (le, {by}) (rate({metric}_bucket{TA}[{R}])))"


def _rate(metric: str, by: str, matchers: str = TA) -> str:
    return f"sum by ({by}) (rate({metric}{matchers}[{R}]))"


_TERMINAL = 'state=~"completed|failed|canceled|rejected"'

PANELS: tuple[PanelSpec, ...] = (
    # --- task lifecycle
    PanelSpec("Task transitions by state",
              (Query(_rate("hexr_a2a_task_transitions_total", "state"), "{{state}}"),),
              "a2a", unit="ops", width=12, traces=True),
    PanelSpec("Task failure ratio", (Query(
        f'sum by (agent_name) (rate(hexr_a2a_task_transitions_total{{state="failed", {TENANT},'
        f" {AGENT}}}[{R}])) / sum by (agent_name) (rate(hexr_a2a_task_transitions_total"
        f"{{{_TERMINAL}, {TENANT}, {AGENT}}}[{R}]))", "{{agent_name}}"),),
        "a2a", unit="percentunit", width=6),
    PanelSpec("Tasks waiting for input or auth", (Query(
        f'sum by (state) (increase(hexr_a2a_task_transitions_total{{state=~"input_required|'
        f'auth_required", {TENANT}, {AGENT}}}[1h]))', "{{state}}"),),
        "a2a", kind="stat", width=6),
    PanelSpec("Task duration p50 / p95 by final state", (
        Query(_quantile(0.5, "hexr_a2a_task_duration_seconds", "state"), "p50 {{state}}"),
        Query(_quantile(0.95, "hexr_a2a_task_duration_seconds", "state"), "p95 {{state}}"),
    ), "a2a", unit="s", width=12, traces=True),
    PanelSpec("Task errors by transition", (Query(
        _rate("hexr_a2a_task_errors_total", "from_state, to_state"),
        "{{from_state}} → {{to_state}}"),), "a2a", unit="ops", width=12),
    # --- throughput per agent pair
    PanelSpec("Messages per agent pair", (Query(
        _rate("hexr_a2a_messages_total", "source_agent, target_agent", sel(TENANT)),
        "{{source_agent}} → {{target_agent}}"),), "a2a", unit="ops", width=12, traces=True),
    PanelSpec("Client sends by target", (Query(
        _rate("hexr_a2a_sends_total", "agent_name, target_agent"),
        "{{agent_name}} → {{target_agent}}"),), "a2a", unit="ops", width=12),
    PanelSpec("Client send failures by error", (Query(
        _rate("hexr_a2a_send_failures_total", "target_agent, error_type"),
        "{{target_agent}} {{error_type}}"),), "a2a", unit="ops"),
    PanelSpec("Client send latency p95", (Query(
        _quantile(0.95, "hexr_a2a_send_duration_seconds", "target_agent"),
        "{{target_agent}}"),), "a2a", unit="s", traces=True),
    PanelSpec("Bridge executions by status", (Query(
        _rate("hexr_a2a_bridge_executions_total", "source_agent, status"),
        "{{source_agent}} {{status}}"),), "a2a", unit="ops"),
    # --- protocol
    PanelSpec("Requests by method and code", (Query(
        _rate("hexr_a2a_requests_total", "method, code"), "{{method}} {{code}}"),),
        "a2a", unit="reqps", width=12),
    PanelSpec("Request error ratio by method", (Query(
        f'sum by (method) (rate(hexr_a2a_requests_total{{code!="ok", {TENANT}, {AGENT}}}[{R}]))'
        f" / sum by (method) (rate(hexr_a2a_requests_total{TA}[{R}]))", "{{method}}"),),
        "a2a", unit="percentunit", width=12),
    PanelSpec("Open SSE streams", (Query(
        "sum by (agent_name) (hexr_a2a_sse_connections" + TA + ")", "{{agent_name}}"),),
        "a2a", width=8),
    # --- task store
    PanelSpec("Task-store operations", (Query(
        _rate("hexr_a2a_store_operations_total", "op, result"), "{{op}} {{result}}"),),
        "a2a", unit="ops"),
    PanelSpec("Task-store latency p95", (Query(
        _quantile(0.95, "hexr_a2a_store_operation_duration_seconds", "op"), "{{op}}"),),
        "a2a", unit="s"),
    # --- push notifications
    PanelSpec("Push deliveries by result", (Query(
        _rate("hexr_a2a_push_deliveries_total", "result"), "{{result}}"),), "a2a", unit="ops",
        width=12),
    PanelSpec("Push delivery failure ratio", (Query(
        f'sum(rate(hexr_a2a_push_deliveries_total{{result=~"failed|refused", {TENANT},'
        f" {AGENT}}}[{R}])) / sum(rate(hexr_a2a_push_deliveries_total{TA}[{R}]))", "failed"),),
        "a2a", unit="percentunit", width=12),
    # --- cross-tenant
    PanelSpec("Cross-tenant calls by decision", (Query(
        f"sum by (source_tenant, target_tenant, decision) (rate("
        f'hexr_a2a_cross_tenant_calls_total{{source_tenant=~"$tenant"}}[{R}]))',
        "{{source_tenant}} → {{target_tenant}} {{decision}}"),), "a2a", unit="ops", width=12),
    PanelSpec("Cross-tenant calls denied (last hour)", (Query(
        'sum(increase(hexr_a2a_cross_tenant_calls_total{decision="denied",'
        ' source_tenant=~"$tenant"}[1h]))', "denied"),), "a2a", kind="stat", width=12),
)


def dashboard() -> Dashboard:
    """The "A2A communication" dashboard builder."""
    return build_dashboard(
        "Hexr / A2A communication", UID, PANELS, "hexr_a2a_task_transitions_total",
        ["hexr", "a2a"],
    )
