"""JWKS and OIDC discovery over HTTP, so OpenBao JWT auth and AWS STS can verify JWT-SVIDs."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hexr_identity._authority import Authorities
from hexr_identity._metrics import IdentityMetrics

__all__ = ["create_app", "create_oidc_routes", "discovery_document"]

_CACHE = "public, max-age=60"


def discovery_document(issuer: str) -> dict[str, object]:
    """The OpenID Provider metadata this service publishes."""
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/keys",
        "authorization_endpoint": "",
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "claims_supported": ["sub", "aud", "exp", "iat", "iss"],
    }


def create_oidc_routes(authorities: Authorities, issuer: str) -> list[Route]:
    """Routes ``/.well-known/openid-configuration`` and ``/keys``."""
    document = discovery_document(issuer)

    async def configuration(request: Request) -> JSONResponse:
        return JSONResponse(document, headers={"Cache-Control": _CACHE})

    async def keys(request: Request) -> JSONResponse:
        return JSONResponse(authorities.jwks(use="sig"), headers={"Cache-Control": _CACHE})

    return [
        Route("/.well-known/openid-configuration", configuration, methods=["GET"]),
        Route("/keys", keys, methods=["GET"]),
    ]


def create_app(
    authorities: Authorities, issuer: str, metrics: IdentityMetrics | None = None
) -> Starlette:
    """The JWKS/OIDC HTTP application (plus ``/metrics`` when ``metrics`` is given)."""
    routes = create_oidc_routes(authorities, issuer)
    if metrics is not None:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        registry = metrics.registry

        async def scrape(request: Request) -> Response:
            return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

        routes.append(Route("/metrics", scrape, methods=["GET"]))
    return Starlette(routes=routes)
