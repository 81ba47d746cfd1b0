"""Redaction of secrets and prompt content from log events.

Two layers: keys that name a secret (``password``, ``api_key``, ``authorization``...) or
content (``prompt``, ``messages``...) have their values replaced whole; and every string
left, the message included, is scanned for credential shapes (bearer tokens, JWTs, provider
keys, PEM private keys, passwords in URLs). Sizes and nesting are bounded so a huge or
hostile value cannot make logging slow.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = [
    "CONTENT_PLACEHOLDER",
    "REDACTED",
    "Redactor",
    "is_secret_key",
    "scrub_text",
    "scrub_traceback",
]

REDACTED = "[REDACTED]"
CONTENT_PLACEHOLDER = "[content not captured]"
MAX_STRING = 8192
MAX_ITEMS = 100
MAX_DEPTH = 6

_SECRET_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "authorization", "apikey", "cookie",
     "credential", "credentials", "jwt", "bearer", "passphrase", "privatekey", "signature"}
)
_SECRET_PAIRS = frozenset(
    {("api", "key"), ("private", "key"), ("access", "key"), ("secret", "key"),
     ("session", "key"), ("client", "secret"), ("set", "cookie")}
)
_CONTENT_KEYS = frozenset(
    {"prompt", "prompts", "completion", "completions", "messages", "message_content",
     "content", "contents", "system_prompt", "response_text", "user_input", "arguments",
     "tool_arguments", "gen_ai.prompt", "gen_ai.completion", "input_text", "output_text"}
)
# A source line as a traceback quotes it: `secret = hexr.vault.get(...)` assigns the result
# of a call (or a subscript) to a name. That is code, not a value, and stays readable.
_CODE_ASSIGNMENT = re.compile(r"\s+=\s+")
_CODE_VALUE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*[(\[]")


def _redact_assignment(match: re.Match[str]) -> str:
    """``key=value`` with the value redacted, unless it is code (see `_CODE_VALUE`)."""
    separator, value = match.group(2), match.group(3)
    if _CODE_ASSIGNMENT.fullmatch(separator) and _CODE_VALUE.match(value):
        return match.group(0)
    return f"{match.group(1)}{separator}{REDACTED}"


# Shapes of credentials wherever they appear in text. Order matters: PEM blocks first.
_PATTERNS: tuple[tuple[re.Pattern[str], Any], ...] = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)",
                re.S), REDACTED),
    (re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*"), REDACTED),
    (re.compile(r"\b(?:sk|pk|rk)-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"\bsk-ant-[A-Za-z0-9_-]{16,}"), REDACTED),
    (re.compile(r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b"), REDACTED),
    (re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}"), REDACTED),
    (re.compile(r"\b(?:hvs|hvb|s)\.[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"), REDACTED),
    (re.compile(r"(://[^/\s:@]+):[^@\s/]+@"), r"\1:" + REDACTED + "@"),
    # key=value / key: value, also as JSON or a dict repr ("key": "value"). The secret word
    # may end a compound name (refresh_token, AWS_SECRET_ACCESS_KEY) but must end the key,
    # so counts such as input_tokens stay. No open-ended prefix: a lookbehind keeps the
    # scan linear in the text.
    (re.compile(r"(?i)(?:(?<=[_.-])|\b)"
                r"(password|passwd|secret|token|api[_-]?key|access[_-]?key"
                r"|authorization)([\"']?\s*[=:]\s*)"
                r"(\"[^\"]*\"|'[^']*'|(?:(?:token|bearer|basic)\s+)?[^\s,;&]+)"),
     _redact_assignment),
)
# One cheap search decides whether a string needs the full pattern pass; almost none do.
_TRIGGER = re.compile(
    r"(?i)bearer|basic|eyJ|[spr]k-|AKIA|ASIA|gh[pousr]_|hv[sb]\.|\bs\.|xox|://|PRIVATE KEY"
    r"|password|passwd|secret|token|api[_-]?key|access[_-]?key|authorization"
)
# Fields Hexr itself fills with identifiers and timestamps: never secrets, never scanned.
_TRUSTED_KEYS = frozenset(
    {"timestamp", "level", "logger", "component", "tenant", "agent", "spiffe_id", "trace_id",
     "span_id"}
)
_WORD_SPLIT = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"([a-z0-9])([A-Z])")


def _words(key: str) -> list[str]:
    return [w for w in _WORD_SPLIT.split(_CAMEL.sub(r"\1_\2", key).lower()) if w]


@functools.lru_cache(maxsize=2048)
def is_secret_key(key: str) -> bool:
    """Whether a field name denotes a secret (``api_key``, ``Authorization``, ``x-token``)."""
    words = _words(key)
    if any(word in _SECRET_WORDS for word in words):
        return True
    return any(pair in _SECRET_PAIRS for pair in itertools.pairwise(words))


def scrub_text(text: str) -> str:
    """Mask credential shapes in free text and bound its length."""
    if len(text) > MAX_STRING:
        text = text[:MAX_STRING] + "...[truncated]"
    if not _TRIGGER.search(text):
        return text
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_TAIL_MARK = "[truncated]..."


def scrub_traceback(text: str) -> str:
    """`scrub_text` for a formatted traceback: a long one keeps its tail, not its head.

    The exception that escaped, and its message, are written last.
    """
    if len(text) > MAX_STRING:
        text = _TAIL_MARK + text[len(_TAIL_MARK) - MAX_STRING :]
    return scrub_text(text)


class Redactor:
    """A structlog processor removing secrets (always) and content (unless captured)."""

    def __init__(self, capture_content: bool = False) -> None:
        self.capture_content = capture_content

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Redact ``event_dict`` in place and return it."""
        for key in list(event_dict):
            if key in _TRUSTED_KEYS:
                continue
            value = event_dict[key]
            if key == "exception" and isinstance(value, str):  # set by format_exc_info
                event_dict[key] = scrub_traceback(value)
            else:
                event_dict[key] = self._value(str(key), value, 0)
        return event_dict

    def _value(self, key: str, value: Any, depth: int) -> Any:
        if is_secret_key(key) and value is not None and not isinstance(value, bool | int | float):
            return REDACTED
        if not self.capture_content and key.lower() in _CONTENT_KEYS and value is not None:
            return CONTENT_PLACEHOLDER
        if isinstance(value, str):
            return scrub_text(value)
        if isinstance(value, bytes):
            return f"<{len(value)} bytes>"
        if isinstance(value, bool | int | float) or value is None:
            return value
        if depth >= MAX_DEPTH:
            return "[nested too deep]"
        # islice, not list()[:n]: a huge value is never copied whole just to log 100 items.
        if isinstance(value, Mapping):
            items = itertools.islice(value.items(), MAX_ITEMS)
            return {str(k): self._value(str(k), v, depth + 1) for k, v in items}
        if isinstance(value, list | tuple | set | frozenset):
            return [self._value(key, v, depth + 1) for v in itertools.islice(value, MAX_ITEMS)]
        return scrub_text(repr(value))
