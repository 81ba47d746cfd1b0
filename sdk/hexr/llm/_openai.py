"""OpenAI Chat Completions: reading requests, responses and stream chunks."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hexr.llm._base import CallResult, RequestAttributes

__all__ = ["OpenAIAdapter"]


class OpenAIAdapter(RequestAttributes):
    """Reads ``chat.completions.create`` calls of ``openai.OpenAI`` / ``AsyncOpenAI``."""

    system = "openai"
    max_tokens_keys: tuple[str, ...] = ("max_completion_tokens", "max_tokens")

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """The ``messages`` argument."""
        messages = kwargs.get("messages")
        return list(messages) if messages is not None else []

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read a ``ChatCompletion``."""
        result.response_id = response.id
        result.response_model = response.model
        for choice in response.choices:
            if choice.finish_reason:
                result.finish_reasons.append(choice.finish_reason)
        if result.text is not None and response.choices:
            content = response.choices[0].message.content
            if content:
                result.text.append(content)
        usage = response.usage
        if usage is not None:
            result.input_tokens = usage.prompt_tokens
            result.output_tokens = usage.completion_tokens
            result.cached_input_tokens = _cached_tokens(usage)

    def replace_text(self, response: Any, text: str) -> None:
        """Put a hook's replacement text into the first choice's message."""
        response.choices[0].message.content = text

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Read a ``ChatCompletionChunk``; usage comes with the final one, if requested."""
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
        usage = chunk.usage
        if usage is not None:
            result.input_tokens = usage.prompt_tokens
            result.output_tokens = usage.completion_tokens
            result.cached_input_tokens = _cached_tokens(usage)


def _cached_tokens(usage: Any) -> int:
    """Prompt tokens served from OpenAI's prompt cache (priced lower; 0 if not reported)."""
    details = getattr(usage, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None)
    return cached if isinstance(cached, int) and cached > 0 else 0
