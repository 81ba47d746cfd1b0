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
SPAN_LLM_EMBEDDINGS = "hexr.llm.embeddings"
OPERATION_CHAT = "chat"
OPERATION_EMBEDDINGS = "embeddings"
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
ATTR_FRAMEWORK = "framework"
ATTR_STATUS = "status"
ATTR_ROLE = "hexr.role"
ATTR_SERVICE_NAME = "service.name"
STATUS_OK = "ok"
STATUS_ERROR = "error"

# OpenTelemetry GenAI semantic-convention attributes (hexr.llm.chat).
ATTR_GENAI_OPERATION = "gen_ai.operation.name"
ATTR_GENAI_SYSTEM = "gen_ai.system"
ATTR_GENAI_PROVIDER = "gen_ai.provider.name"
ATTR_GENAI_REQUEST_MODEL = "gen_ai.request.model"
ATTR_GENAI_REQUEST_MAX_TOKENS = "gen_ai.request.max_tokens"
ATTR_GENAI_REQUEST_TEMPERATURE = "gen_ai.request.temperature"
ATTR_GENAI_REQUEST_TOP_P = "gen_ai.request.top_p"
ATTR_GENAI_RESPONSE_MODEL = "gen_ai.response.model"
ATTR_GENAI_RESPONSE_ID = "gen_ai.response.id"
ATTR_GENAI_RESPONSE_FINISH_REASONS = "gen_ai.response.finish_reasons"
ATTR_GENAI_USAGE_INPUT_TOKENS = "gen_ai.usage.input_tokens"
ATTR_GENAI_USAGE_OUTPUT_TOKENS = "gen_ai.usage.output_tokens"
ATTR_GENAI_TOKEN_TYPE = "gen_ai.token.type"  # noqa: S105 (an attribute name)
ATTR_GENAI_PROMPT = "gen_ai.prompt"
ATTR_GENAI_COMPLETION = "gen_ai.completion"
ATTR_ERROR_TYPE = "error.type"
ATTR_LLM_STREAMING = "hexr.llm.streaming"
ATTR_LLM_TIME_TO_FIRST_CHUNK = "hexr.llm.time_to_first_chunk"
ATTR_LLM_STREAM_ABANDONED = "hexr.llm.stream.abandoned"
"""True on a streamed call the caller stopped reading (closed or dropped) before its end."""

# Guard results on the hexr.llm.chat span (set by hexr.guard through the LLM hooks).
ATTR_GUARD_PROMPT_BLOCKED = "hexr.guard.prompt_blocked"
ATTR_GUARD_OUTPUT_BLOCKED = "hexr.guard.output_blocked"
ATTR_GUARD_SCANNERS = "hexr.guard.scanners"
ATTR_GUARD_OUTPUT_SCANNERS = "hexr.guard.output_scanners"

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
METRIC_CREDENTIAL_RATE_LIMITED = "hexr.credential.rate_limited"
# Metrics: LLM.
METRIC_LLM_CALLS = "hexr.llm.calls"
METRIC_LLM_CALL_ERRORS = "hexr.llm.call_errors"
METRIC_LLM_STREAMS_ABANDONED = "hexr.llm.streams_abandoned"
METRIC_LLM_CALL_DURATION = "hexr.llm.call.duration"
METRIC_LLM_INPUT_TOKENS = "hexr.llm.input_tokens"
METRIC_LLM_OUTPUT_TOKENS = "hexr.llm.output_tokens"
METRIC_GENAI_TOKEN_USAGE = "gen_ai.client.token.usage"  # noqa: S105 (a metric name)
METRIC_GENAI_OPERATION_DURATION = "gen_ai.client.operation.duration"
METRIC_LLM_TIME_TO_FIRST_CHUNK = "hexr.llm.time_to_first_chunk"
# Metrics: the telemetry pipeline itself.
METRIC_TELEMETRY_DROPPED_SPANS = "hexr.telemetry.dropped_spans"
METRIC_TELEMETRY_EXPORTED_SPANS = "hexr.telemetry.exported_spans"
# Metrics: mTLS handshakes of Hexr's SPIFFE TLS contexts (side, result).
METRIC_TLS_HANDSHAKES = "hexr.tls.handshakes"
METRIC_TLS_HANDSHAKE_DURATION = "hexr.tls.handshake.duration"
METRIC_TELEMETRY_DROPPED_MEASUREMENTS = "hexr.telemetry.dropped_measurements"
# Metrics: vault.
METRIC_VAULT_OPERATIONS = "hexr.vault.operations"
METRIC_VAULT_DURATION = "hexr.vault.duration"
METRIC_VAULT_ERRORS = "hexr.vault.errors"
# Metrics: A2A.
METRIC_A2A_SENDS = "hexr.a2a.sends"
METRIC_A2A_SEND_FAILURES = "hexr.a2a.send_failures"
METRIC_A2A_SEND_DURATION = "hexr.a2a.send.duration"
METRIC_A2A_BRIDGE_EXECUTIONS = "hexr.a2a.bridge.executions"
# Metrics: guard, sandbox, browser (Prometheus names in /work/coord/METRICS.md).
METRIC_GUARD_SCANS = "hexr.guard.scans"
METRIC_GUARD_BLOCKS = "hexr.guard.blocks"
METRIC_GUARD_SCAN_DURATION = "hexr.guard.scan.duration"
METRIC_SANDBOX_EXECUTIONS = "hexr.sandbox.executions"
METRIC_SANDBOX_DURATION = "hexr.sandbox.duration"
METRIC_BROWSER_SESSIONS = "hexr.browser.sessions"
METRIC_BROWSER_BLOCKED_REQUESTS = "hexr.browser.blocked_requests"
METRIC_BROWSER_DURATION = "hexr.browser.duration"
# Attributes of the guard, sandbox and browser spans and metrics.
ATTR_GUARD_SCAN_TYPE = "scan_type"
ATTR_GUARD_IS_VALID = "is_valid"
ATTR_GUARD_SCANNER = "scanner"
ATTR_GUARD_DIRECTION = "direction"
ATTR_GUARD_DURATION_MS = "duration_ms"
ATTR_GUARD_REDACTED = "hexr.guard.redacted"
ATTR_SANDBOX_LANGUAGE = "language"
ATTR_SANDBOX_TIMEOUT = "timeout"
ATTR_SANDBOX_EXIT_CODE = "exit_code"
ATTR_SANDBOX_LIMIT = "limit"
ATTR_SANDBOX_NETWORK_ISOLATED = "hexr.sandbox.network_isolated"
ATTR_BROWSER_URL = "url"
ATTR_BROWSER_ACTIONS_COUNT = "actions_count"
ATTR_BROWSER_ACTION = "hexr.browser.action"
ATTR_BROWSER_BLOCKED_REQUESTS = "hexr.browser.blocked_requests"
SPAN_BROWSER_ACTION = "hexr.browser.action"
# Metrics: A2A sidecar (exposition names in the metric contract, e.g. hexr_a2a_messages_total).
METRIC_A2A_TASK_TRANSITIONS = "hexr.a2a.task_transitions"
METRIC_A2A_MESSAGES = "hexr.a2a.messages"
METRIC_A2A_TASK_DURATION = "hexr.a2a.task.duration"
METRIC_A2A_SSE_CONNECTIONS = "hexr.a2a.sse_connections"
METRIC_A2A_STORE_OPERATIONS = "hexr.a2a.store_operations"
METRIC_A2A_STORE_OPERATION_DURATION = "hexr.a2a.store_operation.duration"
METRIC_A2A_TASK_ERRORS = "hexr.a2a.task_errors"
METRIC_A2A_PUSH_DELIVERIES = "hexr.a2a.push_deliveries"
METRIC_A2A_CROSS_TENANT_CALLS = "hexr.a2a.cross_tenant_calls"
METRIC_A2A_REQUESTS = "hexr.a2a.requests"

