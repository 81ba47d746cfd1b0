"""Gateway errors and the one table mapping each to an HTTP status, a code, and whether
an MCP call answers it as a tool error (``isError``) or a JSON-RPC error.

Messages are written for callers: never a credential, an upstream address, a token or a
stack trace. Handlers raise; `error_response` (HTTP) and the MCP layer read the table.
"""

from __future__ import annotations

from typing import NamedTuple

from starlette.responses import JSONResponse

__all__ = [
    "ERROR_TABLE",
    "BadRequest",
    "GatewayError",
    "InvalidArguments",
    "PayloadTooLarge",
    "PermissionDenied",
    "RateLimited",
    "SpecRejected",
    "Unauthenticated",
    "Unavailable",
    "UnknownTool",
    "UpstreamFailed",
    "UpstreamTimeout",
    "UpstreamTooLarge",
    "error_code",
    "error_response",
    "jsonrpc_code",
]


class GatewayError(Exception):
    """Base of every error the gateway answers with; ``message`` is safe to return."""

    message = "internal error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class BadRequest(GatewayError):
    """The request body is malformed."""

    message = "malformed request"


class PayloadTooLarge(GatewayError):
    """The request body exceeds the size limit."""

    message = "request body too large"


class Unauthenticated(GatewayError):
    """No JWT-SVID, or one that does not verify."""

    message = "missing or invalid JWT-SVID"


class PermissionDenied(GatewayError):
    """Policy denies this identity the action."""

    message = "policy denies this action to the caller"


class UnknownTool(GatewayError):
    """No such tool in the caller's tool set (also what a denied call looks like)."""

    message = "unknown tool"


class InvalidArguments(GatewayError):
    """The arguments do not match the tool's input schema (refused before the upstream)."""

    message = "invalid arguments"


class RateLimited(GatewayError):
    """A rate limit for this tenant, agent or tool is exhausted."""

    message = "rate limit exceeded"

    def __init__(self, message: str | None = None, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class SpecRejected(GatewayError):
    """A registered spec is not a usable OpenAPI document or is not allowed."""

    message = "spec rejected"


class UpstreamFailed(GatewayError):
    """The upstream could not be reached or broke off its answer."""

    message = "upstream request failed"


class UpstreamTimeout(UpstreamFailed):
    """The upstream did not answer in time."""

    message = "upstream timed out"


class UpstreamTooLarge(UpstreamFailed):
    """The upstream answer exceeds the response size bound."""

    message = "upstream answer too large"


class Unavailable(GatewayError):
    """A dependency (vault, rate-limit store) is unavailable; the call is refused."""

    message = "gateway dependency unavailable"


class ErrorMapping(NamedTuple):
    """How one error type is answered: HTTP status, stable code, JSON-RPC code or None
    when an MCP ``tools/call`` answers it as a tool result with ``isError``."""

    status: int
    code: str
    jsonrpc: int | None


ERROR_TABLE: dict[type[GatewayError], ErrorMapping] = {
    BadRequest: ErrorMapping(400, "bad_request", -32600),
    Unauthenticated: ErrorMapping(401, "unauthenticated", -32001),
    PermissionDenied: ErrorMapping(403, "permission_denied", None),
    UnknownTool: ErrorMapping(404, "unknown_tool", -32602),
    PayloadTooLarge: ErrorMapping(413, "payload_too_large", -32600),
    InvalidArguments: ErrorMapping(422, "invalid_arguments", None),
    SpecRejected: ErrorMapping(422, "spec_rejected", -32602),
    RateLimited: ErrorMapping(429, "rate_limited", None),
    UpstreamTimeout: ErrorMapping(504, "upstream_timeout", None),
    UpstreamTooLarge: ErrorMapping(502, "upstream_too_large", None),
    UpstreamFailed: ErrorMapping(502, "upstream_failed", None),
    Unavailable: ErrorMapping(503, "unavailable", None),
    GatewayError: ErrorMapping(500, "internal", -32603),
}


def _mapping(error: GatewayError) -> ErrorMapping:
    return next(ERROR_TABLE[cls] for cls in type(error).__mro__ if cls in ERROR_TABLE)


def error_code(error: GatewayError) -> str:
    """The stable code of ``error`` (also the ``error_type`` metric label)."""
    return _mapping(error).code


def jsonrpc_code(error: GatewayError) -> int | None:
    """The JSON-RPC code of ``error``, or None when MCP answers it as a tool error."""
    return _mapping(error).jsonrpc


def error_response(error: GatewayError) -> JSONResponse:
    """The JSON answer for ``error`` (most specific table entry wins)."""
    mapping = _mapping(error)
    headers: dict[str, str] = {}
    if mapping.status == 401:
        headers["www-authenticate"] = "Bearer"
    if isinstance(error, RateLimited):
        headers["retry-after"] = str(max(1, round(error.retry_after)))
    return JSONResponse(
        {"error": {"code": mapping.code, "message": error.message}},
        status_code=mapping.status,
        headers=headers or None,
    )
