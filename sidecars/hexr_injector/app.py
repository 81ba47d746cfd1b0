"""`create_app(settings)`: the injector's Starlette application, assembled from parts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from hexr.errors import ConfigError
from hexr_injector._auth import JwksFetcher, JwksKeys, JwtVerifier, fetch_jwks_url
from hexr_injector._config import InjectorConfig, InjectorSettings, load_config
from hexr_injector._ratelimit import RateLimiter
from hexr_injector._routes import create_exchange_routes, create_health_routes
from hexr_injector._sealing import SealingKeys
from hexr_injector._service import CredentialService
from hexr_injector.errors import InjectorError, error_response
from hexr_injector.providers import Provider, build_provider
from hexr_injector.providers.vault_key import CredentialReader
from hexr_policy import PolicyEngine

__all__ = ["build_service", "create_app"]


def _default_vault_reader(config: InjectorConfig) -> Callable[[], CredentialReader]:
    def make() -> CredentialReader:
        from hexr.vault import VaultClient

        reader: CredentialReader = VaultClient(config.vault_addr)
        return reader

    return make


def build_service(
    settings: InjectorSettings,
    config: InjectorConfig,
    *,
    jwks: JwksFetcher | None = None,
    vault_reader: Callable[[], CredentialReader] | None = None,
    bind_to_peer: bool = False,
) -> CredentialService:
    """The exchange service described by ``config``.

    ``bind_to_peer`` requires every JWT-SVID to name the mTLS client (the server entry point
    sets it; in-process ASGI use has no TLS channel to bind to).

    Raises:
        ConfigError: invalid provider options or policy.
    """
    providers: Mapping[str, Provider] = {
        name: build_provider(name, options, vault_reader or _default_vault_reader(config))
        for name, options in config.services.items()
    }
    policy = PolicyEngine.from_files(
        config.policy_files,
        config.policy_rule,
        {"grants": [grant.model_dump() for grant in config.grants]},
    )
    verifier = JwtVerifier(
        JwksKeys(jwks or fetch_jwks_url(config.resolved_jwks_url)),
        audience=config.resolved_audience,
        issuer=config.issuer,
        trust_domain=config.trust_domain,
    )
    sealing = SealingKeys.from_state_dir(settings.state_dir)
    limiter = RateLimiter(config.rate_limit_per_second, config.rate_limit_burst)
    return CredentialService(
        verifier, policy, providers, sealing, bind_to_peer=bind_to_peer, limiter=limiter
    )


async def _injector_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, InjectorError)  # noqa: S101 (registered for this type only)
    return error_response(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)  # noqa: S101 (registered for this type only)
    return JSONResponse(
        {"error": {"code": "http_error", "message": exc.detail}}, status_code=exc.status_code
    )


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Never a traceback to the caller.
    return error_response(InjectorError())


def create_app(
    settings: InjectorSettings | None = None,
    *,
    config: InjectorConfig | None = None,
    service: CredentialService | None = None,
) -> Starlette:
    """The injector application (``config`` defaults to the file named by the settings).

    Raises:
        ConfigError: no configuration, or an invalid one.
    """
    settings = settings or InjectorSettings()
    if service is None:
        if config is None:
            if settings.config is None:
                raise ConfigError("HEXR_INJECTOR_CONFIG must name the injector's YAML config")
            config = load_config(settings.config)
        service = build_service(settings, config)
    chosen = service

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await chosen.aclose()

    return Starlette(
        routes=[
            *create_exchange_routes(chosen, settings.max_body_bytes, settings.body_timeout_s),
            *create_health_routes(),
        ],
        exception_handlers={
            InjectorError: _injector_error,
            HTTPException: _http_error,
            Exception: _unexpected,
        },
        lifespan=lifespan,
    )
