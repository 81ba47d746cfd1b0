"""Real JWT-SVID validation for ValidateJWTSVID: the shared verifier, keys from the bundle.

py-spiffe's ``validate_jwt_svid`` trusts whatever the server answers, so this is the check
that matters for every consumer of ValidateJWTSVID. The rules are those of
`hexr.identity.jwt_svid`, which the credential injector applies too.
"""

from __future__ import annotations

from typing import Any

from hexr.identity import SpiffeId
from hexr.identity.jwt_svid import MAX_TOKEN_CHARS, jwt_svid_kid, verify_jwt_svid
from hexr.identity.jwt_svid import InvalidJwtSvid as InvalidToken
from hexr_identity._authority import Authorities

__all__ = ["MAX_TOKEN_BYTES", "InvalidToken", "validate_jwt_svid"]

MAX_TOKEN_BYTES = MAX_TOKEN_CHARS


def validate_jwt_svid(
    token: str,
    audience: str,
    authorities: Authorities,
    *,
    now: float | None = None,
) -> tuple[SpiffeId, dict[str, Any]]:
    """Verify ``token`` against this trust domain's JWT authorities; its SPIFFE ID and claims.

    Raises:
        InvalidToken: malformed, unknown key, bad signature, wrong audience, expired, or a
            subject outside this trust domain.
    """
    kid = jwt_svid_kid(token)
    if not audience:
        raise InvalidToken("audience is required")
    signer = next((a for a in authorities.jwt_authorities() if a.kid == kid), None)
    if signer is None:
        raise InvalidToken("token was not signed by this trust domain")
    return verify_jwt_svid(
        token,
        signer.key.public_key(),
        audience=audience,
        trust_domain=authorities.trust_domain,
        now=now,
    )
