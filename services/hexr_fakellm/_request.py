"""Bounded JSON request reading."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request

from hexr.bounded import BodyTooLarge, aread_bounded
from hexr_fakellm._reply import ERROR_MODELS, MAX_BODY_BYTES, FakeError

__all__ = ["read_json", "requested_model"]


async def read_json(request: Request) -> dict[str, Any]:
    """The request's JSON object body, at most `MAX_BODY_BYTES`.

    Raises:
        FakeError: the body is too large (413) or not a JSON object (400).
    """
    try:
        raw = await aread_bounded(
            request.stream(), MAX_BODY_BYTES, request.headers.get("content-length")
        )
    except BodyTooLarge:
        raise FakeError(413, "invalid_request_error", "request body too large") from None
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser goes
        raise FakeError(400, "invalid_request_error", "body is not valid JSON") from None
    if not isinstance(body, dict):
        raise FakeError(400, "invalid_request_error", "body must be a JSON object")
    return body


def requested_model(body: dict[str, Any]) -> str:
    """The body's ``model``.

    Raises:
        FakeError: no model (400), or one of `ERROR_MODELS`, answered with its error.
    """
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise FakeError(400, "invalid_request_error", "model is required")
    if model in ERROR_MODELS:
        raise FakeError(*ERROR_MODELS[model])
    return model
