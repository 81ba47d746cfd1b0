"""OpenAI-compatible ``/v1/chat/completions`` and ``/v1/models``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hexr_fakellm._reply import (
    STREAM_ERROR_MODEL,
    FakeError,
    Reply,
    make_reply,
    request_id,
)
from hexr_fakellm._request import read_json, requested_model

__all__ = ["create_openai_routes", "openai_error"]

_MISTRAL_AGENT = "mistral-client-python/"
"""How the User-Agent of Mistral's Python SDK starts."""

CREATED = 1_700_000_000
"""Fixed ``created`` timestamp: responses are byte-for-byte deterministic."""


def openai_error(exc: FakeError) -> JSONResponse:
    """An error body in OpenAI's format."""
    body = {"error": {"message": exc.message, "type": exc.kind, "param": None, "code": None}}
    return JSONResponse(body, status_code=exc.status)


def _usage(reply: Reply) -> dict[str, int]:
    return {
        "prompt_tokens": reply.input_tokens,
        "completion_tokens": reply.output_tokens,
        "total_tokens": reply.input_tokens + reply.output_tokens,
    }


def _chunk(cid: str, model: str, delta: dict[str, Any], finish: str | None) -> str:
    body = {
        "id": cid,
        "object": "chat.completion.chunk",
        "created": CREATED,
        "model": model,
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    return f"data: {json.dumps(body)}\n\n"


async def _stream(
    cid: str, model: str, reply: Reply, include_usage: bool, usage_on_finish: bool = False
) -> AsyncIterator[str]:
    yield _chunk(cid, model, {"role": "assistant", "content": ""}, None)
    for index, word in enumerate(reply.words):
        if model == STREAM_ERROR_MODEL and index == 2:
            error = {"error": {"message": "stream broke (fake)", "type": "api_error"}}
            yield f"data: {json.dumps(error)}\n\n"
            return
        yield _chunk(cid, model, {"content": word if index == 0 else " " + word}, None)
    if usage_on_finish:
        # Mistral's API (same wire format, no stream_options): usage rides on the last chunk.
        finish = json.loads(_chunk(cid, model, {}, reply.finish)[len("data: "):])
        yield f"data: {json.dumps({**finish, 'usage': _usage(reply)})}\n\n"
    else:
        yield _chunk(cid, model, {}, reply.finish)
    if include_usage:
        body = {
            "id": cid,
            "object": "chat.completion.chunk",
            "created": CREATED,
            "model": model,
            "choices": [],
            "usage": _usage(reply),
        }
        yield f"data: {json.dumps(body)}\n\n"
    yield "data: [DONE]\n\n"


async def chat_completions(request: Request) -> Response:
    """Answer a chat completion, streamed (SSE) or whole."""
    try:
        body = await read_json(request)
        model = requested_model(body)
        max_tokens = body.get("max_completion_tokens", body.get("max_tokens"))
        reply = make_reply(body.get("messages"), max_tokens)
    except FakeError as exc:
        return openai_error(exc)
    cid = request_id("chatcmpl-", body)
    if body.get("stream") is True:
        options = body.get("stream_options") or {}
        include_usage = isinstance(options, dict) and options.get("include_usage") is True
        mistral = request.headers.get("user-agent", "").startswith(_MISTRAL_AGENT)
        return StreamingResponse(
            _stream(cid, model, reply, include_usage, usage_on_finish=mistral),
            media_type="text/event-stream",
        )
    return JSONResponse(
        {
            "id": cid,
            "object": "chat.completion",
            "created": CREATED,
            "model": model,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": reply.text},
                    "finish_reason": reply.finish,
                }
            ],
            "usage": _usage(reply),
        }
    )


async def models(request: Request) -> Response:
    """The model list (any model name is accepted)."""
    return JSONResponse(
        {"object": "list", "data": [{"id": "fake-gpt", "object": "model", "owned_by": "hexr"}]}
    )


def create_openai_routes() -> list[Route]:
    """Routes of the OpenAI-compatible API."""
    return [
        Route("/v1/chat/completions", chat_completions, methods=["POST"]),
        Route("/v1/models", models, methods=["GET"]),
    ]
