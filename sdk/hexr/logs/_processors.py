"""structlog processors that give every line the same correlation fields."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

from opentelemetry import trace

from hexr.context import current_agent

__all__ = ["STANDARD_FIELDS", "StandardFields", "add_trace_context"]

STANDARD_FIELDS = ("component", "tenant", "agent", "spiffe_id", "trace_id", "span_id")
"""Fields present on every line (``null`` when unknown), besides timestamp and level."""


def add_trace_context(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Add ``trace_id``/``span_id`` of the current OpenTelemetry span, in W3C hex form."""
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict.setdefault("trace_id", format(context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(context.span_id, "016x"))
    return event_dict


class StandardFields:
    """Fills the standard fields: bound context, then the running agent, then defaults."""

    def __init__(self, defaults: Mapping[str, str | None]) -> None:
        self._defaults = {key: defaults.get(key) for key in STANDARD_FIELDS}

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Set every standard field that the event or its context did not set."""
        if event_dict.get("tenant") is None or event_dict.get("agent") is None:
            # Inside an @hexr_agent invocation, its tenant and name label the line.
            agent = current_agent()
            if agent is not None:
                if event_dict.get("tenant") is None:
                    event_dict["tenant"] = agent.tenant
                if event_dict.get("agent") is None:
                    event_dict["agent"] = agent.name
        for key, value in self._defaults.items():
            if event_dict.get(key) is None:
                event_dict[key] = value
        return event_dict
