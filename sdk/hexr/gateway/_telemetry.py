"""The ``hexr.gateway.call`` span (client side): tool name, caller; arguments only with
content capture on, and then redacted."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from typing import Any

from opentelemetry.trace import Span

from hexr import _env
from hexr.logs import Redactor
from hexr.telemetry import get_tracer
from hexr.telemetry.names import (
    ATTR_GATEWAY_ARGUMENTS,
    ATTR_GATEWAY_TOOL_NAME,
)

__all__ = ["TRACER", "capture_enabled", "describe_call"]

TRACER = get_tracer()
_MAX_ARGUMENT_CHARS = 4096


def capture_enabled() -> bool:
    """Whether content capture is on (``HEXR_CAPTURE_CONTENT``)."""
    return (os.environ.get(_env.HEXR_CAPTURE_CONTENT) or "").lower() in ("1", "true", "yes")


def describe_call(span: Span, tool: str, arguments: Mapping[str, Any], capture: bool) -> None:
    """Set the call's attributes on ``span`` (arguments redacted, and only if captured)."""
    if not span.is_recording():
        return
    span.set_attribute(ATTR_GATEWAY_TOOL_NAME, tool)
    if capture:
        redacted = Redactor(capture_content=True)(None, "", {"arguments": dict(arguments)})
        text = json.dumps(redacted["arguments"], default=str)[:_MAX_ARGUMENT_CHARS]
        span.set_attribute(ATTR_GATEWAY_ARGUMENTS, text)
