"""Cohere v2-compatible ``/v2/chat`` (whole and SSE-streamed) and ``/v2/embed``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hexr_fakellm._reply import FakeError, Reply, make_reply, request_id
from hexr_fakellm._request import read_json, requested_model

__all__ = ["create_cohere_routes"]

_FINISH = {"stop": "COMPLETE", "length": "MAX_TOKENS"}


def _error(exc: FakeError) -> JSONResponse:
    return JSONResponse({"message": exc.message}, status_code=exc.status)


def _usage(reply: Reply) -> dict[str, Any]:
    tokens = {"input_tokens": reply.input_tokens, "output_tokens": reply.output_tokens}
    return {"billed_units": dict(tokens), "tokens": tokens}


def _event(data: dict[str, Any]) -> str:
    return f"event: {data['type']}\ndata: {json.dumps(data)}\n\n"


async def _stream(cid: str, reply: Reply) -> AsyncIterator[str]:
    yield _event(
        {"type": "message-start", "id": cid, "delta": {"message": {"role": "assistant"}}}
    )
    yield _event(
        {"type": "content-start", "index": 0,
         "delta": {"message": {"content": {"type": "text", "text": ""}}}}
    )
    for index, word in enumerate(reply.words):
        text = word if index == 0 else " " + word
        yield _event(
            {"type": "content-delta", "index": 0,
             "delta": {"message": {"content": {"text": text}}}}
        )
    yield _event({"type": "content-end", "index": 0})
    yield _event(
        {"type": "message-end", "id": cid,
         "delta": {"finish_reason": _FINISH[reply.finish], "usage": _usage(reply)}}
    )


async def chat(request: Request) -> Response:
    """Answer a v2 chat request, streamed (``"stream": true``) or whole."""
    try:
        body = await read_json(request)
        requested_model(body)
        reply = make_reply(body.get("messages"), body.get("max_tokens"))
    except FakeError as exc:
        return _error(exc)
    cid = request_id("cohere-", body)
    if body.get("stream") is True:
        return StreamingResponse(_stream(cid, reply), media_type="text/event-stream")
    return JSONResponse(
        {
            "id": cid,
            "finish_reason": _FINISH[reply.finish],
            "message": {"role": "assistant", "content": [{"type": "text", "text": reply.text}]},
            "usage": _usage(reply),
        }
    )


async def embed(request: Request) -> Response:
    """Deterministic 4-dimensional embeddings; one input token per word."""
    try:
        body = await read_json(request)
        requested_model(body)
        texts = body.get("texts")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            raise FakeError(400, "invalid_request_error", "texts must be a list of strings")
    except FakeError as exc:
        return _error(exc)
    vectors = [[float(len(t)), float(len(t.split())), 0.0, 1.0] for t in texts]
    return JSONResponse(
        {
            "id": request_id("embed-", body),
            "embeddings": {"float": vectors},
            "texts": texts,
            "response_type": "embeddings_by_type",
            "meta": {"billed_units": {"input_tokens": sum(len(t.split()) for t in texts)}},
        }
    )


def create_cohere_routes() -> list[Route]:
    """Routes of the Cohere v2 API."""
    return [
        Route("/v2/chat", chat, methods=["POST"]),
        Route("/v2/embed", embed, methods=["POST"]),
    ]
