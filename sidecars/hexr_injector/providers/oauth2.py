"""OAuth 2.0 Token Exchange (RFC 8693): the caller's JWT-SVID as the subject token."""

from __future__ import annotations

import json
import os
import time
from typing import ClassVar, Literal

import httpx
from pydantic import Field

from hexr.credentials import Credential
from hexr.errors import ConfigError
from hexr_injector._limits import AnswerTooLarge, read_limited
from hexr_injector.errors import ProviderFailed
from hexr_injector.providers._base import ExchangeRequest, Provider, ProviderOptions

__all__ = ["OAuth2Options", "OAuth2TokenExchangeProvider"]

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:jwt"  # noqa: S105 (a URN)
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # noqa: S105 (a URN)
_MAX_ANSWER_BYTES = 64 * 1024
_MAX_TOKEN_CHARS = 8192


class OAuth2Options(ProviderOptions):
    """Options of the ``oauth2`` provider."""

    provider: Literal["oauth2"]
    token_endpoint: str = Field(pattern=r"^https?://")
    client_id: str | None = None
    client_secret_env: str | None = None
    """Name of the env var holding the client secret (never the secret in config)."""
    audience: str | None = None
    scope: str | None = None
    base_url: str | None = None
    """Base URL of the API the token is for; `hexr_tool` builds its client on it."""
    header: str = "authorization"
    prefix: str = "Bearer "
    default_expires_in: int = Field(default=300, ge=1, le=86400)
    timeout_seconds: float = Field(default=10.0, gt=0, le=60)


class OAuth2TokenExchangeProvider(Provider):
    """Exchanges a JWT-SVID for an access token at a token endpoint."""

    name: ClassVar[str] = "oauth2"

    def __init__(self, options: OAuth2Options) -> None:
        """Prepare the token endpoint client (client credentials from the environment).

        Raises:
            ConfigError: ``client_secret_env`` names a variable that is not set.
        """
        self._options = options
        auth: httpx.BasicAuth | None = None
        if options.client_id:
            secret = ""
            if options.client_secret_env:
                # Unset must fail here, loudly: an empty secret would only surface later
                # as every exchange being refused by the token endpoint.
                value = os.environ.get(options.client_secret_env)
                if value is None:
                    raise ConfigError(
                        f"client_secret_env names {options.client_secret_env}, which is not set"
                    )
                secret = value
            auth = httpx.BasicAuth(options.client_id, secret)
        self._http = httpx.AsyncClient(timeout=options.timeout_seconds, auth=auth)

    async def exchange(self, request: ExchangeRequest) -> Credential:
        """POST the token-exchange grant and read the access token."""
        form = {
            "grant_type": GRANT_TYPE,
            "subject_token": request.subject_token,
            "subject_token_type": JWT_TOKEN_TYPE,
            "requested_token_type": ACCESS_TOKEN_TYPE,
        }
        if self._options.audience:
            form["audience"] = self._options.audience
        if self._options.scope:
            form["scope"] = self._options.scope
        try:
            async with self._http.stream(
                "POST", self._options.token_endpoint, data=form
            ) as response:
                if response.status_code != 200:
                    raise ProviderFailed(
                        f"token endpoint refused the exchange ({response.status_code})"
                    )
                content = await read_limited(response, _MAX_ANSWER_BYTES)
        except httpx.HTTPError as exc:
            raise ProviderFailed(f"token endpoint unreachable ({type(exc).__name__})") from exc
        except AnswerTooLarge as exc:
            raise ProviderFailed("token endpoint answer too large") from exc
        try:
            body = json.loads(content)
        except ValueError as exc:
            raise ProviderFailed("token endpoint answer is not JSON") from exc
        token = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(token, str) or not 0 < len(token) <= _MAX_TOKEN_CHARS:
            raise ProviderFailed("token endpoint answered without an access token")
        expires_in = body.get("expires_in", self._options.default_expires_in)
        if isinstance(expires_in, bool) or not isinstance(expires_in, int) or expires_in <= 0:
            raise ProviderFailed("token endpoint answered a bad expires_in")
        values = {"token": token, "header": self._options.header, "prefix": self._options.prefix}
        if self._options.base_url:
            values["base_url"] = self._options.base_url
        return Credential("token", values, time.time() + min(expires_in, 86400))

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._http.aclose()
