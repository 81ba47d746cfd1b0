"""The fake LLM server's ASGI app."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from hexr_fakellm._anthropic import create_anthropic_routes
from hexr_fakellm._cohere import create_cohere_routes
from hexr_fakellm._google import create_google_routes
from hexr_fakellm._openai import create_openai_routes
from hexr_fakellm._openai_extra import create_openai_extra_routes

__all__ = ["create_app"]


async def healthz(request: Request) -> Response:
    """Liveness probe."""
    return PlainTextResponse("ok\n")


def create_app() -> Starlette:
    """OpenAI-, Anthropic-, Gemini- and Cohere-compatible endpoints plus ``/healthz``."""
    routes = [
        Route("/healthz", healthz),
        *create_openai_routes(),
        *create_openai_extra_routes(),
        *create_anthropic_routes(),
        *create_google_routes(),
        *create_cohere_routes(),
    ]
    return Starlette(routes=routes)
