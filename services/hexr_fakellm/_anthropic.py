"""Anthropic-compatible ``/v1/messages`` (whole and streamed)."""

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

__all__ = ["anthropic_error", "create_anthropic_routes"]

_STOP = {"stop": "end_turn", "length": "max_tokens"}


def anthropic_error(exc: FakeError) -> JSONResponse:
    """An error body in Anthropic's format."""
    body = {"type": "error", "error": {"type": exc.kind, "message": exc.message}}
    return JSONResponse(body, status_code=exc.status)


def _event(kind: str, data: dict[str, Any]) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **data})}\n\n"


async def _stream(mid: str, model: str, reply: Reply) -> AsyncIterator[str]:
    message: dict[str, Any] = {
        "id": mid,
        "type": "message",
        "role": "assistant",
        "content": [],
        "model": model,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": {"input_tokens": reply.input_tokens, "output_tokens": 1},
    }
    yield _event("message_start", {"message": message})
    yield _event("content_block_start", {"index": 0, "content_block": {"type": "text", "text": ""}})
    for index, word in enumerate(reply.words):
        if model == STREAM_ERROR_MODEL and index == 2:
            error = {"type": "api_error", "message": "stream broke (fake)"}
            yield _event("error", {"error": error})
            return
        text = word if index == 0 else " " + word
        yield _event(
            "content_block_delta", {"index": 0, "delta": {"type": "text_delta", "text": text}}
        )
    yield _event("content_block_stop", {"index": 0})
    yield _event(
        "message_delta",
        {
            "delta": {"stop_reason": _STOP[reply.finish], "stop_sequence": None},
            "usage": {"output_tokens": reply.output_tokens},
        },
    )
    yield _event("message_stop", {})


async def messages(request: Request) -> Response:
    """Answer a Messages API request, streamed (SSE) or whole."""
    try:
        body = await read_json(request)
        model = requested_model(body)
        if not isinstance(body.get("max_tokens"), int):
            raise FakeError(400, "invalid_request_error", "max_tokens is required")
        reply = make_reply(body.get("messages"), body["max_tokens"], body.get("system"))
    except FakeError as exc:
        return anthropic_error(exc)
    mid = request_id("msg_", body)
    if body.get("stream") is True:
        return StreamingResponse(_stream(mid, model, reply), media_type="text/event-stream")
    return JSONResponse(
        {
            "id": mid,
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": [{"type": "text", "text": reply.text}],
            "stop_reason": _STOP[reply.finish],
            "stop_sequence": None,
            "usage": {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens},
        }
    )


def create_anthropic_routes() -> list[Route]:
    """Routes of the Anthropic-compatible API."""
    return [Route("/v1/messages", messages, methods=["POST"])]