# GenAI semantic-convention bucket boundaries (OpenTelemetry GenAI metrics spec).
GENAI_TOKEN_USAGE_BUCKETS = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)
GENAI_OPERATION_DURATION_BUCKETS = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)

# Cost (hexr.telemetry._cost): USD per call from the offline price table.
METRIC_LLM_COST = "hexr.llm.cost"
"""Counter, unit ``usd``, by tenant, agent, model (Prometheus: ``hexr_llm_cost_usd_total``)."""
METRIC_LLM_UNPRICED_CALLS = "hexr.llm.unpriced_calls"
"""Counter of calls whose model has no price (cost never guessed)."""
ATTR_LLM_COST_USD = "hexr.llm.cost_usd"
ATTR_LLM_UNPRICED = "hexr.llm.unpriced"

# Sessions: multi-step agent loops (hexr.session()).
METRIC_AGENT_ACTIVE_SESSIONS = "hexr.agent.active_sessions"
METRIC_AGENT_SESSION_STEPS = "hexr.agent.session.steps"
METRIC_AGENT_SESSIONS = "hexr.agent.sessions"
"""Counter of ended sessions by tenant, agent, status (completed/failed): completion rate."""
SPAN_AGENT_SESSION = "hexr.agent.session"
SESSION_STEPS_BUCKETS = (1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233)

# Latency breakdown: one histogram for every stage of a request, by component and stage.
METRIC_STAGE_DURATION = "hexr.stage.duration"
ATTR_STAGE = "hexr.stage"
STAGE_GUARD_SCAN = "guard_scan"
STAGE_CREDENTIAL_FETCH = "credential_fetch"
# The gateway's credential stage (vault read + apply), named as in METRICS.md.
STAGE_CREDENTIAL = "credential"
STAGE_UPSTREAM_FIRST_BYTE = "upstream_first_byte"
STAGE_UPSTREAM = "upstream"
STAGE_RESPONSE_HANDLING = "response_handling"
STAGE_POLICY = "policy"
STAGE_AUTHENTICATION = "authentication"
STAGE_SERIALIZATION = "serialization"
STAGE_DURATION_BUCKETS = (
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
)
DURATION_BUCKETS_S = (
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0,
)
"""Histogram boundaries for Hexr's second-valued durations (the SDK default is in ms)."""

# Gateway (services/hexr_gateway): labels tenant, agent_name, tool (+ status, error_type,
# action); Prometheus names in /work/coord/METRICS.md (e.g. hexr_gateway_calls_total).
METRIC_GATEWAY_CALLS = "hexr.gateway.calls"
METRIC_GATEWAY_CALL_ERRORS = "hexr.gateway.call_errors"
METRIC_GATEWAY_DENIALS = "hexr.gateway.denials"
METRIC_GATEWAY_RATE_LIMITED = "hexr.gateway.rate_limited"
METRIC_GATEWAY_CALL_DURATION = "hexr.gateway.call.duration"
METRIC_GATEWAY_TOOLS = "hexr.gateway.tools"
ATTR_GATEWAY_TOOL_NAME = "tool_name"
ATTR_GATEWAY_ARGUMENTS = "arguments"
ATTR_GATEWAY_UPSTREAM_STATUS = "hexr.gateway.upstream_status"
