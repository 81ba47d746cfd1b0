"""JWT-SVID verification against the trust bundle (JWKS), done locally with pyjwt.

The rules are those of `hexr.identity.jwt_svid` (shared with the identity service's
ValidateJWTSVID), with the issuer bound; the subject must also be an agent SPIFFE ID.
Keys are refetched when a token names an unknown ``kid`` (rotation), at most once per
``min_refresh`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import jwt

from hexr.errors import HexrError
from hexr.identity.jwt_svid import InvalidJwtSvid, jwt_svid_kid, verify_jwt_svid
from hexr_injector._limits import read_limited
from hexr_injector._spiffe import Caller, caller_from_subject
from hexr_injector.errors import Unauthenticated

__all__ = ["JwksKeys", "JwtVerifier", "fetch_jwks_url"]

_MAX_JWKS_BYTES = 256 * 1024

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


def fetch_jwks_url(url: str, timeout: float = 5.0) -> JwksFetcher:
    """A fetcher reading the JWKS published by the identity service (its ``/keys``)."""

    async def fetch() -> dict[str, Any]:
        async with (
            httpx.AsyncClient(timeout=timeout) as client,
            client.stream("GET", url) as response,
        ):
            response.raise_for_status()
            data = json.loads(await read_limited(response, _MAX_JWKS_BYTES))
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
            document = await self._fetch()
            keyset = jwt.PyJWKSet.from_dict(document)
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError, HexrError):
            # Keep the last good bundle: an unreachable JWKS must not drop trusted keys.
            return
        self._keys = {k.key_id: k.key for k in keyset.keys if k.key_id}


class JwtVerifier:
    """Verifies JWT-SVIDs presented to the injector and names the caller."""

    def __init__(self, keys: JwksKeys, *, audience: str, issuer: str, trust_domain: str):
        self._keys = keys
        self._audience = audience
        self._issuer = issuer
        self._trust_domain = trust_domain

    async def verify(self, authorization: str | None) -> tuple[Caller, str]:
        """The verified caller and its raw token, from an ``Authorization: Bearer`` header.

        Raises:
            Unauthenticated: header missing, token malformed, forged, expired, for another
                audience or issuer, or not naming one of our agents.
        """
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthenticated("missing Bearer JWT-SVID")
        token = authorization[len("Bearer ") :].strip()
        try:
            kid = jwt_svid_kid(token)
        except InvalidJwtSvid as exc:
            raise Unauthenticated(f"malformed JWT-SVID: {exc}") from exc
        key = await self._keys.key(kid)
        if key is None:
            raise Unauthenticated("JWT-SVID signed by an unknown key")
        try:
            _, claims = verify_jwt_svid(
                token,
                key,
                audience=self._audience,
                trust_domain=self._trust_domain,
                issuer=self._issuer,
            )
        except InvalidJwtSvid as exc:
            raise Unauthenticated(f"JWT-SVID does not verify: {exc}") from exc
        caller = caller_from_subject(claims.get("sub"), self._trust_domain)
        if caller is None:
            raise Unauthenticated("JWT-SVID subject is not an agent of this trust domain")
        return caller, token
