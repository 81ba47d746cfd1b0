"""Cohere v2 (``cohere.ClientV2`` / ``AsyncClientV2``): ``chat``, ``chat_stream``, ``embed``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hexr.llm._base import CallResult, LLMTelemetry, RequestAttributes
from hexr.llm._calls import MethodSpec, TracedResource
from hexr.telemetry import _names as n

__all__ = ["CohereAdapter", "CohereEmbedAdapter", "wrap_cohere_client"]


def _tokens(usage: Any) -> tuple[int | None, int | None]:
    """Input and output tokens of a Cohere ``Usage`` (``tokens``, else ``billed_units``)."""
    for part in (getattr(usage, "tokens", None), getattr(usage, "billed_units", None)):
        if part is not None and part.input_tokens is not None:
            return _int(part.input_tokens), _int(getattr(part, "output_tokens", None))
    return None, None


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) else None


class CohereAdapter(RequestAttributes):
    """Reads ``chat`` / ``chat_stream`` calls (the request has the model; no response model)."""

    system = "cohere"
    max_tokens_keys = ("max_tokens",)

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Model, ``max_tokens``, ``temperature`` and ``p`` (Cohere's top-p)."""
        attrs = super().request_attributes(kwargs)
        top_p = kwargs.get("p")
        if isinstance(top_p, int | float):
            attrs[n.ATTR_GENAI_REQUEST_TOP_P] = float(top_p)
        return attrs

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """The ``messages`` argument."""
        return list(kwargs.get("messages") or [])

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read a ``V2ChatResponse``."""
        result.response_id = response.id
        if response.finish_reason:
            result.finish_reasons.append(str(response.finish_reason))
        message = response.message
        if result.text is not None and message is not None:
            for block in message.content or ():
                text = getattr(block, "text", None)
                if text:
                    result.text.append(text)
        if response.usage is not None:
            result.input_tokens, result.output_tokens = _tokens(response.usage)

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Read one stream event (``message-start`` ... ``message-end``)."""
        kind = chunk.type
        if kind == "content-delta":
            if result.text is not None:
                text = chunk.delta.message.content.text
                if text:
                    result.text.append(text)
        elif kind == "message-start":
            result.response_id = chunk.id
        elif kind == "message-end":
            delta = chunk.delta
            if delta is not None:
                if delta.finish_reason:
                    result.finish_reasons.append(str(delta.finish_reason))
                if delta.usage is not None:
                    result.input_tokens, result.output_tokens = _tokens(delta.usage)


class CohereEmbedAdapter(CohereAdapter):
    """Reads ``embed`` calls: ``texts`` in, billed input tokens."""

    operation = n.OPERATION_EMBEDDINGS

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """The texts to embed, as user messages (what a guard scans)."""
        return [{"role": "user", "content": t} for t in kwargs.get("texts") or ()]

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read an ``EmbedByTypeResponse``."""
        result.response_id = response.id
        meta = response.meta
        units = getattr(meta, "billed_units", None)
        if units is not None:
            result.input_tokens = _int(units.input_tokens)


def wrap_cohere_client(
    client: Any, chat: LLMTelemetry, embed: LLMTelemetry, is_async: bool
) -> Any:
    """``client`` with ``chat``, ``chat_stream`` and ``embed`` traced."""
    mode = "async" if is_async else "sync"
    return TracedResource(
        client,
        {
            "chat": MethodSpec(chat, mode, stream=False),
            # The async stream is an async generator: returned unawaited.
            "chat_stream": MethodSpec(chat, "async_iter" if is_async else "sync", stream=True),
            "embed": MethodSpec(embed, mode, stream=False),
        },
    )
