"""The fake LLM server: determinism, bounds and error answers (in-process ASGI)."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from hexr_fakellm import create_app
from hexr_fakellm._reply import MAX_BODY_BYTES, MAX_MESSAGES

BODY = {"model": "m", "messages": [{"role": "user", "content": "one two three"}]}


@pytest.fixture
def client() -> TestClient:
    return TestClient(create_app())


def test_same_request_same_answer(client: TestClient) -> None:
    first = client.post("/v1/chat/completions", json=BODY).json()
    second = client.post("/v1/chat/completions", json=BODY).json()
    assert first == second
    text = first["choices"][0]["message"]["content"]
    assert text == "Hello from hexr-fakellm. You said: one two three"
    assert first["usage"] == {"prompt_tokens": 3, "completion_tokens": 8, "total_tokens": 11}


def test_max_tokens_truncates_with_length_finish(client: TestClient) -> None:
    resp = client.post("/v1/chat/completions", json={**BODY, "max_tokens": 2}).json()
    assert resp["choices"][0]["message"]["content"] == "Hello from"
    assert resp["choices"][0]["finish_reason"] == "length"
    msg = client.post("/v1/messages", json={**BODY, "max_tokens": 2}).json()
    assert msg["stop_reason"] == "max_tokens"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b"{not json", 400),
        (b"[1, 2]", 400),
        (b'{"messages": []}', 400),
        (b'{"model": "m", "messages": "hi"}', 400),
        (b'{"model": "fake-error-429", "messages": [{"role": "user", "content": "x"}]}', 429),
        (b'{"model": "fake-error-500", "messages": [{"role": "user", "content": "x"}]}', 500),
        (b"[" * 100_000 + b"]" * 100_000, 400),  # nesting deeper than the parser recurses
        (b'{"model": "m", "metadata": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", 400),
    ],
)
def test_bad_requests_get_clear_errors(client: TestClient, body: bytes, status: int) -> None:
    resp = client.post(
        "/v1/chat/completions", content=body, headers={"content-type": "application/json"}
    )
    assert resp.status_code == status
    assert set(resp.json()["error"]) >= {"message", "type"}


def test_inputs_are_bounded(client: TestClient) -> None:
    content = b"x" * MAX_BODY_BYTES
    too_big = b'{"model": "m", "messages": [{"role": "user", "content": "' + content + b'"}]}'
    assert client.post("/v1/chat/completions", content=too_big).status_code == 413
    many = {"model": "m", "messages": [{"role": "user", "content": "x"}] * (MAX_MESSAGES + 1)}
    assert client.post("/v1/chat/completions", json=many).status_code == 400


def test_anthropic_errors_use_its_format(client: TestClient) -> None:
    resp = client.post("/v1/messages", json={"model": "m", "messages": BODY["messages"]})
    assert resp.status_code == 400
    assert resp.json() == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "max_tokens is required"},
    }
