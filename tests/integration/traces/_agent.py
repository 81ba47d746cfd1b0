"""An agent for the trace-store test: one invocation that asks the injector for a
credential (denied on the local platform, which grants nothing), then prints its trace id."""

from __future__ import annotations

import json

from opentelemetry import trace

from hexr import hexr_agent, hexr_tool
from hexr.errors import HexrError


@hexr_agent(name="analyst", tenant="acme")
def analyze() -> str:
    """Ask for an S3 client; the injector's exchange span joins this trace."""
    trace_id = format(trace.get_current_span().get_span_context().trace_id, "032x")
    try:
        hexr_tool("aws_s3", region="us-east-1")
    except HexrError as exc:
        return json.dumps({"trace_id": trace_id, "error": type(exc).__name__})
    return json.dumps({"trace_id": trace_id, "error": None})


print(analyze(), flush=True)
