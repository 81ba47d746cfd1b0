"""Span, attribute and metric names of the Hexr telemetry contract.

These strings are an API: dashboards, alert rules and users' queries depend on them.
Change one only together with `dashboards/` and `deploy/`.
"""

from __future__ import annotations

# Instrumentation scope.
SCOPE = "hexr"

# Spans.
SPAN_AGENT_INVOKE = "hexr.agent.invoke"
SPAN_TOOL_INVOKE = "hexr.tool.invoke"
SPAN_CACHE_LOOKUP = "hexr.cache.lookup"
SPAN_CREDENTIAL_EXCHANGE = "hexr.credential.exchange"
SPAN_LLM_CHAT = "hexr.llm.chat"
SPAN_VAULT_GET = "hexr.vault.get"
SPAN_GATEWAY_CALL = "hexr.gateway.call"
SPAN_A2A_CLIENT_SEND = "hexr.a2a.client.send"
SPAN_A2A_BRIDGE_EXECUTE = "hexr.a2a.bridge.execute"
SPAN_SANDBOX_EXEC = "hexr.sandbox.exec"
SPAN_BROWSER_BROWSE = "hexr.browser.browse"
SPAN_GUARD_SCAN = "hexr.guard.scan"

# Attributes every Hexr span carries.
ATTR_SPIFFE_ID = "hexr.spiffe_id"
ATTR_TENANT = "tenant"
ATTR_AGENT_NAME = "agent_name"

# Metrics: agent.
METRIC_AGENT_INVOCATIONS = "hexr.agent.invocations"
METRIC_AGENT_ACTIVE = "hexr.agent.active"
METRIC_AGENT_DURATION = "hexr.agent.duration"
# Metrics: tools and credentials.
METRIC_TOOL_INVOCATIONS = "hexr.tool.invocations"
METRIC_TOOL_DURATION = "hexr.tool.duration"
METRIC_CACHE_HITS = "hexr.cache.hits"
METRIC_CACHE_MISSES = "hexr.cache.misses"
METRIC_CACHE_LOOKUP_DURATION = "hexr.cache.lookup.duration"
METRIC_CREDENTIAL_EXCHANGES = "hexr.credential.exchanges"
METRIC_CREDENTIAL_FAILURES = "hexr.credential.failures"
# Metrics: LLM.
METRIC_LLM_CALLS = "hexr.llm.calls"
METRIC_LLM_CALL_ERRORS = "hexr.llm.call_errors"
METRIC_LLM_CALL_DURATION = "hexr.llm.call.duration"
METRIC_LLM_INPUT_TOKENS = "hexr.llm.input_tokens"
METRIC_LLM_OUTPUT_TOKENS = "hexr.llm.output_tokens"
METRIC_GENAI_TOKEN_USAGE = "gen_ai.client.token.usage"  # noqa: S105 (a metric name)
METRIC_GENAI_OPERATION_DURATION = "gen_ai.client.operation.duration"
# Metrics: vault.
METRIC_VAULT_OPERATIONS = "hexr.vault.operations"
METRIC_VAULT_DURATION = "hexr.vault.duration"
METRIC_VAULT_ERRORS = "hexr.vault.errors"
# Metrics: A2A.
METRIC_A2A_SENDS = "hexr.a2a.sends"
METRIC_A2A_SEND_FAILURES = "hexr.a2a.send_failures"
METRIC_A2A_SEND_DURATION = "hexr.a2a.send.duration"
METRIC_A2A_BRIDGE_EXECUTIONS = "hexr.a2a.bridge.executions"

# GenAI semantic-convention bucket boundaries (OpenTelemetry GenAI metrics spec).
GENAI_TOKEN_USAGE_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)
GENAI_OPERATION_DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)
