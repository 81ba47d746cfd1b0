"""``hexr_llm(client)``: OpenTelemetry GenAI spans and metrics for LLM clients.

Supports ``openai.OpenAI`` / ``AsyncOpenAI`` (and subclasses such as Azure) and
``anthropic.Anthropic`` / ``AsyncAnthropic``. The provider packages are never imported
here: clients are recognised by their class names, so ``import hexr`` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from hexr.llm._anthropic import AnthropicAdapter
from hexr.llm._base import LLMTelemetry
from hexr.llm._hooks import (
    LLMCallInfo,
    LLMHooks,
    register_llm_hooks,
    unregister_llm_hooks,
)
from hexr.llm._openai import OpenAIAdapter
from hexr.llm._proxy import AnthropicClientProxy, OpenAIClientProxy

__all__ = [
    "LLMCallInfo",
    "LLMHooks",
    "hexr_llm",
    "register_llm_hooks",
    "unregister_llm_hooks",
]

C = TypeVar("C")

_OPENAI = {"OpenAI": False, "AsyncOpenAI": True}
_ANTHROPIC = {"Anthropic": False, "AsyncAnthropic": True}


def _kind(client: object) -> tuple[str, bool] | None:
    for cls in type(client).__mro__:
        package = cls.__module__.split(".", 1)[0]
        if package == "openai" and cls.__name__ in _OPENAI:
            return "openai", _OPENAI[cls.__name__]
        if package == "anthropic" and cls.__name__ in _ANTHROPIC:
            return "anthropic", _ANTHROPIC[cls.__name__]
    return None


def hexr_llm(
    client: C,
    *,
    hooks: Sequence[LLMHooks] = (),
    capture_content: bool | None = None,
) -> C:
    """Wrap an LLM client so every chat call emits a ``hexr.llm.chat`` span and metrics.

    The returned proxy behaves like ``client`` (same type for ``isinstance``, same
    attributes); streams keep their type, iteration and context-manager behaviour.

    Args:
        client: An ``openai.OpenAI``/``AsyncOpenAI`` or ``anthropic.Anthropic``/
            ``AsyncAnthropic`` instance. Wrapping an already wrapped client is a no-op.
        hooks: Called around each call on this client, in addition to the
            process-wide hooks of `register_llm_hooks` (the guard plugs in here).
        capture_content: Record prompts and completions on spans; ``None`` follows
            ``HEXR_CAPTURE_CONTENT`` (off by default).

    Raises:
        TypeError: ``client`` is not a supported LLM client.
    """
    if isinstance(client, OpenAIClientProxy | AnthropicClientProxy):
        return client
    kind = _kind(client)
    if kind is None:
        raise TypeError(
            f"hexr_llm supports openai.OpenAI/AsyncOpenAI and anthropic.Anthropic/AsyncAnthropic,"
            f" not {type(client).__qualname__}"
        )
    provider, is_async = kind
    proxy_class: Any
    if provider == "openai":
        tel = LLMTelemetry(OpenAIAdapter(), hooks, capture_content)
        proxy_class = OpenAIClientProxy
    else:
        tel = LLMTelemetry(AnthropicAdapter(), hooks, capture_content)
        proxy_class = AnthropicClientProxy

    def rewrap(derived: Any) -> Any:
        # with_options()/copy() keep provider, hooks and capture: share this telemetry
        # (a client derived per request would otherwise rebuild it on every call).
        return proxy_class(derived, tel, is_async, rewrap)

    return proxy_class(client, tel, is_async, rewrap)  # type: ignore[no-any-return]
