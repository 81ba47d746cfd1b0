"""Plain HTTP routes beside MCP: health, tool listing for operators, spec registration."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hexr_gateway._service import GatewayService
from hexr_gateway.errors import BadRequest, PayloadTooLarge

__all__ = ["create_admin_routes", "create_health_routes", "read_bounded"]


class RegisterBody(BaseModel):
    """``POST /v1/specs`` body."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    spec: dict[str, Any] | str
    base_url: str | None = Field(default=None, pattern=r"^https?://", max_length=2048)
    tenant: str | None = Field(default=None, max_length=128)


async def read_bounded(request: Request, limit: int) -> bytes:
    """The request body, refusing more than ``limit`` bytes without reading them all.

    Raises:
        PayloadTooLarge: declared or actual size above ``limit``.
    """
    declared = request.headers.get("content-length")
    if declared is not None and (not declared.isdigit() or int(declared) > limit):
        raise PayloadTooLarge(f"request body larger than {limit} bytes")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"request body larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def create_admin_routes(service: GatewayService, max_body_bytes: int) -> list[Route]:
    """``GET /v1/tools[?tenant=T]`` and ``POST /v1/specs``."""

    async def tools(request: Request) -> Response:
        caller = await service.authenticate(request.headers.get("authorization"))
        tenant = request.query_params.get("tenant") or None
        listed = await service.list_tools(caller, tenant)
        return JSONResponse({"tools": [t.summary() for t in listed]},
                            headers={"cache-control": "no-store"})

    async def register(request: Request) -> Response:
        caller = await service.authenticate(request.headers.get("authorization"))
        body = await read_bounded(request, max_body_bytes)
        try:
            parsed = RegisterBody.model_validate(json.loads(body))
        except (ValueError, ValidationError):
            raise BadRequest("body must be {name, spec, base_url?, tenant?}") from None
        answer = await service.register_spec(
            caller, parsed.name, parsed.spec, parsed.base_url, parsed.tenant
        )
        return JSONResponse(answer, status_code=201)

    return [
        Route("/v1/tools", tools, methods=["GET"]),
        Route("/v1/specs", register, methods=["POST"]),
    ]


def create_health_routes() -> list[Route]:
    """``GET /healthz``."""

    async def healthz(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    return [Route("/healthz", healthz, methods=["GET"])]
