"""Injector errors and the one table mapping each to an HTTP status and a stable code.

Handlers raise these; `error_response` turns any of them into a JSON body
``{"error": {"code", "message"}}``. Messages are written for callers: they never hold a
token, a credential or a stack trace.
"""

from __future__ import annotations

from typing import NamedTuple

from starlette.responses import JSONResponse

__all__ = [
    "ERROR_TABLE",
    "BadRequest",
    "InjectorError",
    "InvalidRequest",
    "PayloadTooLarge",
    "PolicyDenied",
    "ProviderFailed",
    "RateLimited",
    "RequestTimeout",
    "Unauthenticated",
    "UnknownService",
    "error_response",
]


class InjectorError(Exception):
    """Base of every error the injector answers with; ``message`` is safe to return."""

    message = "internal error"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.message)
        self.message = message or self.message


class BadRequest(InjectorError):
    """The body is not a valid exchange request."""

    message = "malformed request"


class InvalidRequest(InjectorError):
    """The body is JSON but not a valid exchange request (fields, types, sizes)."""

    message = "invalid exchange request"


class PayloadTooLarge(InjectorError):
    """The body exceeds the size limit."""

    message = "request body too large"


class RequestTimeout(InjectorError):
    """The request body did not arrive within the deadline."""

    message = "request body not received in time"


class Unauthenticated(InjectorError):
    """No JWT-SVID, or one that does not verify."""

    message = "missing or invalid JWT-SVID"


class PolicyDenied(InjectorError):
    """Policy does not grant this identity the credential."""

    message = "policy denies this credential to the caller"


class UnknownService(InjectorError):
    """The service is not configured."""

    message = "unknown service"


class RateLimited(InjectorError):
    """The caller exceeded its exchange rate; ``retry_after`` is in seconds."""

    message = "too many exchanges for this identity; retry later"

    def __init__(self, retry_after: int, message: str | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ProviderFailed(InjectorError):
    """The credential provider failed; the message is generic on purpose."""

    message = "credential provider failed"


class ErrorMapping(NamedTuple):
    """How one error type is answered."""

    status: int
    code: str


ERROR_TABLE: dict[type[InjectorError], ErrorMapping] = {
    BadRequest: ErrorMapping(400, "bad_request"),
    Unauthenticated: ErrorMapping(401, "unauthenticated"),
    PolicyDenied: ErrorMapping(403, "permission_denied"),
    UnknownService: ErrorMapping(404, "unknown_service"),
    RequestTimeout: ErrorMapping(408, "request_timeout"),
    PayloadTooLarge: ErrorMapping(413, "payload_too_large"),
    InvalidRequest: ErrorMapping(422, "invalid_request"),
    RateLimited: ErrorMapping(429, "rate_limited"),
    ProviderFailed: ErrorMapping(502, "provider_failed"),
    InjectorError: ErrorMapping(500, "internal"),
}


def error_response(error: InjectorError) -> JSONResponse:
    """The JSON answer for ``error`` (most specific table entry wins)."""
    mapping = next(
        ERROR_TABLE[cls] for cls in type(error).__mro__ if cls in ERROR_TABLE
    )
    headers = {"www-authenticate": "Bearer"} if mapping.status == 401 else None
    if isinstance(error, RateLimited):
        headers = {"retry-after": str(error.retry_after)}
    return JSONResponse(
        {"error": {"code": mapping.code, "message": error.message}},
        status_code=mapping.status,
        headers=headers,
    )
