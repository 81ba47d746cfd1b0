"""Real JWT-SVID validation: signature against the bundle, audience, expiry, trust domain.

py-spiffe's ``validate_jwt_svid`` trusts whatever the server answers, so this is the check
that matters for every consumer of ValidateJWTSVID.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from hexr.errors import IdentityError
from hexr.identity import SpiffeId
from hexr_identity._authority import Authorities

__all__ = ["MAX_TOKEN_BYTES", "InvalidToken", "validate_jwt_svid"]

MAX_TOKEN_BYTES = 8192
_LEEWAY_SECONDS = 5


class InvalidToken(Exception):
    """The token is not a valid JWT-SVID for this audience; the message says why."""


def validate_jwt_svid(
    token: str,
    audience: str,
    authorities: Authorities,
    *,
    now: float | None = None,
) -> tuple[SpiffeId, dict[str, Any]]:
    """Verify ``token`` and return its SPIFFE ID and claims.

    Raises:
        InvalidToken: malformed, unknown key, bad signature, wrong audience, expired, or a
            subject outside this trust domain.
    """
    if not token or len(token) > MAX_TOKEN_BYTES:
        raise InvalidToken("token is empty or too large")
    if not audience:
        raise InvalidToken("audience is required")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise InvalidToken("malformed token") from err
    if header.get("alg") != "ES256":
        raise InvalidToken("unsupported algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidToken("token has no key ID")
    signer = next((a for a in authorities.jwt_authorities() if a.kid == kid), None)
    if signer is None:
        raise InvalidToken("token was not signed by this trust domain")
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            signer.key.public_key(),
            algorithms=["ES256"],
            audience=audience,
            leeway=_LEEWAY_SECONDS,
            options={"require": ["sub", "aud", "exp", "iat"], "verify_iat": False},
        )
    except jwt.ExpiredSignatureError as err:
        raise InvalidToken("token has expired") from err
    except jwt.InvalidAudienceError as err:
        raise InvalidToken("token is not for this audience") from err
    except jwt.PyJWTError as err:
        raise InvalidToken("token signature or claims are invalid") from err
    checked_now = time.time() if now is None else now
    if not isinstance(claims["iat"], int | float) or claims["iat"] > checked_now + _LEEWAY_SECONDS:
        raise InvalidToken("token was issued in the future")
    try:
        spiffe_id = SpiffeId.parse(claims["sub"])
    except IdentityError as err:
        raise InvalidToken("token subject is not a SPIFFE ID") from err
    if spiffe_id.trust_domain != authorities.trust_domain:
        raise InvalidToken("token subject is in a foreign trust domain")
    return spiffe_id, claims
