"""`create_app(settings)`: the gateway's Starlette application, assembled from parts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from hexr.errors import ConfigError
from hexr_gateway._auth import JwksFetcher, JwksKeys, JwtVerifier, fetch_jwks_url
from hexr_gateway._catalog import Catalog, load_upstream
from hexr_gateway._config import GatewayConfig, GatewaySettings, load_config
from hexr_gateway._credentials import CredentialCache, UpstreamSecretReader
from hexr_gateway._mcp import McpEndpoint
from hexr_gateway._policy import ToolPolicy
from hexr_gateway._ratelimit import InMemoryCounter, LimitChecker, ValkeyCounter, WindowCounter
from hexr_gateway._routes import create_admin_routes, create_health_routes
from hexr_gateway._service import GatewayService
from hexr_gateway._specstore import InMemorySpecStore, SpecStore, ValkeySpecStore
from hexr_gateway.errors import GatewayError, SpecRejected, error_response

__all__ = ["build_service", "create_app"]


def _default_vault_reader(config: GatewayConfig) -> UpstreamSecretReader | None:
    if not config.vault_addr:
        return None
    from hexr.vault import VaultClient

    return VaultClient(config.vault_addr)


def build_service(
    config: GatewayConfig,
    *,
    jwks: JwksFetcher | None = None,
    vault_reader: Callable[[], UpstreamSecretReader | None] | None = None,
) -> GatewayService:
    """The gateway service described by ``config`` (specs are loaded here).

    Raises:
        ConfigError: invalid policy, or a spec that cannot be loaded.
    """
    try:
        static = [load_upstream(u, config.base_dir) for u in config.upstreams]
    except SpecRejected as exc:
        raise ConfigError(exc.message) from None
    verifier = JwtVerifier(
        JwksKeys(jwks or fetch_jwks_url(config.resolved_jwks_url)),
        audience=config.resolved_audience,
        issuer=config.issuer,
        trust_domain=config.trust_domain,
    )
    counter: WindowCounter
    specs: SpecStore
    if config.valkey_url:
        counter, specs = ValkeyCounter(config.valkey_url), ValkeySpecStore(config.valkey_url)
    else:
        counter, specs = InMemoryCounter(), InMemorySpecStore()
    reader = vault_reader() if vault_reader else _default_vault_reader(config)
    return GatewayService(
        config,
        verifier,
        ToolPolicy.from_config(config),
        Catalog(config, static),
        LimitChecker(config.rate_limits, counter),
        CredentialCache(reader, config.credential_ttl_seconds),
        specs,
    )


async def _gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)  # noqa: S101 (registered for this type only)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 (registered for this type only)
    return JSONResponse(
        {"error": {"code": "http_error", "message": exc.detail}}, status_code=exc.status_code
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Never a traceback to the caller.
    return error_response(GatewayError())


def create_app(
    settings: GatewaySettings | None = None,
    *,
    config: GatewayConfig | None = None,
    service: GatewayService | None = None,
) -> Starlette:
    """The gateway application (``config`` defaults to the file named by the settings).

    Raises:
        ConfigError: no configuration, or an invalid one.
    """
    settings = settings or GatewaySettings()
    if service is None:
        if config is None:
            if settings.config is None:
                raise ConfigError("HEXR_GATEWAY_CONFIG must name the gateway's YAML config")
            config = load_config(settings.config)
        service = build_service(config)
    chosen = service
    endpoint = McpEndpoint(chosen, max_body_bytes=settings.max_body_bytes)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with endpoint.run():
            yield
        await chosen.aclose()

    return Starlette(
        routes=[
            Route("/mcp", endpoint, methods=["GET", "POST", "DELETE"]),
            *create_admin_routes(chosen, settings.max_body_bytes),
            *create_health_routes(),
        ],
        exception_handlers={
            GatewayError: _gateway_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
