"""JWKS and OIDC discovery over HTTP, so OpenBao JWT auth and AWS STS can verify JWT-SVIDs."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from hexr_identity._authority import Authorities

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


def create_app(authorities: Authorities, issuer: str) -> Starlette:
    """The JWKS/OIDC HTTP application."""
    return Starlette(routes=create_oidc_routes(authorities, issuer))
