"""Bounded, well-formed input before a2a-sdk sees it; spec-conformant headers after.

Requests: a body over the limit, not UTF-8, nested too deep, or a JSON-RPC call with a
non-JSON content type is answered here with the JSON-RPC error the spec names (REST gets
the HTTP status), so a2a-sdk never parses something unbounded and no stack trace leaves.
Responses: REST answers carry ``Content-Type: application/json`` (A2A 1.0 §11.1; a2a-sdk
uses another media type), and the card gets ``Last-Modified``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from email.utils import formatdate
from typing import Any

__all__ = ["LimitsMiddleware", "json_depth"]

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
CONTENT_TYPE_NOT_SUPPORTED = -32005
_CARD_PATHS = frozenset({"/.well-known/agent-card.json", "/.well-known/agent.json"})


def json_depth(text: str, limit: int) -> bool:
    """Whether the JSON text nests deeper than ``limit`` (brackets outside strings)."""
    depth = 0
    in_string = False
    escaped = False
    for char in text:
        if in_string:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == '"':
                in_string = False
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            if depth > limit:
                return True
        elif char in "]}":
            depth -= 1
    return False


class LimitsMiddleware:
    """Reject oversized, non-UTF-8 or too deeply nested bodies; fix response headers."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        jsonrpc_path: str,
        rest_path: str,
        max_body_bytes: int = 1 << 20,
        max_depth: int = 32,
        started: float = 0.0,
    ) -> None:
        self._app = app
        self._jsonrpc = jsonrpc_path
        self._rest = rest_path
        self._max = max_body_bytes
        self._depth = max_depth
        self._last_modified = formatdate(started, usegmt=True).encode()

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Check the body of POSTs, then call the app with the body replayed."""
        if scope["type"] != "http":
            await self._app(scope, receive, send)
            return
        path: str = scope["path"]
        send = self._wrap_send(path, send)
        if scope["method"] != "POST":
            await self._app(scope, receive, send)
            return
        is_rpc = path.startswith(self._jsonrpc)
        if is_rpc:
            content_type = _header(scope, b"content-type").split(";")[0].strip().lower()
            if content_type not in ("application/json", "application/a2a+json"):
                await _error(
                    send, is_rpc, 415, CONTENT_TYPE_NOT_SUPPORTED, "Content type not supported"
                )
                return
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = message.get("more_body", False)
            if len(body) > self._max:
                await _error(send, is_rpc, 413, INVALID_REQUEST, "Request body too large")
                return
        try:
            text = bytes(body).decode("utf-8")
        except UnicodeDecodeError:
            await _error(send, is_rpc, 400, PARSE_ERROR, "Body is not valid UTF-8")
            return
        if json_depth(text, self._depth):
            await _error(send, is_rpc, 400, INVALID_REQUEST, "JSON nested too deeply")
            return
        if is_rpc:
            scope["hexr.method"] = _rpc_method(text)
        replayed = False

        async def replay() -> dict[str, Any]:
            nonlocal replayed
            if replayed:
                following: dict[str, Any] = await receive()
                return following
            replayed = True
            return {"type": "http.request", "body": bytes(body), "more_body": False}

        await self._app(scope, replay, send)

    def _wrap_send(self, path: str, send: Any) -> Any:
        is_rest = path.startswith(self._rest)
        is_card = path in _CARD_PATHS
        if not (is_rest or is_card):
            return send

        async def wrapped(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if is_card:
                    headers.append((b"last-modified", self._last_modified))
                if is_rest:
                    headers = [
                        (k, b"application/json")
                        if k.lower() == b"content-type" and v.startswith(b"application/a2a+json")
                        else (k, v)
                        for k, v in headers
                    ]
                message = {**message, "headers": headers}
            await send(message)

        return wrapped


_METHOD = re.compile(r'"method"\s*:\s*"([A-Za-z0-9_/]{1,48})"')


def _rpc_method(text: str) -> str:
    """The JSON-RPC method named in a (validated) body, for metric labels only."""
    found = _METHOD.search(text[:4096]) or _METHOD.search(text)
    return found.group(1) if found else "invalid"


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


async def _error(send: Any, is_rpc: bool, status: int, code: int, message: str) -> None:
    if is_rpc:
        # JSON-RPC errors travel in a 200 answer (the JSON-RPC over HTTP convention a2a-sdk
        # follows for its own errors), so clients read the code the same way.
        document: dict[str, Any] = {
            "jsonrpc": "2.0",
            "id": None,
            "error": {"code": code, "message": message},
        }
        status = 200
    else:
        document = {"error": {"code": status, "message": message}}
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
