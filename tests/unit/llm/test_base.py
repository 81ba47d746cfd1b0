"""`LLMTelemetry`: per-client state between calls."""

from __future__ import annotations

import pytest

from hexr.llm._base import LLMTelemetry
from hexr.llm._openai import OpenAIAdapter
from hexr.telemetry import _setup


def test_before_setup_a_call_does_not_rebuild_the_clients_labels(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Until setup() runs, a wrapped client keeps its environment defaults; it must not
    # redo its configuration (and rebuild every label set) on each call meanwhile.
    monkeypatch.setattr(_setup, "_handle", None)
    tel = LLMTelemetry(OpenAIAdapter())
    first = tel.start({"model": "before-setup-probe"}, stream=False)
    second = tel.start({"model": "before-setup-probe"}, stream=False)
    for call in (first, second):
        call.finish(None)
    assert first.labels is second.labels


@pytest.mark.parametrize("provider", ["openai", "anthropic"])
def test_derived_clients_share_the_clients_telemetry(provider: str) -> None:
    # client.with_options(...) per request is a documented pattern: it must not build a
    # new LLMTelemetry (instruments, price table, label caches) every time.
    import anthropic
    import openai

    from hexr import hexr_llm

    if provider == "openai":
        client = hexr_llm(openai.OpenAI(api_key="k", base_url="http://127.0.0.1:9/v1"))

        def tel_of(c: object) -> object:
            return c.chat.completions._self_tel  # type: ignore[attr-defined]
    else:
        client = hexr_llm(anthropic.Anthropic(api_key="k", base_url="http://127.0.0.1:9"))

        def tel_of(c: object) -> object:
            return c.messages._self_tel  # type: ignore[attr-defined]

    derived = client.with_options(timeout=5.0)
    copied = derived.copy(max_retries=1)
    assert type(derived) is type(client)
    assert tel_of(derived) is tel_of(client)
    assert tel_of(copied) is tel_of(client)


@pytest.mark.parametrize("bogus", ["12", -3, float("-inf"), float("nan"), 2.5, True])
def test_a_bogus_usage_block_neither_raises_nor_corrupts_counters(bogus: object) -> None:
    # OpenAI-compatible servers vary; the SDKs build responses without validation, so a
    # usage count can be anything. The caller's successful call must still succeed.
    from types import SimpleNamespace

    tel = LLMTelemetry(OpenAIAdapter())
    call = tel.start({"model": "bogus-usage-probe"}, stream=False)
    before = (call.labels.input_tokens.value, call.labels.output_tokens.value)
    usage = SimpleNamespace(prompt_tokens=bogus, completion_tokens=bogus)
    call.on_response(SimpleNamespace(id="r", model="bogus-usage-probe", choices=[], usage=usage))
    assert (call.labels.input_tokens.value, call.labels.output_tokens.value) == before


@pytest.mark.parametrize("field", ["id", "model"])
def test_an_odd_response_id_or_model_does_not_fail_the_call(field: str) -> None:
    from types import SimpleNamespace

    tel = LLMTelemetry(OpenAIAdapter())
    call = tel.start({"model": "gpt-4o-mini"}, stream=False)
    usage = SimpleNamespace(prompt_tokens=10, completion_tokens=5)
    response = {"id": "r", "model": "gpt-4o-mini", "choices": [], "usage": usage}
    response[field] = {"unexpected": ["shape"]}
    call.on_response(SimpleNamespace(**response))
    assert call.labels.input_tokens.value >= 10  # still counted, priced by the request
