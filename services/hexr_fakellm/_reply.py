"""Deterministic replies, token counts and failure modes shared by both API flavours."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_BODY_BYTES", "MAX_MESSAGES", "FakeError", "Reply", "make_reply", "request_id"]

MAX_BODY_BYTES = 1_000_000
MAX_MESSAGES = 1_000
_MAX_REPLY_WORDS = 4_096

ERROR_MODELS = {
    "fake-error-400": (400, "invalid_request_error", "the fake model rejects this request"),
    "fake-error-401": (401, "authentication_error", "invalid API key (fake)"),
    "fake-error-429": (429, "rate_limit_error", "rate limit reached (fake)"),
    "fake-error-500": (500, "api_error", "internal error (fake)"),
}
"""Model names that make the server answer with an error, for tests of failure paths."""

STREAM_ERROR_MODEL = "fake-error-midstream"
"""A streamed call to this model sends two chunks, then an error event."""


class FakeError(Exception):
    """A request the fake server answers with an API error."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.kind = kind
        self.message = message


@dataclass(frozen=True, slots=True)
class Reply:
    """What the fake model answers: words, token counts, finish reason."""

    words: tuple[str, ...]
    input_tokens: int
    finish: str  # "stop" or "length"

    @property
    def text(self) -> str:
        """The reply as one string."""
        return " ".join(self.words)

    @property
    def output_tokens(self) -> int:
        """One token per word (deterministic, easy to assert)."""
        return len(self.words)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return " ".join(
            str(part.get("text", "")) for part in content if isinstance(part, dict)
        )
    return ""


def make_reply(messages: Any, max_tokens: Any, system: Any = None) -> Reply:
    """The reply to ``messages``: a fixed preamble then the last user message, echoed.

    Raises:
        FakeError: ``messages`` is missing, malformed or too long.
    """
    if not isinstance(messages, list) or not messages:
        raise FakeError(400, "invalid_request_error", "messages must be a non-empty list")
    if len(messages) > MAX_MESSAGES:
        raise FakeError(400, "invalid_request_error", f"at most {MAX_MESSAGES} messages")
    texts = [_text_of(system)] if system else []
    last_user = ""
    for message in messages:
        if not isinstance(message, dict):
            raise FakeError(400, "invalid_request_error", "each message must be an object")
        text = _text_of(message.get("content"))
        texts.append(text)
        if message.get("role") == "user":
            last_user = text
    input_tokens = sum(len(t.split()) for t in texts)
    words = ("Hello", "from", "hexr-fakellm.", "You", "said:", *last_user.split())
    words = words[:_MAX_REPLY_WORDS]
    finish = "stop"
    if isinstance(max_tokens, int) and 0 < max_tokens < len(words):
        words, finish = words[:max_tokens], "length"
    return Reply(words=tuple(words), input_tokens=input_tokens, finish=finish)


def request_id(prefix: str, body: dict[str, Any]) -> str:
    """A stable id for the request (same request, same id)."""
    digest = hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()
    return f"{prefix}{digest[:24]}"
