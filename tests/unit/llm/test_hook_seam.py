"""The LLM hook contract: async variants, replacement, fail-closed replacement errors."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import openai
import pytest

from hexr import hexr_llm
from hexr.errors import LLMError
from hexr.llm import LLMCallInfo
from tests.fixtures.fakellm import FakeLLM

MESSAGES = [{"role": "user", "content": "hi there"}]


class Rewriter:
    """Replaces the prompt and the output; records which variant ran."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> Sequence[Any]:
        self.calls.append("before_request")
        return [{"role": "user", "content": "rewritten"}]

    def after_response(self, call: LLMCallInfo, text: str) -> str:
        self.calls.append("after_response")
        return text.upper()

    async def abefore_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> Sequence[Any]:
        self.calls.append("abefore_request")
        return [{"role": "user", "content": "rewritten async"}]

    async def aafter_response(self, call: LLMCallInfo, text: str) -> str:
        self.calls.append("aafter_response")
        return text.upper()


def _sync(fake_llm: FakeLLM, hook: object) -> openai.OpenAI:
    raw = openai.OpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    return hexr_llm(raw, hooks=[hook])  # type: ignore[list-item]


def test_hooks_replace_prompt_and_output(fake_llm: FakeLLM) -> None:
    hook = Rewriter()
    resp = _sync(fake_llm, hook).chat.completions.create(model="m", messages=MESSAGES)
    assert resp.choices[0].message.content == "HELLO FROM HEXR-FAKELLM. YOU SAID: REWRITTEN"
    assert hook.calls == ["before_request", "after_response"]
    assert MESSAGES == [{"role": "user", "content": "hi there"}]


async def test_async_clients_await_the_async_variants(fake_llm: FakeLLM) -> None:
    hook = Rewriter()
    raw = openai.AsyncOpenAI(base_url=fake_llm.base_url, api_key="sk-test", max_retries=0)
    client = hexr_llm(raw, hooks=[hook])  # type: ignore[list-item]
    resp = await client.chat.completions.create(model="m", messages=MESSAGES)
    assert resp.choices[0].message.content == "HELLO FROM HEXR-FAKELLM. YOU SAID: REWRITTEN ASYNC"
    assert hook.calls == ["abefore_request", "aafter_response"]


def test_replacing_a_streamed_output_fails_closed(fake_llm: FakeLLM) -> None:
    stream = _sync(fake_llm, Rewriter()).chat.completions.create(
        model="m", messages=MESSAGES, stream=True
    )
    with pytest.raises(LLMError, match="cannot be applied"):
        list(stream)


class BadHook:
    def before_request(self, call: LLMCallInfo, messages: Sequence[Any]) -> object:
        return True

    def after_response(self, call: LLMCallInfo, text: str) -> None:
        return None


def test_a_hook_returning_no_message_list_fails_closed(fake_llm: FakeLLM) -> None:
    with pytest.raises(LLMError, match="list of messages"):
        _sync(fake_llm, BadHook()).chat.completions.create(model="m", messages=MESSAGES)
