"""Google GenAI (``google-genai``): ``models.generate_content`` and its stream, sync and async."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hexr.llm._base import CallResult, LLMTelemetry
from hexr.llm._calls import MethodSpec, TracedResource
from hexr.telemetry import _names as n

__all__ = ["GoogleGenAIAdapter", "wrap_google_client"]


def _get(obj: Any, key: str) -> Any:
    """A field of a pydantic config object or of a plain dict (both are accepted)."""
    if isinstance(obj, Mapping):
        return obj.get(key)
    return getattr(obj, key, None)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = _get(content, "parts")
    if parts is None:
        text = _get(content, "text")
        return text if isinstance(text, str) else ""
    return " ".join(t for t in (_get(p, "text") for p in parts) if isinstance(t, str))


class GoogleGenAIAdapter:
    """Reads ``generate_content`` calls of ``google.genai.Client`` (and ``client.aio``)."""

    system = "google_genai"

    def request_attributes(self, kwargs: Mapping[str, Any]) -> dict[str, Any]:
        """Model and the generation config's token limit and sampling."""
        attrs: dict[str, Any] = {n.ATTR_GENAI_REQUEST_MODEL: str(kwargs.get("model"))}
        config = kwargs.get("config")
        if config is not None:
            max_tokens = _get(config, "max_output_tokens")
            if isinstance(max_tokens, int):
                attrs[n.ATTR_GENAI_REQUEST_MAX_TOKENS] = max_tokens
            for key, attr in (
                ("temperature", n.ATTR_GENAI_REQUEST_TEMPERATURE),
                ("top_p", n.ATTR_GENAI_REQUEST_TOP_P),
            ):
                value = _get(config, key)
                if isinstance(value, int | float):
                    attrs[attr] = float(value)
        return attrs

    def messages(self, kwargs: Mapping[str, Any]) -> Sequence[Any]:
        """``contents`` (a string, parts or turns) as role/content messages, system first."""
        contents = kwargs.get("contents")
        items = contents if isinstance(contents, list | tuple) else [contents]
        messages: list[dict[str, str]] = []
        config = kwargs.get("config")
        system = _get(config, "system_instruction") if config is not None else None
        if system:
            messages.append({"role": "system", "content": _text_of(system)})
        for item in items:
            if item is None:
                continue
            role = _get(item, "role") if not isinstance(item, str) else None
            messages.append(
                {"role": "assistant" if role == "model" else "user", "content": _text_of(item)}
            )
        return messages

    def read_response(self, response: Any, result: CallResult) -> None:
        """Read a ``GenerateContentResponse``."""
        self.read_chunk(response, result)

    def read_chunk(self, chunk: Any, result: CallResult) -> None:
        """Read one streamed ``GenerateContentResponse`` (usage is cumulative per chunk)."""
        if result.response_id is None:
            result.response_id = chunk.response_id
        if chunk.model_version:
            result.response_model = chunk.model_version
        for candidate in chunk.candidates or ():
            reason = candidate.finish_reason
            if reason is not None:
                result.finish_reasons.append(str(getattr(reason, "value", reason)).lower())
            if result.text is not None and candidate.content is not None:
                for part in candidate.content.parts or ():
                    if part.text:
                        result.text.append(part.text)
        usage = chunk.usage_metadata
        if usage is not None:
            if usage.prompt_token_count is not None:
                result.input_tokens = usage.prompt_token_count
            if usage.candidates_token_count is not None:
                result.output_tokens = usage.candidates_token_count
            cached = usage.cached_content_token_count
            result.cached_input_tokens = cached if isinstance(cached, int) and cached > 0 else 0


def wrap_google_client(client: Any, tel: LLMTelemetry) -> Any:
    """``client`` with ``models`` and ``aio.models`` traced."""

    def models(sync: bool) -> Any:
        mode = "sync" if sync else "async"
        return lambda resource: TracedResource(
            resource,
            {
                "generate_content": MethodSpec(tel, mode, stream=False),
                "generate_content_stream": MethodSpec(tel, mode, stream=True),
            },
        )

    def aio(resource: Any) -> Any:
        return TracedResource(resource, {}, {"models": models(sync=False)})

    return TracedResource(client, {}, {"models": models(sync=True), "aio": aio})
