"""Anthropic Messages: reading requests, responses and stream events."""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping, Sequence
from typing import Any

from hexr.llm._base import CallResult, RequestAttributes

__all__ = ["AnthropicAdapter"]


class AnthropicAdapter(RequestAttributes):
    """Reads ``messages.create`` calls of ``anthropic.Anthropic`` / ``AsyncAnthropic``."""

    system = "anthropic"

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """The ``messages`` argument, with ``system`` first as a system message."""
        messages = list(kwargs.get("messages") or [])
        system = kwargs.get("system")
        if system:
            messages.insert(0, {"role": "system", "content": system})
        return messages

    def set_messages(self, kwargs: MutableMapping[str, Any], messages: Sequence[Any]) -> None:
        """Write messages a hook replaced back (a leading system message to ``system``)."""
        replaced = list(messages)
        if kwargs.get("system") and replaced and _role(replaced[0]) == "system":
            kwargs["system"] = replaced.pop(0)["content"]
        kwargs["messages"] = replaced

    def replace_text(self, response: Any, text: str) -> None:
        """Put a hook's replacement into the first text block; other text blocks are emptied."""
        first = True
        for block in response.content:
            if getattr(block, "type", "") == "text":
                block.text = text if first else ""
                first = False

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read a ``Message``."""
        result.response_id = response.id
        result.response_model = response.model
        if response.stop_reason:
            result.finish_reasons.append(response.stop_reason)
        if result.text is not None:
            result.text.extend(
                block.text for block in response.content if getattr(block, "type", "") == "text"
            )
        usage = response.usage
        if usage is not None:
            result.input_tokens = usage.input_tokens
            result.output_tokens = usage.output_tokens

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Read one raw stream event (``message_start`` ... ``message_stop``)."""
        kind = chunk.type
        if kind == "content_block_delta":
            if result.text is not None and chunk.delta.type == "text_delta":
                result.text.append(chunk.delta.text)
        elif kind == "message_start":
            message = chunk.message
            result.response_id = message.id
            result.response_model = message.model
            if message.usage is not None:
                result.input_tokens = message.usage.input_tokens
                result.output_tokens = message.usage.output_tokens
        elif kind == "message_delta":
            if chunk.delta.stop_reason:
                result.finish_reasons.append(chunk.delta.stop_reason)
            usage = chunk.usage
            if usage is not None:
                # Output tokens in message_delta are cumulative for the whole message.
                result.output_tokens = usage.output_tokens
                if getattr(usage, "input_tokens", None) is not None:
                    result.input_tokens = usage.input_tokens


def _role(message: Any) -> Any:
    return message.get("role") if isinstance(message, Mapping) else None
