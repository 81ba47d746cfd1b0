"""Request attributes the provider adapters read (pure functions, no client)."""

from __future__ import annotations

from typing import Any

import pytest

from hexr.llm._anthropic import AnthropicAdapter
from hexr.llm._openai import OpenAIAdapter

_NOT_GIVEN = object()  # stands in for the SDKs' NOT_GIVEN sentinel


@pytest.mark.parametrize("adapter", [OpenAIAdapter(), AnthropicAdapter()])
def test_sampling_parameters(adapter: Any) -> None:
    attrs = adapter.request_attributes(
        {"model": "m", "max_tokens": 50, "temperature": 1, "top_p": 0.9}
    )
    assert attrs == {
        "gen_ai.request.model": "m",
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.temperature": 1.0,
        "gen_ai.request.top_p": 0.9,
    }
    assert isinstance(attrs["gen_ai.request.temperature"], float)


@pytest.mark.parametrize("adapter", [OpenAIAdapter(), AnthropicAdapter()])
def test_unset_or_odd_parameters_are_left_out(adapter: Any) -> None:
    attrs = adapter.request_attributes(
        {"model": None, "max_tokens": _NOT_GIVEN, "temperature": "hot", "top_p": _NOT_GIVEN}
    )
    assert attrs == {"gen_ai.request.model": "None"}


def test_openai_prefers_max_completion_tokens() -> None:
    adapter = OpenAIAdapter()
    both = {"model": "m", "max_completion_tokens": 7, "max_tokens": 50}
    assert adapter.request_attributes(both)["gen_ai.request.max_tokens"] == 7
    given_but_unset = {"model": "m", "max_completion_tokens": _NOT_GIVEN, "max_tokens": 50}
    assert "gen_ai.request.max_tokens" not in adapter.request_attributes(given_but_unset)


def test_anthropic_ignores_openai_only_names() -> None:
    attrs = AnthropicAdapter().request_attributes({"model": "m", "max_completion_tokens": 7})
    assert "gen_ai.request.max_tokens" not in attrs
