"""Hooks around an instrumented LLM call: where the guard scans prompts and outputs.

The hook contract (every provider routed through `LLMTelemetry` / `LLMCall` inherits it):

``before_request(call, messages)``
    Runs before the provider is called, with the request's messages in the provider's
    format. Raise to block the call (the provider never receives it). Return ``None`` to
    keep the messages, or a replacement sequence (e.g. with a secret redacted): later hooks
    and the provider get the replacement.
``after_response(call, text)``
    Runs with the completion text once it is complete (after the last chunk for streams).
    Raise to reject it. On a complete (non-streamed) response, return ``None`` to keep the
    text or a replacement string, which is written into the response the caller gets; a
    provider adapter without ``replace_text`` cannot apply one, and the call then fails
    closed with `hexr.errors.LLMError`. On a stream the text was already delivered (or was
    held back and scanned, see below), so a replacement is refused the same way.

Optional members, looked up with ``getattr`` (older hooks need none of them):

``async abefore_request(call, messages)`` / ``async aafter_response(call, text)``
    Awaited instead of the sync methods on async clients. A hook doing blocking work (LLM
    Guard scanners take milliseconds to seconds) implements them by running the work off
    the event loop (``asyncio.to_thread``); a hook without them is called inline.
``scan_stream(call, text)`` / ``async ascan_stream(call, text)`` and ``stream_holdback``
    Incremental scanning of streamed output. When a hook has ``scan_stream``, the stream
    proxy holds chunks back: a chunk reaches the agent only after all its text, followed by
    at least ``stream_holdback`` characters (or the end of the stream), was passed to
    ``scan_stream``. Each window passed overlaps the previous one by ``stream_holdback``
    characters, so a pattern up to that length is always seen whole before any part of it
    is released. Raising ends the stream: the held chunks are dropped, the provider stream
    is closed and the exception propagates from the iteration. The window is the largest
    ``stream_holdback`` of the hooks, clamped to [`MIN_HOLDBACK`, `MAX_HOLDBACK`]; the text
    held is bounded by about twice the window. ``after_response`` still runs at the end.

For provider adapters and proxies (the LLM-call plumbing): a sync proxy calls
``tel.start(kwargs, stream)`` and ``call.on_response(response)``; an async proxy awaits
``tel.astart(...)`` and ``call.aon_response(...)`` (hooks' async variants then run); streams
are wrapped in ``StreamProxy`` / ``AsyncStreamProxy``, which implement the hold-back. An
adapter may define ``replace_text(response, text)`` and ``set_messages(kwargs, messages)``
so that replacements can be applied; without them a replacement fails closed.

All hook methods run with the ``hexr.llm.chat`` span current and receive it in
`LLMCallInfo`, so a guard can set ``hexr.guard.*`` attributes and the ERROR status; their
time is recorded as the ``guard_scan`` stage. A raising hook ends the call's span with its
exception. Anthropic's ``messages.stream()`` helper yields the SDK's own stream object,
which is not held back: there only ``after_response`` runs, at the end of the block.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from opentelemetry.trace import Span

from hexr import _env

__all__ = [
    "MAX_HOLDBACK",
    "MIN_HOLDBACK",
    "LLMCallInfo",
    "LLMHooks",
    "global_hooks",
    "hooks_from_environment",
    "register_llm_hooks",
    "stream_holdback",
    "unregister_llm_hooks",
]

MIN_HOLDBACK = 16
"""Smallest hold-back window (characters) of a stream-scanning hook."""
MAX_HOLDBACK = 65_536
"""Largest hold-back window: bounds the text a stream proxy holds."""


@dataclass(frozen=True, slots=True)
class LLMCallInfo:
    """What a hook learns about the call it runs for."""

    system: str
    """Provider, as ``gen_ai.system`` (``openai``, ``anthropic``)."""
    model: str
    stream: bool
    span: Span
    """The call's ``hexr.llm.chat`` span (non-recording when unsampled)."""
    holdback: int = 0
    """Hold-back window of this stream (0: not held back; ``after_response`` is the check)."""


@runtime_checkable
class LLMHooks(Protocol):
    """Callbacks around an LLM call; raising from either blocks the call or its result."""

    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> Sequence[Any] | None:
        """Inspect (or replace, by returning new ones) the request messages before sending."""

    def after_response(self, call: LLMCallInfo, text: str) -> str | None:
        """Inspect (or replace, by returning it) the completion text before it is returned."""


def stream_holdback(hooks: Sequence[LLMHooks]) -> int:
    """The hold-back window for ``hooks``; 0 when none of them scans streams."""
    window = 0
    for hook in hooks:
        if getattr(hook, "scan_stream", None) is None:
            continue
        asked = getattr(hook, "stream_holdback", MIN_HOLDBACK)
        size = asked if isinstance(asked, int) else MIN_HOLDBACK
        window = max(window, min(max(size, MIN_HOLDBACK), MAX_HOLDBACK))
    return window


_lock = threading.Lock()
_global: tuple[LLMHooks, ...] = ()
_env_checked = False


def hooks_from_environment() -> None:
    """Once per process: enable the guard when ``HEXR_GUARD`` / ``HEXR_GUARD_POLICY`` ask.

    Called when a client is wrapped, so ``import hexr`` never loads the guard.
    """
    global _env_checked
    if _env_checked:
        return
    _env_checked = True
    flag = os.environ.get(_env.HEXR_GUARD, "").strip().lower()
    if flag in ("0", "false", "no", "off"):
        return
    if flag in ("1", "true", "yes", "on") or os.environ.get(_env.HEXR_GUARD_POLICY):
        from hexr.guard import enable  # the guard is optional: imported only when asked for

        enable()


def register_llm_hooks(hooks: LLMHooks) -> None:
    """Apply ``hooks`` to every ``hexr_llm`` proxy in the process (e.g. the guard)."""
    global _global
    with _lock:
        if hooks not in _global:
            _global = (*_global, hooks)


def unregister_llm_hooks(hooks: LLMHooks) -> None:
    """Stop applying ``hooks`` registered with `register_llm_hooks`."""
    global _global
    with _lock:
        _global = tuple(h for h in _global if h is not hooks)


def global_hooks() -> tuple[LLMHooks, ...]:
    """The hooks registered process-wide (read on every call: a tuple, no lock)."""
    return _global
