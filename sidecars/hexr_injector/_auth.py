"""JWT-SVID verification against the trust bundle (JWKS), done locally.

The rules are those of `hexr.identity.jwt_svid` (shared with the identity service's
ValidateJWTSVID and the gateway), with the issuer bound; the subject must also be an agent
SPIFFE ID. The keys come from `hexr.identity.jwks`.
"""

from __future__ import annotations

from hexr.identity.jwks import BearerVerifier, JwksFetcher, JwksKeys, fetch_jwks_url
from hexr.identity.jwt_svid import InvalidJwtSvid
from hexr_injector._spiffe import Caller, caller_from_subject
from hexr_injector.errors import Unauthenticated

__all__ = ["JwksFetcher", "JwksKeys", "JwtVerifier", "fetch_jwks_url"]


class JwtVerifier(BearerVerifier):
    """Verifies JWT-SVIDs presented to the injector and names the caller."""

    async def verify(self, authorization: str | None) -> tuple[Caller, str]:
        """The verified caller and its raw token, from an ``Authorization: Bearer`` header.

        Raises:
            Unauthenticated: header missing, token malformed, forged, expired, for another
                audience or issuer, or not naming one of our agents.
        """
        try:
            token, claims = await self.claims(authorization)
        except InvalidJwtSvid as exc:
            raise Unauthenticated(str(exc)) from exc
        caller = caller_from_subject(claims.get("sub"), self.trust_domain)
        if caller is None:
            raise Unauthenticated("JWT-SVID subject is not an agent of this trust domain")
        return caller, token
