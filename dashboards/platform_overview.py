"""The "Platform overview" dashboard: agents, LLM, tools and credentials, vault, gateway,
guard, identity, telemetry pipeline and component health (23 panels)."""

from __future__ import annotations

from grafana_foundation_sdk.builders.dashboard import Dashboard

from dashboards._panels import AGENT, TENANT, PanelSpec, Query, build_dashboard, sel

__all__ = ["PANELS", "UID", "dashboard"]

UID = "hexr-platform-overview"
R = "$__rate_interval"
TA = sel(TENANT, AGENT)


def _p95(metric: str, by: str, matchers: str = TA) -> str:
    return (
        f"histogram_quantile(0.95, sum by (le, {by}) (rate({metric}_bucket{matchers}[{R}])))"
    )


PANELS: tuple[PanelSpec, ...] = (
    # --- agents
    PanelSpec(
        "Agent invocations", (Query(
            f"sum by (tenant, agent_name, status) (rate(hexr_agent_invocations_total{TA}[{R}]))",
            "{{tenant}}/{{agent_name}} {{status}}"),),
        "sdk", unit="reqps", traces=True,
    ),
    PanelSpec(
        "Active agent invocations",
        (Query(f"sum(hexr_agent_active{TA})", "active"),),
        "sdk", kind="stat", width=4,
    ),
    PanelSpec(
        "Agent duration p95", (Query(_p95("hexr_agent_duration_seconds", "agent_name"),
                                     "{{agent_name}}"),),
        "sdk", unit="s", width=12, traces=True,
    ),
    # --- LLM
    PanelSpec(
        "LLM calls by model", (Query(
            f"sum by (gen_ai_request_model) (rate(hexr_llm_calls_total{TA}[{R}]))",
            "{{gen_ai_request_model}}"),),
        "sdk", unit="reqps", traces=True,
    ),
    PanelSpec(
        "LLM p95 latency by model",
        (Query(_p95("hexr_llm_call_duration_seconds", "gen_ai_request_model"),
               "{{gen_ai_request_model}}"),),
        "sdk", unit="s", traces=True,
    ),
    PanelSpec(
        "LLM tokens by model", (
            Query(f"sum by (gen_ai_request_model) (rate(hexr_llm_input_tokens_total{TA}[{R}]))",
                  "{{gen_ai_request_model}} input"),
            Query(f"sum by (gen_ai_request_model) (rate(hexr_llm_output_tokens_total{TA}[{R}]))",
                  "{{gen_ai_request_model}} output"),
        ),
        "sdk", unit="short",
    ),
    PanelSpec(
        "LLM cost by tenant (USD/h)", (Query(
            f"sum by (tenant) (rate(hexr_llm_cost_usd_total{TA}[{R}])) * 3600", "{{tenant}}"),),
        "sdk", unit="currencyUSD",
    ),
    PanelSpec(
        "LLM cost by model (USD/h)", (Query(
            f"sum by (gen_ai_request_model) (rate(hexr_llm_cost_usd_total{TA}[{R}])) * 3600",
            "{{gen_ai_request_model}}"),),
        "sdk", unit="currencyUSD",
    ),
    PanelSpec(
        "Tokens by tenant (last hour)", (Query(
            f"sum by (tenant) (increase(hexr_llm_input_tokens_total{TA}[1h])"
            f" + increase(hexr_llm_output_tokens_total{TA}[1h]))", "{{tenant}}"),),
        "sdk", kind="stat",
    ),
    # --- tools, credentials, cache
    PanelSpec(
        "Tool calls by service", (Query(
            f"sum by (service, status) (rate(hexr_tool_invocations_total{TA}[{R}]))",
            "{{service}} {{status}}"),),
        "sdk", unit="reqps", traces=True,
    ),
    PanelSpec(
        "Credential exchanges and failures", (
            Query(f"sum by (service) (rate(hexr_credential_exchanges_total[{R}]))",
                  "{{service}} exchanged"),
            Query(f"sum by (service) (rate(hexr_credential_failures_total[{R}]))",
                  "{{service}} failed"),
        ),
        "injector", unit="reqps", traces=True,
    ),
    PanelSpec(
        "Credential cache hit ratio by tier", (Query(
            f"sum by (tier) (rate(hexr_cache_hits_total[{R}])) / (sum by (tier)"
            f" (rate(hexr_cache_hits_total[{R}])) + sum by (tier)"
            f" (rate(hexr_cache_misses_total[{R}])))", "{{tier}}"),),
        "sdk", unit="percentunit",
        description="L1 in-process, L2 Valkey (shared), L3 a full exchange at the injector.",
    ),
    # --- vault
    PanelSpec(
        "Vault operations", (Query(
            f"sum by (op, status) (rate(hexr_vault_operations_total{TA}[{R}]))",
            "{{op}} {{status}}"),),
        "sdk", unit="reqps",
    ),
    PanelSpec(
        "Vault latency p95", (Query(_p95("hexr_vault_duration_seconds", "op"), "{{op}}"),),
        "sdk", unit="s",
    ),
    PanelSpec(
        "OpenBao requests", (
            Query(f"sum(rate(vault_core_handle_request_count[{R}]))", "requests"),
            Query('max(vault_core_handle_request{quantile="0.99"}) / 1000', "p99 latency"),
        ),
        "openbao", unit="reqps",
        description="OpenBao's own telemetry (/v1/sys/metrics?format=prometheus).",
    ),
    # --- gateway, guard
    PanelSpec(
        "Gateway calls by tool", (Query(
            f"sum by (tool, status) (rate(hexr_gateway_calls_total{TA}[{R}]))",
            "{{tool}} {{status}}"),),
        "gateway", unit="reqps", traces=True,
    ),
    PanelSpec(
        "Guard scans and blocks", (
            Query(f"sum by (direction) (rate(hexr_guard_scans_total{TA}[{R}]))",
                  "{{direction}} scanned"),
            Query(f"sum by (direction, scanner) (rate(hexr_guard_blocks_total{TA}[{R}]))",
                  "{{direction}} blocked by {{scanner}}"),
        ),
        "guard", unit="reqps", traces=True,
    ),
    # --- errors
    PanelSpec(
        "Errors by kind", (
            Query(f"sum(rate(hexr_llm_call_errors_total{TA}[{R}])) or vector(0)", "LLM"),
            Query(f'sum(rate(hexr_tool_invocations_total{{status="error", {TENANT}, {AGENT}}}'
                  f"[{R}])) or vector(0)", "tools"),
            Query(f"sum(rate(hexr_vault_errors_total{TA}[{R}])) or vector(0)", "vault"),
            Query(f"sum(rate(hexr_credential_failures_total[{R}])) or vector(0)",
                  "credential exchange"),
        ),
        "sdk", unit="reqps", traces=True,
    ),
    # --- identity
    PanelSpec(
        "SVID issuance and rotations", (
            Query(f"sum by (kind) (rate(hexr_identity_svids_issued_total[{R}]))",
                  "{{kind}} issued"),
            Query(f"sum by (kind) (rate(hexr_identity_svid_rotations_total[{R}]))",
                  "{{kind}} rotated"),
        ),
        "identity", unit="ops", width=6,
    ),
    PanelSpec(
        "Earliest SVID expiry", (Query(
            "min(hexr_identity_svid_earliest_expiry_timestamp_seconds) - time()", "in"),),
        "identity", unit="s", kind="stat", width=6,
        description="Alert HexrSVIDExpiryNear fires below 10 minutes (rotation stuck).",
    ),
    # --- telemetry pipeline, health
    PanelSpec(
        "Collector throughput (spans/s)", (
            Query(f"sum by (job) (rate(hexr_telemetry_exported_spans_total[{R}]))",
                  "{{job}} exported"),
            Query(f"sum by (job) (rate(hexr_telemetry_dropped_spans_total[{R}])) or vector(0)",
                  "dropped"),
        ),
        "sdk", unit="ops", width=6,
        description="Spans handed to the collector by each process's exporter (rotel exposes"
        " no metrics of its own).",
    ),
    PanelSpec(
        "mTLS handshakes", (
            Query(f'sum by (job, result) (rate(hexr_tls_handshakes_total{{side="server"}}[{R}]))',
                  "{{job}} {{result}}"),
            Query(_p95("hexr_tls_handshake_duration_seconds", "job", ""), "{{job}} p95"),
        ),
        "injector", unit="ops", width=6,
    ),
    PanelSpec(
        "Component health", (Query("up", "{{job}}"),),
        "platform", kind="stat", width=24,
        description="1 = scraped, 0 = down (alert HexrComponentDown).",
    ),
)


def dashboard() -> Dashboard:
    """The "Platform overview" dashboard builder."""
    return build_dashboard(
        "Hexr / Platform overview", UID, PANELS, "hexr_agent_invocations_total",
        ["hexr", "platform"],
    )
