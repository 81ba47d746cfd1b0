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
