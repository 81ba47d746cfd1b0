"""JWT-SVID verification against the trust bundle (JWKS), done locally.

The rules are those of `hexr.identity.jwt_svid` (shared with the identity service and the
injector), with the issuer bound; the keys come from `hexr.identity.jwks`. Agents
(``spiffe://td/agent/<tenant>/<agent>/<role>``) call tools; the service identities named
as operators in the config may register specs.
"""

from __future__ import annotations

from dataclasses import dataclass

from hexr.errors import IdentityError
from hexr.identity import SpiffeId
from hexr.identity.jwks import BearerVerifier, JwksFetcher, JwksKeys, fetch_jwks_url
from hexr.identity.jwt_svid import InvalidJwtSvid
from hexr_gateway.errors import Unauthenticated

__all__ = ["Caller", "JwksFetcher", "JwksKeys", "JwtVerifier", "fetch_jwks_url"]


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


class JwtVerifier(BearerVerifier):
    """Verifies JWT-SVIDs presented to the gateway and names the caller."""

    async def verify(self, authorization: str | None) -> Caller:
        """The verified caller, from an ``Authorization: Bearer`` header.

        Raises:
            Unauthenticated: header missing, token malformed, forged, expired, for another
                audience or issuer, or not a workload of this trust domain.
        """
        try:
            _, claims = await self.claims(authorization)
        except InvalidJwtSvid as exc:
            raise Unauthenticated(str(exc)) from exc
        return self._caller(claims.get("sub"))

    def _caller(self, subject: object) -> Caller:
        if not isinstance(subject, str):
            raise Unauthenticated("JWT-SVID has no subject")
        try:
            parsed = SpiffeId.parse(subject)
        except IdentityError:
            raise Unauthenticated("JWT-SVID subject is not a SPIFFE ID") from None
        if parsed.trust_domain != self.trust_domain:
            raise Unauthenticated("JWT-SVID subject is not of this trust domain")
        return Caller(str(parsed), parsed.tenant, parsed.agent)
