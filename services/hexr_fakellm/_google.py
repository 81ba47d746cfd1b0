"""Google Gemini API-compatible ``generateContent`` and ``streamGenerateContent`` (SSE)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from hexr_fakellm._reply import ERROR_MODELS, FakeError, Reply, make_reply, request_id
from hexr_fakellm._request import read_json

__all__ = ["create_google_routes"]

_FINISH = {"stop": "STOP", "length": "MAX_TOKENS"}
_STATUS = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 429: "RESOURCE_EXHAUSTED"}


def _error(exc: FakeError) -> JSONResponse:
    status = _STATUS.get(exc.status, "INTERNAL")
    body = {"error": {"code": exc.status, "message": exc.message, "status": status}}
    return JSONResponse(body, status_code=exc.status)


def _messages(body: dict[str, Any]) -> tuple[list[dict[str, Any]], Any]:
    """Gemini ``contents`` as chat messages (``model`` turns become assistant ones)."""
    contents = body.get("contents")
    if not isinstance(contents, list):
        raise FakeError(400, "invalid_request_error", "contents must be a list")
    messages = []
    for content in contents:
        if not isinstance(content, dict):
            raise FakeError(400, "invalid_request_error", "each content must be an object")
        role = "assistant" if content.get("role") == "model" else "user"
        messages.append({"role": role, "content": content.get("parts") or []})
    system = body.get("systemInstruction") or body.get("system_instruction")
    system_parts = system.get("parts") if isinstance(system, dict) else None
    return messages, system_parts


def _response(reply: Reply, model: str, rid: str, text: str, finish: bool) -> dict[str, Any]:
    content = {"role": "model", "parts": [{"text": text}]}
    candidate: dict[str, Any] = {"content": content, "index": 0}
    if finish:
        candidate["finishReason"] = _FINISH[reply.finish]
    return {
        "candidates": [candidate],
        "usageMetadata": {
            "promptTokenCount": reply.input_tokens,
            "candidatesTokenCount": reply.output_tokens,
            "totalTokenCount": reply.input_tokens + reply.output_tokens,
        },
        "modelVersion": model,
        "responseId": rid,
    }


async def _stream(reply: Reply, model: str, rid: str) -> AsyncIterator[str]:
    last = len(reply.words) - 1
    for index, word in enumerate(reply.words):
        text = word if index == 0 else " " + word
        body = _response(reply, model, rid, text, finish=index == last)
        yield f"data: {json.dumps(body)}\r\n\r\n"


async def generate(request: Request) -> Response:
    """``POST /v1beta/models/{model}:generateContent`` or ``:streamGenerateContent``."""
    model, _, method = request.path_params["target"].partition(":")
    try:
        if model in ERROR_MODELS:
            raise FakeError(*ERROR_MODELS[model])
        if method not in ("generateContent", "streamGenerateContent"):
            raise FakeError(404, "not_found_error", f"unknown method {method!r}")
        body = await read_json(request)
        messages, system = _messages(body)
        config = body.get("generationConfig") or {}
        max_tokens = config.get("maxOutputTokens") if isinstance(config, dict) else None
        reply = make_reply(messages, max_tokens, system)
    except FakeError as exc:
        return _error(exc)
    rid = request_id("gemini-", body)[:32]
    if method == "streamGenerateContent":
        return StreamingResponse(_stream(reply, model, rid), media_type="text/event-stream")
    return JSONResponse(_response(reply, model, rid, reply.text, finish=True))


def create_google_routes() -> list[Route]:
    """Routes of the Gemini API (both versions the SDK may address)."""
    return [
        Route("/v1beta/models/{target:path}", generate, methods=["POST"]),
        Route("/v1/models/{target:path}", generate, methods=["POST"]),
    ]
