"""`Guard`: the LLM hooks that scan prompts and outputs with the caller's policy.

A blocked prompt never reaches the provider; a blocked output never reaches the agent
(streams are held back and scanned window by window, see `hexr.llm._hooks`). On a block the
``hexr.llm.chat`` span gets ``hexr.guard.prompt_blocked`` / ``hexr.guard.output_blocked``,
``hexr.guard.scanners`` / ``hexr.guard.output_scanners`` and status ERROR naming the guard,
and `hexr.errors.GuardBlocked` is raised; neither ever contains the scanned text.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from opentelemetry.trace import StatusCode

from hexr.context import current_agent
from hexr.errors import GuardBlocked
from hexr.guard._pipeline import Pipeline, Verdict
from hexr.guard._policy import GuardPolicy, default_policy, load_policy, policy_path_for
from hexr.llm import LLMCallInfo
from hexr.telemetry import _names as n
from hexr.telemetry import current_handle

__all__ = ["Guard"]

_PIPELINE_LIMIT = 64
_Location = tuple[int, int | None]
"""A text part of the prompt: message index, and content-part index (None: a string)."""


class Guard:
    """Prompt and output scanning for `hexr_llm` clients (an `hexr.llm.LLMHooks`).

    Args:
        policy: A policy, or a policy file. ``None`` resolves the calling agent's policy
            under ``HEXR_GUARD_POLICY`` on each call (the offline default when unset).
    """

    def __init__(self, policy: GuardPolicy | str | Path | None = None) -> None:
        self._fixed: Pipeline | None = None
        if isinstance(policy, GuardPolicy):
            self._fixed = Pipeline(policy)
        elif policy is not None:
            self._fixed = Pipeline(load_policy(policy))
        self._lock = threading.Lock()
        self._pipelines: dict[str, Pipeline] = {}

    # Policy resolution.

    def pipeline(self) -> Pipeline:
        """The pipeline of the calling agent's policy."""
        if self._fixed is not None:
            return self._fixed
        tenant, agent = _who()
        path = policy_path_for(tenant, agent)
        key = str(path) if path is not None else ""
        policy = load_policy(path) if path is not None else None
        found = self._pipelines.get(key)
        if found is None or (policy is not None and found.policy is not policy):
            with self._lock:
                if len(self._pipelines) >= _PIPELINE_LIMIT:
                    self._pipelines.clear()
                found = self._pipelines[key] = Pipeline(policy or default_policy())
        return found

    def warm_up(self) -> None:
        """Load LLM Guard and build the scanners now, off the request path."""
        self.pipeline().warm_up()

    @property
    def stream_holdback(self) -> int:
        """Characters of streamed output held back until scanned (from the policy)."""
        return self.pipeline().policy.stream_holdback

    # LLM hooks.

    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> Sequence[Any] | None:
        """Scan every text part of the prompt; block, or return the redacted messages."""
        parts, where = _text_parts(messages)
        verdict = self.pipeline().scan("prompt", parts, _labels())
        if not verdict.valid:
            _block(call, "prompt", verdict)
        if not verdict.redacted:
            return None
        return _replace_parts(messages, where, verdict.texts, call)

    def after_response(self, call: LLMCallInfo, text: str) -> str | None:
        """Scan a complete output; block, or return it redacted."""
        if call.stream and call.holdback:
            return None  # every window was scanned before it was released
        verdict = self.pipeline().scan("output", [text], _labels(), allow_redact=not call.stream)
        if not verdict.valid:
            _block(call, "output", verdict)
        return verdict.texts[0] if verdict.redacted else None

    def scan_stream(self, call: LLMCallInfo, text: str) -> None:
        """Scan one window of streamed output (no redaction: a finding blocks)."""
        verdict = self.pipeline().scan("output", [text], _labels(), allow_redact=False)
        if not verdict.valid:
            _block(call, "output", verdict)

    async def abefore_request(
        self, call: LLMCallInfo, messages: Sequence[Any]
    ) -> Sequence[Any] | None:
        """`before_request` in a worker thread: the event loop keeps running."""
        return await asyncio.to_thread(self.before_request, call, messages)

    async def aafter_response(self, call: LLMCallInfo, text: str) -> str | None:
        """`after_response` in a worker thread."""
        return await asyncio.to_thread(self.after_response, call, text)

    async def ascan_stream(self, call: LLMCallInfo, text: str) -> None:
        """`scan_stream` in a worker thread."""
        await asyncio.to_thread(self.scan_stream, call, text)


def _who() -> tuple[str, str]:
    agent = current_agent()
    if agent is not None:
        return agent.tenant, agent.name
    handle = current_handle()
    if handle is not None:
        settings = handle.settings
        return settings.tenant or "", settings.agent_name or ""
    return "", ""


def _labels() -> dict[str, str]:
    tenant, agent = _who()
    return {n.ATTR_TENANT: tenant, n.ATTR_AGENT_NAME: agent}


def _block(call: LLMCallInfo, direction: str, verdict: Verdict) -> None:
    error = GuardBlocked(direction, verdict.fired, verdict.reason)
    span = call.span
    if span.is_recording():
        prompt = direction == "prompt"
        span.set_attribute(
            n.ATTR_GUARD_PROMPT_BLOCKED if prompt else n.ATTR_GUARD_OUTPUT_BLOCKED, True
        )
        span.set_attribute(
            n.ATTR_GUARD_SCANNERS if prompt else n.ATTR_GUARD_OUTPUT_SCANNERS,
            ",".join(verdict.fired),
        )
        span.set_status(StatusCode.ERROR, str(error))
    raise error


def _content(message: Any) -> Any:
    if isinstance(message, Mapping):
        return message.get("content")
    return getattr(message, "content", None)


def _part_text(part: Any) -> Any:
    if isinstance(part, Mapping):
        return part.get("text")
    return getattr(part, "text", None)


def _text_parts(messages: Sequence[Any]) -> tuple[list[str], list[_Location]]:
    """Every text of the prompt (string contents and text content parts)."""
    parts: list[str] = []
    where: list[_Location] = []
    for index, message in enumerate(messages):
        content = _content(message)
        if isinstance(content, str):
            parts.append(content)
            where.append((index, None))
        elif isinstance(content, list | tuple):
            for sub, part in enumerate(content):
                text = _part_text(part)
                if isinstance(text, str):
                    parts.append(text)
                    where.append((index, sub))
    return parts, where


def _replace_parts(
    messages: Sequence[Any], where: list[_Location], texts: Sequence[str], call: LLMCallInfo
) -> list[Any]:
    """Copies of ``messages`` with redacted texts; the caller's objects are not mutated."""
    out = list(messages)
    for (index, sub), text in zip(where, texts, strict=True):
        message = out[index]
        if not isinstance(message, Mapping):
            # An SDK object we cannot copy safely: a redaction that cannot be applied blocks.
            _block(call, "prompt", Verdict(False, (), ("Redaction",), (), "cannot redact"))
        copy = dict(message)
        if sub is None:
            copy["content"] = text
        else:
            content = list(copy["content"])
            part = content[sub]
            if not isinstance(part, Mapping):
                _block(call, "prompt", Verdict(False, (), ("Redaction",), (), "cannot redact"))
            content[sub] = {**part, "text": text}
            copy["content"] = content
        out[index] = copy
    return out
