"""The fake LLM server's ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hexr_fakellm._anthropic import create_anthropic_routes
from hexr_fakellm._openai import create_openai_routes

__all__ = ["create_app"]


async def healthz(request: Request) -> Response:
    """Liveness probe."""
    return PlainTextResponse("ok\n")


def create_app() -> Starlette:
    """OpenAI- and Anthropic-compatible endpoints plus ``/healthz``."""
    routes = [Route("/healthz", healthz), *create_openai_routes(), *create_anthropic_routes()]
    return Starlette(routes=routes)
