"""JWT-SVID verification against the trust bundle (JWKS), done locally with pyjwt.

Signature (ES256 only), audience, expiry, issuer and subject are all checked. Agents
(``spiffe://td/agent/<tenant>/<agent>/<role>``) call tools; the service identities named
as operators in the config may register specs. Keys are refetched when a token names an
unknown ``kid`` (rotation), at most once per ``min_refresh`` seconds.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import jwt

from hexr.errors import HexrError, IdentityError
from hexr.identity import SpiffeId
from hexr_gateway._bounded import read_limited
from hexr_gateway.errors import Unauthenticated

__all__ = ["Caller", "JwksFetcher", "JwksKeys", "JwtVerifier", "fetch_jwks_url"]

_MAX_TOKEN_CHARS = 8192
_MAX_JWKS_BYTES = 256 * 1024
_ALGORITHMS = ["ES256"]

JwksFetcher = Callable[[], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class Caller:
    """A verified caller. ``tenant``/``agent`` are None for a service identity."""

    spiffe_id: str
    tenant: str | None
    agent: str | None

    @property
    def is_agent(self) -> bool:
        """Whether the caller is an agent workload (has a tenant and agent name)."""
        return self.tenant is not None and self.agent is not None


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
            keyset = jwt.PyJWKSet.from_dict(await self._fetch())
        except (httpx.HTTPError, ValueError, jwt.PyJWKSetError, HexrError):
            # Keep the last good bundle: an unreachable JWKS must not drop trusted keys.
            return
        self._keys = {k.key_id: k.key for k in keyset.keys if k.key_id}


class JwtVerifier:
    """Verifies JWT-SVIDs presented to the gateway and names the caller."""

    def __init__(self, keys: JwksKeys, *, audience: str, issuer: str, trust_domain: str):
        self._keys = keys
        self._audience = audience
        self._issuer = issuer
        self._trust_domain = trust_domain

    async def verify(self, authorization: str | None) -> Caller:
        """The verified caller, from an ``Authorization: Bearer`` header.

        Raises:
            Unauthenticated: header missing, token malformed, forged, expired, for another
                audience or issuer, or not a workload of this trust domain.
        """
        if not authorization or not authorization.startswith("Bearer "):
            raise Unauthenticated("missing Bearer JWT-SVID")
        token = authorization[len("Bearer ") :].strip()
        if not token or len(token) > _MAX_TOKEN_CHARS:
            raise Unauthenticated("malformed JWT-SVID")
        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("malformed JWT-SVID") from exc
        kid = header.get("kid")
        if header.get("alg") not in _ALGORITHMS or not isinstance(kid, str):
            raise Unauthenticated("JWT-SVID must be ES256 with a kid")
        key = await self._keys.key(kid)
        if key is None:
            raise Unauthenticated("JWT-SVID signed by an unknown key")
        try:
            claims = jwt.decode(
                token, key, algorithms=_ALGORITHMS, audience=self._audience,
                issuer=self._issuer, options={"require": ["exp", "iat", "sub", "aud", "iss"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise Unauthenticated("JWT-SVID expired") from exc
        except jwt.InvalidAudienceError as exc:
            raise Unauthenticated("JWT-SVID is for another audience") from exc
        except jwt.InvalidTokenError as exc:
            raise Unauthenticated("JWT-SVID does not verify") from exc
        return self._caller(claims.get("sub"))

    def _caller(self, subject: object) -> Caller:
        if not isinstance(subject, str):
            raise Unauthenticated("JWT-SVID has no subject")
        try:
            parsed = SpiffeId.parse(subject)
        except IdentityError:
            raise Unauthenticated("JWT-SVID subject is not a SPIFFE ID") from None
        if parsed.trust_domain != self._trust_domain:
            raise Unauthenticated("JWT-SVID subject is not of this trust domain")
        return Caller(str(parsed), parsed.tenant, parsed.agent)
