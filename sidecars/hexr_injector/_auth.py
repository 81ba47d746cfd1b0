"""JWT-SVID verification against the trust bundle (JWKS), done locally.

The rules are those of `hexr.identity.jwt_svid` (shared with the identity service's
ValidateJWTSVID and the gateway), with the issuer bound; the subject must also be an agent
SPIFFE ID. The keys come from `hexr.identity.jwks`.
"""

from __future__ import annotations

from hexr.identity.jwks import JwksFetcher, JwksKeys, fetch_jwks_url
from hexr.identity.jwt_svid import InvalidJwtSvid, jwt_svid_kid, verify_jwt_svid
from hexr_injector._spiffe import Caller, caller_from_subject
from hexr_injector.errors import Unauthenticated

__all__ = ["JwksFetcher", "JwksKeys", "JwtVerifier", "fetch_jwks_url"]


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
