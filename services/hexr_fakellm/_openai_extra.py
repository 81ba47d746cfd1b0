"""OpenAI-compatible ``/v1/responses`` (whole and streamed) and ``/v1/embeddings``.

Mistral's ``/v1/embeddings`` has the same shape (``input`` list, ``usage``), so one route
serves both clients.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hexr_fakellm._openai import CREATED, openai_error
from hexr_fakellm._reply import FakeError, Reply, make_reply, request_id
from hexr_fakellm._request import read_json, requested_model

__all__ = ["create_openai_extra_routes"]


def _input_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    value = body.get("input")
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if isinstance(value, list):
        return [m for m in value if isinstance(m, dict)]
    raise FakeError(400, "invalid_request_error", "input must be a string or a list")


def _response(rid: str, model: str, reply: Reply | None, status: str) -> dict[str, Any]:
    output: list[dict[str, Any]] = []
    usage = None
    if reply is not None:
        output = [
            {
                "type": "message",
                "id": "msg_" + rid[5:],
                "status": "completed",
                "role": "assistant",
                "content": [{"type": "output_text", "text": reply.text, "annotations": []}],
            }
        ]
        usage = {
            "input_tokens": reply.input_tokens,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": reply.output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": reply.input_tokens + reply.output_tokens,
        }
    incomplete = reply is not None and reply.finish == "length"
    return {
        "id": rid,
        "object": "response",
        "created_at": CREATED,
        "model": model,
        "status": "incomplete" if incomplete and status == "completed" else status,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "output": output,
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
        "usage": usage,
    }


async def _stream(rid: str, model: str, reply: Reply) -> AsyncIterator[str]:
    sequence = 0

    def event(kind: str, data: dict[str, Any]) -> str:
        nonlocal sequence
        sequence += 1
        payload = {"type": kind, "sequence_number": sequence, **data}
        return f"event: {kind}\ndata: {json.dumps(payload)}\n\n"

    yield event("response.created", {"response": _response(rid, model, None, "in_progress")})
    for index, word in enumerate(reply.words):
        yield event(
            "response.output_text.delta",
            {"item_id": "msg_" + rid[5:], "output_index": 0, "content_index": 0,
             "delta": word if index == 0 else " " + word, "logprobs": []},
        )
    yield event("response.completed", {"response": _response(rid, model, reply, "completed")})


async def responses(request: Request) -> Response:
    """Answer a Responses API request."""
    try:
        body = await read_json(request)
        model = requested_model(body)
        instructions = body.get("instructions")
        reply = make_reply(_input_messages(body), body.get("max_output_tokens"), instructions)
    except FakeError as exc:
        return openai_error(exc)
    rid = request_id("resp_", body)
    if body.get("stream") is True:
        return StreamingResponse(_stream(rid, model, reply), media_type="text/event-stream")
    return JSONResponse(_response(rid, model, reply, "completed"))


async def embeddings(request: Request) -> Response:
    """Deterministic 4-dimensional embeddings; one token per word of input."""
    try:
        body = await read_json(request)
        model = requested_model(body)
        value = body.get("input", body.get("inputs"))
        texts = [value] if isinstance(value, str) else value
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise FakeError(400, "invalid_request_error", "input must be strings")
    except FakeError as exc:
        return openai_error(exc)
    tokens = sum(len(t.split()) for t in texts)
    return JSONResponse(
        {
            "id": request_id("embd-", body),
            "object": "list",
            "model": model,
            "data": [
                {"object": "embedding", "index": i,
                 "embedding": [float(len(t)), float(len(t.split())), 0.0, 1.0]}
                for i, t in enumerate(texts)
            ],
            "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
        }
    )


def create_openai_extra_routes() -> list[Route]:
    """Routes of the Responses and embeddings APIs."""
    return [
        Route("/v1/responses", responses, methods=["POST"]),
        Route("/v1/embeddings", embeddings, methods=["POST"]),
    ]
