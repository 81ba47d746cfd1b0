"""OpenAI beyond chat completions: the Responses API, embeddings, ``with_raw_response``.

`OpenAIFullClientProxy` extends the chat proxy of `hexr.llm._proxy` with traced
``responses.create``, ``embeddings.create`` and ``chat.completions.with_raw_response
.create`` (the raw response is returned unchanged; the span reads its parsed body).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hexr.llm._base import CallResult, LLMTelemetry, RequestAttributes
from hexr.llm._calls import MethodSpec, TracedResource
from hexr.llm._proxy import AsyncCreateProxy, CreateProxy, OpenAIClientProxy, _ChatProxy
from hexr.telemetry import _names as n

__all__ = [
    "OpenAIEmbeddingsAdapter",
    "OpenAIFullClientProxy",
    "OpenAIResponsesAdapter",
]


def _parse(raw: Any) -> Any:
    """The body of a ``with_raw_response`` result (parsed once; the SDK caches it)."""
    return raw.parse()


def _as_messages(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    return list(value)


class OpenAIResponsesAdapter(RequestAttributes):
    """Reads ``responses.create`` calls and their stream events."""

    system = "openai"
    max_tokens_keys = ("max_output_tokens",)

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """``input`` (a string or items), with ``instructions`` first as a system message."""
        messages = _as_messages(kwargs.get("input"))
        instructions = kwargs.get("instructions")
        if instructions:
            messages.insert(0, {"role": "system", "content": instructions})
        return messages

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read a ``Response``."""
        result.response_id = response.id
        result.response_model = response.model
        if response.status:
            result.finish_reasons.append(str(response.status))
        if result.text is not None:
            text = response.output_text
            if text:
                result.text.append(text)
        usage = response.usage
        if usage is not None:
            result.input_tokens = usage.input_tokens
            result.output_tokens = usage.output_tokens
            details = getattr(usage, "input_tokens_details", None)
            cached = getattr(details, "cached_tokens", None)
            result.cached_input_tokens = cached if isinstance(cached, int) and cached > 0 else 0

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Read one stream event; the final ``response.completed`` carries usage."""
        kind = chunk.type
        if kind == "response.output_text.delta":
            if result.text is not None and chunk.delta:
                result.text.append(chunk.delta)
        elif kind == "response.created":
            result.response_id = chunk.response.id
            result.response_model = chunk.response.model
        elif kind in ("response.completed", "response.incomplete", "response.failed"):
            text, result.text = result.text, None  # the deltas already gave the text
            self.read_response(chunk.response, result)
            result.text = text


class OpenAIEmbeddingsAdapter(RequestAttributes):
    """Reads ``embeddings.create``: ``input`` in, prompt tokens out."""

    system = "openai"
    operation = n.OPERATION_EMBEDDINGS

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """The inputs to embed, as user messages (token arrays are left out)."""
        value = kwargs.get("input")
        texts = [value] if isinstance(value, str) else list(value or ())
        return [{"role": "user", "content": t} for t in texts if isinstance(t, str)]

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read a ``CreateEmbeddingResponse``."""
        result.response_model = response.model
        usage = response.usage
        if usage is not None:
            result.input_tokens = usage.prompt_tokens

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Embeddings do not stream."""


class _RawAware:
    """``with_raw_response`` with a traced ``create`` (mixed into the create proxies)."""

    _self_raw: Any

    @property
    def with_raw_response(self) -> Any:
        """``with_raw_response`` with a traced ``create``."""
        return self._self_raw


class _RawCreate(_RawAware, CreateProxy):
    """``chat.completions`` whose ``with_raw_response.create`` is traced too."""

    def __init__(self, wrapped: Any, tel: LLMTelemetry) -> None:
        super().__init__(wrapped, tel)
        self._self_raw = TracedResource(
            wrapped.with_raw_response, {"create": MethodSpec(tel, "sync", unwrap=_parse)}
        )


class _AsyncRawCreate(_RawAware, AsyncCreateProxy):
    """The async twin of `_RawCreate`."""

    def __init__(self, wrapped: Any, tel: LLMTelemetry) -> None:
        super().__init__(wrapped, tel)
        self._self_raw = TracedResource(
            wrapped.with_raw_response, {"create": MethodSpec(tel, "async", unwrap=_parse)}
        )


class OpenAIFullClientProxy(OpenAIClientProxy):
    """``openai.OpenAI`` / ``AsyncOpenAI``: chat, responses, embeddings and raw responses."""

    def __init__(
        self,
        wrapped: Any,
        tel: LLMTelemetry,
        is_async: bool,
        factory: Any,
        responses: LLMTelemetry,
        embeddings: LLMTelemetry,
    ) -> None:
        super().__init__(wrapped, tel, is_async, factory)
        mode = "async" if is_async else "sync"
        completions = (_AsyncRawCreate if is_async else _RawCreate)(wrapped.chat.completions, tel)
        self._self_chat = _ChatProxy(wrapped.chat, completions)
        self._self_responses = TracedResource(
            wrapped.responses, {"create": MethodSpec(responses, mode)}
        )
        self._self_embeddings = TracedResource(
            wrapped.embeddings, {"create": MethodSpec(embeddings, mode, stream=False)}
        )

    @property
    def responses(self) -> Any:
        """``responses`` with a traced ``create``."""
        return self._self_responses

    @property
    def embeddings(self) -> Any:
        """``embeddings`` with a traced ``create``."""
        return self._self_embeddings
