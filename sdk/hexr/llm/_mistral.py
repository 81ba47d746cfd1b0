"""Mistral (``mistralai.Mistral``): ``chat.complete``/``stream`` and ``embeddings.create``.

One client class serves both worlds: the ``*_async`` methods are the async twins.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hexr.llm._base import CallResult, LLMTelemetry
from hexr.llm._calls import MethodSpec, TracedResource
from hexr.llm._openai import OpenAIAdapter
from hexr.telemetry import _names as n

__all__ = ["MistralAdapter", "MistralEmbeddingsAdapter", "wrap_mistral_client"]


class MistralAdapter(OpenAIAdapter):
    """Mistral's chat shapes are OpenAI's; stream events carry the chunk in ``data``."""

    system = "mistral"
    max_tokens_keys: tuple[str, ...] = ("max_tokens",)

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Read one ``CompletionEvent`` (its ``data`` is the chunk)."""
        super().read_chunk(getattr(chunk, "data", chunk), result)


class MistralEmbeddingsAdapter(MistralAdapter):
    """Reads ``embeddings.create``: ``inputs`` in, prompt tokens out."""

    operation = n.OPERATION_EMBEDDINGS

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """The inputs to embed, as user messages."""
        inputs = kwargs.get("inputs")
        texts = [inputs] if isinstance(inputs, str) else list(inputs or ())
        return [{"role": "user", "content": t} for t in texts]

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read an ``EmbeddingResponse``."""
        result.response_id = response.id
        result.response_model = response.model
        if response.usage is not None:
            result.input_tokens = response.usage.prompt_tokens


def wrap_mistral_client(client: Any, chat: LLMTelemetry, embed: LLMTelemetry) -> Any:
    """``client`` with ``chat`` and ``embeddings`` traced, sync and async."""

    def chat_resource(resource: Any) -> Any:
        return TracedResource(
            resource,
            {
                "complete": MethodSpec(chat, "sync", stream=False),
                "stream": MethodSpec(chat, "sync", stream=True),
                "complete_async": MethodSpec(chat, "async", stream=False),
                "stream_async": MethodSpec(chat, "async", stream=True),
            },
        )

    def embeddings_resource(resource: Any) -> Any:
        return TracedResource(
            resource,
            {
                "create": MethodSpec(embed, "sync", stream=False),
                "create_async": MethodSpec(embed, "async", stream=False),
            },
        )

    return TracedResource(
        client, {}, {"chat": chat_resource, "embeddings": embeddings_resource}
    )
