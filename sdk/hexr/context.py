"""The agent a call runs under: one context variable, no dependencies.

`@hexr_agent` sets it for the length of an invocation; LLM and tool instrumentation, the
session API and the log processors read it for labels. It is a leaf module so that readers
(``hexr.logs`` above all) do not import the decorator and its telemetry.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

__all__ = ["CURRENT_AGENT", "AgentInfo", "current_agent"]


@dataclass(frozen=True, slots=True)
class AgentInfo:
    """The agent a call runs under; LLM and tool instrumentation read it for labels."""

    name: str
    tenant: str
    framework: str
    role: str


CURRENT_AGENT: ContextVar[AgentInfo | None] = ContextVar("hexr_agent", default=None)
"""Set by `@hexr_agent` around each invocation (``None`` outside one)."""


def current_agent() -> AgentInfo | None:
    """The innermost ``@hexr_agent`` invocation running in this context, if any."""
    return CURRENT_AGENT.get()
