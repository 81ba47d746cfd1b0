"""What each console view asks Prometheus: fixed queries, no caller-supplied PromQL.

Who is the tenant and agent of a series: SDK processes label their series ``tenant`` and
``agent_name``; pushed groups also carry ``tenant``/``agent`` (the Pushgateway grouping key).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CREDENTIAL_QUERIES", "DENIAL_QUERIES", "USAGE_QUERIES", "Query"]


@dataclass(frozen=True, slots=True)
class Query:
    """A named PromQL expression the console evaluates as an instant vector."""

    name: str
    expr: str


# Per tenant and agent: what the LLM calls cost and used.
USAGE_QUERIES = (
    Query("cost_usd", "sum by (tenant, agent_name) (hexr_llm_cost_usd_total)"),
    Query("input_tokens", "sum by (tenant, agent_name) (hexr_llm_input_tokens_total)"),
    Query("output_tokens", "sum by (tenant, agent_name) (hexr_llm_output_tokens_total)"),
    Query("llm_calls", "sum by (tenant, agent_name) (hexr_llm_calls_total)"),
    Query("invocations", "sum by (tenant, agent_name) (hexr_agent_invocations_total)"),
)

# Credential lookups by cache tier, and the injector's exchanges by outcome.
CREDENTIAL_QUERIES = (
    Query("hits", "sum by (tier) (hexr_cache_hits_total)"),
    Query("misses", "sum by (tier) (hexr_cache_misses_total)"),
    Query("exchanges", "sum by (service, status) (hexr_credential_exchanges_total)"),
)

# Refusals by component: who (tenant/agent labels where the series has them), what, why.
DENIAL_QUERIES = (
    Query(
        "injector",
        "sum by (service, reason) "
        '(hexr_credential_failures_total{reason=~"permission_denied|unauthenticated"})',
    ),
    Query("vault", 'sum by (tenant, agent, op, reason) (hexr_vault_errors_total{reason="denied"})'),
    Query(
        "a2a",
        "sum by (source_tenant, target_tenant) "
        '(hexr_a2a_cross_tenant_calls_total{decision="denied"})',
    ),
    Query("gateway", "sum by (tenant, agent_name, tool, action) (hexr_gateway_denials_total)"),
)
