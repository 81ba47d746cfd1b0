"""The trust bundle's JWT signing keys, fetched from a JWKS URL and cached by ``kid``.

Services that verify JWT-SVIDs locally (the credential injector, the gateway) keep a
`JwksKeys` and verify with `hexr.identity.jwt_svid`. Keys are refetched when a token names
an unknown ``kid`` (rotation), at most once per ``min_refresh`` seconds, and the last good
bundle is kept when the JWKS cannot be read.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt

from hexr.bounded import BodyTooLarge, aread_bounded
from hexr.errors import HexrError
from hexr.identity.jwt_svid import InvalidJwtSvid, jwt_svid_kid, verify_jwt_svid

__all__ = ["MAX_JWKS_BYTES", "BearerVerifier", "JwksFetcher", "JwksKeys", "fetch_jwks_url"]

MAX_JWKS_BYTES = 256 * 1024
"""Largest JWKS document read (a bundle holds a handful of keys)."""

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]
"""Returns the JWKS document (``{"keys": [...]}``)."""


def fetch_jwks_url(url: str, timeout: float = 5.0) -> JwksFetcher:
    """A fetcher reading the JWKS published by the identity service (its ``/keys``)."""

    async def fetch() -> dict[str, Any]:
        async with (
            httpx.AsyncClient(timeout=timeout) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            try:
                body = await aread_bounded(
                    response.aiter_raw(), MAX_JWKS_BYTES, response.headers.get("content-length")
                )
            except BodyTooLarge:
                raise ValueError("JWKS too large") from None
        data = json.loads(body)
        if not isinstance(data, dict):
            raise ValueError("JWKS is not an object")
        return data

    return fetch


class JwksKeys:
    """The trust bundle's signing keys by ``kid``, refreshed on an unknown ``kid``."""

    def __init__(self, fetch: JwksFetcher, *, min_refresh: float = 1.0, max_age: float = 300.0):
        self._fetch = fetch
        self._min_refresh = min_refresh
        self._max_age = max_age
        self._keys: dict[str, Any] = {}
        self._fetched_at = float("-inf")
        self._lock = asyncio.Lock()

    async def key(self, kid: str) -> Any | None:
        """The public key for ``kid``, or None when the bundle has no such key."""
        age = time.monotonic() - self._fetched_at
        if kid in self._keys and age < self._max_age:
            return self._keys[kid]
        async with self._lock:
            age = time.monotonic() - self._fetched_at
            if (kid not in self._keys or age >= self._max_age) and age >= self._min_refresh:
                await self._refresh()
        return self._keys.get(kid)

    async def _refresh(self) -> None:
        self._fetched_at = time.monotonic()
        try:
            keyset = jwt.PyJWKSet.from_dict(await self._fetch())
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError, HexrError):
            # Keep the last good bundle: an unreachable JWKS must not drop trusted keys.
            return
        self._keys = {k.key_id: k.key for k in keyset.keys if k.key_id}


class BearerVerifier:
    """Verifies the JWT-SVID of an ``Authorization: Bearer`` header with `JwksKeys`.

    The rules are `hexr.identity.jwt_svid`'s with the issuer bound; a service decides what
    the verified subject may do and turns `InvalidJwtSvid` into its own 401.
    """

    def __init__(self, keys: JwksKeys, *, audience: str, issuer: str, trust_domain: str):
        self.keys = keys
        self.audience = audience
        self.issuer = issuer
        self.trust_domain = trust_domain

    async def claims(self, authorization: str | None) -> tuple[str, dict[str, Any]]:
        """The raw token and its verified claims.

        Raises:
            InvalidJwtSvid: header missing, token malformed, signed by an unknown key,
                forged, expired, or for another audience, issuer or trust domain (the
                message says which, never the token).
        """
        if not authorization or not authorization.startswith("Bearer "):
            raise InvalidJwtSvid("missing Bearer JWT-SVID")
        token = authorization[len("Bearer ") :].strip()
        try:
            kid = jwt_svid_kid(token)
        except InvalidJwtSvid as exc:
            raise InvalidJwtSvid(f"malformed JWT-SVID: {exc}") from exc
        key = await self.keys.key(kid)
        if key is None:
            raise InvalidJwtSvid("JWT-SVID signed by an unknown key")
        try:
            _, claims = verify_jwt_svid(
                token,
                key,
                audience=self.audience,
                trust_domain=self.trust_domain,
                issuer=self.issuer,
            )
        except InvalidJwtSvid as exc:
            raise InvalidJwtSvid(f"JWT-SVID does not verify: {exc}") from exc
        return token, claims
