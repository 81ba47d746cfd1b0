"""The demo's evidence: key metrics from Prometheus and one workflow run's span tree."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["METRIC_QUERIES", "Metric", "SpanNode", "query_metrics", "span_tree"]

# (label, PromQL, label to break the value down by or "").
METRIC_QUERIES: tuple[tuple[str, str, str], ...] = (
    ("LLM calls", "sum(hexr_llm_calls_total)", ""),
    ("LLM tokens (in + out)",
     "sum(hexr_llm_input_tokens_total) + sum(hexr_llm_output_tokens_total)", ""),
    ("LLM cost (USD)", "sum(hexr_llm_cost_usd_total)", ""),
    ("cache hits by tier", "sum by (tier) (hexr_cache_hits_total)", "tier"),
    ("credential exchanges", "sum by (service) (hexr_credential_exchanges_total)", "service"),
    ("A2A messages", "sum(hexr_a2a_messages_total)", ""),
    ("guard blocks", "sum(hexr_guard_blocks_total)", ""),
    ("denials: injector",
     'sum(hexr_credential_failures_total{reason=~"permission_denied|unauthenticated"})', ""),
    ("denials: vault", 'sum(hexr_vault_errors_total{reason="denied"})', ""),
    ("denials: A2A cross-tenant",
     'sum(hexr_a2a_cross_tenant_calls_total{decision="denied"})', ""),
    ("denials: gateway", "sum(hexr_gateway_denials_total)", ""),
)


@dataclass(frozen=True)
class Metric:
    """One summary line: a value or values by label, or no data yet."""

    label: str
    values: dict[str, float]


@dataclass
class SpanNode:
    """A span of the workflow's trace with its children."""

    name: str
    duration_ms: float
    status: str
    detail: str
    children: list[SpanNode] = field(default_factory=list)


def query_metrics(prometheus_url: str, timeout_s: float = 5.0) -> list[Metric]:
    """Instant queries of ``METRIC_QUERIES``; a failed query shows as no data."""
    metrics = []
    with httpx.Client(base_url=prometheus_url, timeout=timeout_s) as client:
        for label, promql, by in METRIC_QUERIES:
            values: dict[str, float] = {}
            try:
                answer = client.get("/api/v1/query", params={"query": promql}).json()
                for item in answer.get("data", {}).get("result", []):
                    key = str(item.get("metric", {}).get(by, "")) if by else ""
                    values[key] = float(item["value"][1])
            except (httpx.HTTPError, ValueError, KeyError, TypeError):
                values = {}
            metrics.append(Metric(label, values))
    return metrics


_DETAIL_KEYS = ("hexr.agent.name", "agent_name", "target_agent", "source_agent", "cache_tier",
                "service", "gen_ai.request.model", "hexr.llm.streaming", "path")


def span_tree(traces_url: str, trace_id: str, wait_s: float = 10.0) -> list[SpanNode]:
    """The trace's span tree from the trace store, waiting for late spans to arrive."""
    from hexr_traces import PhoenixClient, Trace, TraceStoreError

    deadline = time.monotonic() + wait_s
    spans: list[Any] = []
    seen = -1
    with PhoenixClient(traces_url) as client:
        while time.monotonic() < deadline:
            try:
                spans = client.spans(trace_ids=[trace_id], max_spans=2000)
            except TraceStoreError:
                spans = []
            # Settled: the three sidecars' spans came in and nothing new arrived for a beat.
            if spans and len(spans) == seen:
                break
            seen = len(spans)
            time.sleep(1.0)
    if not spans:
        return []
    trace = Trace(trace_id, tuple(spans))
    children = trace.children()

    def node(span: Any) -> SpanNode:
        detail = " ".join(
            f"{key}={span.attributes[key]}" for key in _DETAIL_KEYS if key in span.attributes
        )
        return SpanNode(span.name, span.duration_ms, span.status, detail,
                        [node(child) for child in children.get(span.span_id, [])])

    return [node(root) for root in children.get(None, [])]
