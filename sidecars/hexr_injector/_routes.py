"""Route factories of the injector: exchange, sealing key, health."""

from __future__ import annotations

from opentelemetry import propagate
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hexr.bounded import BodyTooLarge, aread_bounded
from hexr_injector._peer import peer_of
from hexr_injector._service import CredentialService
from hexr_injector.errors import PayloadTooLarge

__all__ = ["create_exchange_routes", "create_health_routes", "read_bounded"]


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading them all.

    Raises:
        PayloadTooLarge: declared or actual size above ``limit``.
    """
    try:
        return await aread_bounded(request.stream(), limit, request.headers.get("content-length"))
    except BodyTooLarge:
        raise PayloadTooLarge(f"request body larger than {limit} bytes") from None


def create_exchange_routes(service: CredentialService, max_body_bytes: int) -> list[Route]:
    """``POST /exchange`` and ``POST /sealing-key``."""

    async def exchange(request: Request) -> Response:
        body = await read_bounded(request, max_body_bytes)
        parent = propagate.extract(request.headers)
        answer = await service.exchange(
            request.headers.get("authorization"), body, parent, peer_of(request.scope)
        )
        return Response(
            answer, media_type="application/json", headers={"cache-control": "no-store"}
        )

    async def sealing_key(request: Request) -> Response:
        await read_bounded(request, max_body_bytes)
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
