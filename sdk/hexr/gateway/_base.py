"""What both gateway clients share: request bodies, answer parsing, span attributes.

The clients speak MCP's streamable HTTP transport directly (JSON-RPC over POST, JSON
answers; the gateway is stateless, so no session is kept) with httpx, so an agent needs
no MCP library. Tool errors and refusals become `GatewayError` with the gateway's
safe message.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from hexr import _env
from hexr.errors import ConfigError, HexrError

__all__ = [
    "MCP_PROTOCOL_VERSION",
    "GatewayError",
    "Tool",
    "ToolResult",
    "match_tools",
    "parse_rpc",
    "resolve_url",
    "rpc_body",
]

MCP_PROTOCOL_VERSION = "2025-06-18"
DEFAULT_TIMEOUT = 30.0
_MAX_ANSWER_BYTES = 16 * 1024 * 1024
_ids = itertools.count(1)


class GatewayError(HexrError):
    """The gateway refused or failed a request (``code`` is its stable error code)."""

    def __init__(self, message: str, code: str = "gateway_error", status: int | None = None):
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class Tool:
    """A tool the caller may use."""

    name: str
    description: str
    input_schema: dict[str, Any] = field(repr=False)
    upstream: str | None = None


@dataclass(frozen=True)
class ToolResult:
    """A tool's answer: its text, the structured content (``status``, ``body``)."""

    text: str
    structured: dict[str, Any] | None
    is_error: bool

    @property
    def body(self) -> Any:
        """The upstream's decoded body (JSON value or text)."""
        return (self.structured or {}).get("body", self.text)


def resolve_url(url: str | None) -> str:
    """The gateway base URL: the argument, else ``HEXR_GATEWAY_URL``, else the published one.

    The URL carries the agent's JWT-SVID, so it must be https or http on loopback.

    Raises:
        ConfigError: no gateway URL is known, or it would send the token in the clear.
    """
    from hexr.endpoints import check_bearer_url, resolve_endpoint

    url = url or resolve_endpoint(_env.HEXR_GATEWAY_URL)
    if not url:
        raise ConfigError("no gateway URL: set HEXR_GATEWAY_URL (or run `hexr dev up`)")
    return check_bearer_url(url, _env.HEXR_GATEWAY_URL).rstrip("/")


def default_audience(identity: Any) -> str:
    """``HEXR_GATEWAY_AUDIENCE``, else the gateway's SPIFFE ID in the caller's trust domain."""
    explicit = os.environ.get(_env.HEXR_GATEWAY_AUDIENCE)
    if explicit:
        return explicit
    text = str(identity.spiffe_id)
    trust_domain = text[len("spiffe://") :].split("/", 1)[0] if text.startswith("spiffe://") else ""
    return f"spiffe://{trust_domain or 'hexr.local'}/service/gateway"


def rpc_body(method: str, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A JSON-RPC 2.0 request."""
    return {"jsonrpc": "2.0", "id": next(_ids), "method": method, "params": dict(params or {})}


def headers(token: str, carrier: Mapping[str, str]) -> dict[str, str]:
    """Headers of an MCP request with the caller's JWT-SVID and trace context."""
    return {
        "authorization": f"Bearer {token}",
        "accept": "application/json, text/event-stream",
        "content-type": "application/json",
        "mcp-protocol-version": MCP_PROTOCOL_VERSION,
        **carrier,
    }


def http_error(response: httpx.Response) -> GatewayError:
    """The `GatewayError` of a non-2xx answer (the gateway's code and message)."""
    try:
        error = response.json().get("error") or {}
        return GatewayError(str(error.get("message") or response.reason_phrase),
                            str(error.get("code") or "http_error"), response.status_code)
    except (ValueError, AttributeError):
        return GatewayError(f"gateway answered HTTP {response.status_code}", "http_error",
                            response.status_code)


def parse_rpc(response: httpx.Response) -> dict[str, Any]:
    """The ``result`` of a JSON-RPC answer.

    Raises:
        GatewayError: HTTP error, JSON-RPC error, or an answer that is not JSON-RPC.
    """
    if response.status_code >= 400:
        raise http_error(response)
    if len(response.content) > _MAX_ANSWER_BYTES:
        raise GatewayError("gateway answer too large", "answer_too_large")
    try:
        document = json.loads(response.content)
    except ValueError:
        raise GatewayError("gateway answer is not JSON", "bad_answer") from None
    if not isinstance(document, dict):
        raise GatewayError("gateway answer is not JSON-RPC", "bad_answer")
    if "error" in document:
        error = document["error"] or {}
        raise GatewayError(str(error.get("message", "error")), f"jsonrpc_{error.get('code')}")
    result = document.get("result")
    if not isinstance(result, dict):
        raise GatewayError("gateway answer has no result", "bad_answer")
    return result


def tools_from(result: Mapping[str, Any]) -> list[Tool]:
    """Tools of a ``tools/list`` result or a ``/v1/tools`` answer."""
    return [
        Tool(str(t.get("name")), str(t.get("description") or ""),
             dict(t.get("inputSchema") or {}), t.get("upstream"))
        for t in result.get("tools") or [] if isinstance(t, dict)
    ]


def tool_result(result: Mapping[str, Any]) -> ToolResult:
    """A ``tools/call`` result."""
    texts = [str(c.get("text", "")) for c in result.get("content") or []
             if isinstance(c, dict) and c.get("type") == "text"]
    structured = result.get("structuredContent")
    return ToolResult("\n".join(texts), structured if isinstance(structured, dict) else None,
                      bool(result.get("isError")))


def match_tools(tools: list[Tool], query: str, limit: int) -> list[Tool]:
    """Tools ranked by how many query words their name and description contain."""
    # A crude stem ("items" finds "item"): tool descriptions are short, exact words rare.
    words = [w[:-1] if len(w) > 3 and w.endswith("s") else w for w in query.lower().split()]
    scored = []
    for tool in tools:
        text = f"{tool.name} {tool.description}".lower().replace("_", " ")
        score = sum(text.count(w) for w in words) + sum(3 for w in words if w in tool.name.lower())
        if score:
            scored.append((score, tool.name, tool))
    scored.sort(key=lambda s: (-s[0], s[1]))
    return [t for _, _, t in scored[:limit]]
