"""Route factories of the injector: exchange, sealing key, health."""

from __future__ import annotations

import anyio
from opentelemetry import propagate
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hexr.bounded import BodyTooLarge, aread_bounded
from hexr_injector._peer import peer_of
from hexr_injector._service import CredentialService
from hexr_injector.errors import PayloadTooLarge, RequestTimeout

__all__ = ["create_exchange_routes", "create_health_routes", "read_bounded"]


async def read_bounded(request: Request, limit: int, timeout: float | None = None) -> bytes:
    """The request body, refusing more than ``limit`` bytes or more than ``timeout`` seconds.

    Raises:
        PayloadTooLarge: declared or actual size above ``limit``.
        RequestTimeout: the whole body did not arrive within ``timeout`` (a slow sender
            must not hold a connection and a task).
    """
    if timeout is None:
        return await _read_body(request, limit)
    try:
        with anyio.fail_after(timeout):
            return await _read_body(request, limit)
    except TimeoutError:
        raise RequestTimeout(f"request body not received within {timeout:g} s") from None


async def _read_body(request: Request, limit: int) -> bytes:
    try:
        return await aread_bounded(request.stream(), limit, request.headers.get("content-length"))
    except BodyTooLarge:
        raise PayloadTooLarge(f"request body larger than {limit} bytes") from None


def create_exchange_routes(
    service: CredentialService, max_body_bytes: int, body_timeout: float | None = None
) -> list[Route]:
    """``POST /exchange`` and ``POST /sealing-key``."""

    async def exchange(request: Request) -> Response:
        body = await read_bounded(request, max_body_bytes, body_timeout)
        parent = propagate.extract(request.headers)
        answer = await service.exchange(
            request.headers.get("authorization"), body, parent, peer_of(request.scope)
        )
        return Response(
            answer, media_type="application/json", headers={"cache-control": "no-store"}
        )

    async def sealing_key(request: Request) -> Response:
        await read_bounded(request, max_body_bytes, body_timeout)
        answer = await service.sealing_key(
            request.headers.get("authorization"), peer_of(request.scope)
        )
        return JSONResponse(answer, headers={"cache-control": "no-store"})

    return [
        Route("/exchange", exchange, methods=["POST"]),
        Route("/sealing-key", sealing_key, methods=["POST"]),
    ]


def create_health_routes() -> list[Route]:
    """``GET /healthz``."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return [Route("/healthz", healthz, methods=["GET"])]
