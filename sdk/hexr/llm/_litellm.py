"""LiteLLM: ``litellm.completion`` / ``acompletion`` (and their streams), ``embedding``.

``hexr_llm(litellm)`` returns the module behind a proxy; nothing is patched globally.
LiteLLM answers in OpenAI's shapes whatever the backend, so the OpenAI readers apply;
``gen_ai.system`` is ``litellm`` (the backend is in the model name, e.g. ``openai/...``).
"""

from __future__ import annotations

from typing import Any

from hexr.llm._base import CallResult, LLMTelemetry
from hexr.llm._calls import MethodSpec, TracedResource
from hexr.llm._openai import OpenAIAdapter
from hexr.llm._openai_extra import OpenAIEmbeddingsAdapter

__all__ = ["LiteLLMAdapter", "LiteLLMEmbeddingAdapter", "wrap_litellm"]


class LiteLLMAdapter(OpenAIAdapter):
    """``completion`` calls; chunks carry ``usage`` only when it was requested."""

    system = "litellm"

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Read one ``ModelResponseStream``."""
        if result.response_id is None:
            result.response_id = chunk.id
            result.response_model = chunk.model
        for choice in chunk.choices:
            if choice.finish_reason:
                result.finish_reasons.append(choice.finish_reason)
            if result.text is not None and choice.index == 0 and choice.delta is not None:
                content = choice.delta.content
                if content:
                    result.text.append(content)
        usage = getattr(chunk, "usage", None)
        if usage is not None:
            result.input_tokens = usage.prompt_tokens
            result.output_tokens = usage.completion_tokens


class LiteLLMEmbeddingAdapter(OpenAIEmbeddingsAdapter):
    """``embedding`` calls (``input`` in, OpenAI-shaped usage out)."""

    system = "litellm"


def wrap_litellm(module: Any, chat: LLMTelemetry, embed: LLMTelemetry) -> Any:
    """The ``litellm`` module with its call functions traced."""
    return TracedResource(
        module,
        {
            "completion": MethodSpec(chat, "sync"),
            "acompletion": MethodSpec(chat, "async"),
            "embedding": MethodSpec(embed, "sync", stream=False),
            "aembedding": MethodSpec(embed, "async", stream=False),
        },
    )
