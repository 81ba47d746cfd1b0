"""Hooks around an instrumented LLM call: where the guard scans prompts and outputs.

A hook's ``before_request`` runs before the provider is called and may raise to block the
call; ``after_response`` runs with the completion text once it is complete (after the last
chunk for streams) and may raise to reject it. Both run with the ``hexr.llm.chat`` span
current and receive it, so a guard can set ``hexr.guard.*`` attributes and the ERROR status.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from opentelemetry.trace import Span

__all__ = ["LLMCallInfo", "LLMHooks", "global_hooks", "register_llm_hooks", "unregister_llm_hooks"]


@dataclass(frozen=True, slots=True)
class LLMCallInfo:
    """What a hook learns about the call it runs for."""

    system: str
    """Provider, as ``gen_ai.system`` (``openai``, ``anthropic``)."""
    model: str
    stream: bool
    span: Span
    """The call's ``hexr.llm.chat`` span (non-recording when unsampled)."""


@runtime_checkable
class LLMHooks(Protocol):
    """Callbacks around an LLM call; raising from either blocks the call or its result."""

    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> None:
        """Inspect the request messages (provider format) before they are sent."""

    def after_response(self, call: LLMCallInfo, text: str) -> None:
        """Inspect the completion text before it is returned (or, for streams, at the end)."""


_lock = threading.Lock()
_global: tuple[LLMHooks, ...] = ()


def register_llm_hooks(hooks: LLMHooks) -> None:
    """Apply ``hooks`` to every ``hexr_llm`` proxy in the process (e.g. the guard)."""
    global _global
    with _lock:
        if hooks not in _global:
            _global = (*_global, hooks)


def unregister_llm_hooks(hooks: LLMHooks) -> None:
    """Stop applying ``hooks`` registered with `register_llm_hooks`."""
    global _global
    with _lock:
        _global = tuple(h for h in _global if h is not hooks)


def global_hooks() -> tuple[LLMHooks, ...]:
    """The hooks registered process-wide (read on every call: a tuple, no lock)."""
    return _global
