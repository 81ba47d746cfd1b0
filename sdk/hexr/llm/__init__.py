"""``hexr_llm(client)``: OpenTelemetry GenAI spans and metrics for LLM clients.

Supports ``openai.OpenAI`` / ``AsyncOpenAI`` (and subclasses such as Azure; chat,
Responses, embeddings, ``with_raw_response``), ``anthropic.Anthropic`` / ``AsyncAnthropic``,
``google.genai.Client`` (and its ``aio``), ``cohere.ClientV2`` / ``AsyncClientV2``,
``mistralai.Mistral`` and the ``litellm`` module. The provider packages are never imported
here: clients are recognised by their class names, so ``import hexr`` stays light.
"""

from __future__ import annotations

import types
from collections.abc import Sequence
from typing import Any, TypeVar

from hexr.llm._anthropic import AnthropicAdapter
from hexr.llm._base import LLMTelemetry, ProviderAdapter
from hexr.llm._calls import TracedResource
from hexr.llm._cohere import CohereAdapter, CohereEmbedAdapter, wrap_cohere_client
from hexr.llm._google import GoogleGenAIAdapter, wrap_google_client
from hexr.llm._hooks import (
    LLMCallInfo,
    LLMHooks,
    register_llm_hooks,
    unregister_llm_hooks,
)
from hexr.llm._litellm import LiteLLMAdapter, LiteLLMEmbeddingAdapter, wrap_litellm
from hexr.llm._mistral import MistralAdapter, MistralEmbeddingsAdapter, wrap_mistral_client
from hexr.llm._openai import OpenAIAdapter
from hexr.llm._openai_extra import (
    OpenAIEmbeddingsAdapter,
    OpenAIFullClientProxy,
    OpenAIResponsesAdapter,
)
from hexr.llm._proxy import AnthropicClientProxy, OpenAIClientProxy

__all__ = [
    "LLMCallInfo",
    "LLMHooks",
    "hexr_llm",
    "register_llm_hooks",
    "unregister_llm_hooks",
]

C = TypeVar("C")

_CLIENTS = {
    ("openai", "OpenAI"): ("openai", False),
    ("openai", "AsyncOpenAI"): ("openai", True),
    ("anthropic", "Anthropic"): ("anthropic", False),
    ("anthropic", "AsyncAnthropic"): ("anthropic", True),
    ("google.genai", "Client"): ("google", False),
    ("cohere", "ClientV2"): ("cohere", False),
    ("cohere", "AsyncClientV2"): ("cohere", True),
    ("mistralai", "Mistral"): ("mistral", False),
}
"""(package, class name) -> (provider, async). ``google.genai`` is matched by its prefix."""


def _kind(client: object) -> tuple[str, bool] | None:
    if isinstance(client, types.ModuleType):
        return ("litellm", False) if client.__name__ == "litellm" else None
    for cls in type(client).__mro__:
        module = cls.__module__
        package = "google.genai" if module.startswith("google.genai") else module.split(".")[0]
        found = _CLIENTS.get((package, cls.__name__))
        if found is not None:
            return found
    return None


def _pair(
    chat: ProviderAdapter, embed: ProviderAdapter, hooks: Sequence[LLMHooks], capture: bool | None
) -> tuple[LLMTelemetry, LLMTelemetry]:
    return LLMTelemetry(chat, hooks, capture), LLMTelemetry(embed, hooks, capture)


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
        client: A supported client (see the module docstring) or the ``litellm`` module.
            Wrapping an already wrapped client is a no-op.
        hooks: Called around each call on this client, in addition to the
            process-wide hooks of `register_llm_hooks` (the guard plugs in here).
        capture_content: Record prompts and completions on spans; ``None`` follows
            ``HEXR_CAPTURE_CONTENT`` (off by default).

    Raises:
        TypeError: ``client`` is not a supported LLM client.
    """
    if isinstance(client, OpenAIClientProxy | AnthropicClientProxy | TracedResource):
        return client
    kind = _kind(client)
    if kind is None:
        raise TypeError(
            "hexr_llm supports openai, anthropic, google-genai, cohere (v2) and mistralai"
            f" clients and the litellm module, not {type(client).__qualname__}"
        )
    provider, is_async = kind
    wrapped: Any
    if provider == "google":
        wrapped = wrap_google_client(
            client, LLMTelemetry(GoogleGenAIAdapter(), hooks, capture_content)
        )
    elif provider == "cohere":
        chat, embed = _pair(CohereAdapter(), CohereEmbedAdapter(), hooks, capture_content)
        wrapped = wrap_cohere_client(client, chat, embed, is_async)
    elif provider == "mistral":
        chat, embed = _pair(MistralAdapter(), MistralEmbeddingsAdapter(), hooks, capture_content)
        wrapped = wrap_mistral_client(client, chat, embed)
    elif provider == "litellm":
        chat, embed = _pair(LiteLLMAdapter(), LiteLLMEmbeddingAdapter(), hooks, capture_content)
        wrapped = wrap_litellm(client, chat, embed)
    elif provider == "openai":
        tel = LLMTelemetry(OpenAIAdapter(), hooks, capture_content)
        responses, embeddings = _pair(
            OpenAIResponsesAdapter(), OpenAIEmbeddingsAdapter(), hooks, capture_content
        )

        def rewrap_openai(derived: Any) -> Any:
            # with_options()/copy() keep provider, hooks and capture: share this telemetry
            # (a client derived per request would otherwise rebuild it on every call).
            return OpenAIFullClientProxy(
                derived, tel, is_async, rewrap_openai, responses, embeddings
            )

        wrapped = rewrap_openai(client)
    else:
        tel = LLMTelemetry(AnthropicAdapter(), hooks, capture_content)

        def rewrap_anthropic(derived: Any) -> Any:
            return AnthropicClientProxy(derived, tel, is_async, rewrap_anthropic)

        wrapped = rewrap_anthropic(client)
    return wrapped  # type: ignore[no-any-return]
