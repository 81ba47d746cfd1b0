"""Verifying a JWT-SVID: one pure function for every service that accepts one.

The identity service's ValidateJWTSVID and the credential injector both verify here, so
their rules cannot drift. The caller finds the signing key (from its own authorities, or a
JWKS it fetched) by the token's ``kid``; verification itself does no I/O.

The rules (SPIFFE JWT-SVID profile, the strictest of what each service checked before):

- at most `MAX_TOKEN_CHARS`, a JWS with ``alg`` ES256 (nothing else, never ``none``), a
  non-empty ``kid``, and ``typ`` absent or ``JWT``/``JOSE``;
- a valid signature by the given key; ``sub``, ``aud``, ``exp`` and ``iat`` present;
- ``aud`` contains the expected audience; ``iss`` equals the expected issuer when one is
  given;
- not expired and not before ``nbf``, with no leeway (JWT-SVIDs live minutes, a replay
  past ``exp`` is refused); ``iat`` not more than `CLOCK_SKEW_SECONDS` in the future;
- ``sub`` a SPIFFE ID of the expected trust domain.
"""

from __future__ import annotations

import time
from typing import Any

import jwt

from hexr.errors import IdentityError
from hexr.identity._spiffe_id import SpiffeId

__all__ = [
    "ALGORITHMS",
    "CLOCK_SKEW_SECONDS",
    "MAX_TOKEN_CHARS",
    "InvalidJwtSvid",
    "jwt_svid_kid",
    "verify_jwt_svid",
]

MAX_TOKEN_CHARS = 8192
ALGORITHMS = ("ES256",)
CLOCK_SKEW_SECONDS = 5
"""How far in the future ``iat`` may lie (the issuer's clock may run a little ahead)."""
_TYPES = (None, "JWT", "JOSE")


class InvalidJwtSvid(IdentityError):
    """The token is not a valid JWT-SVID for this audience; the message says why."""


def jwt_svid_kid(token: str) -> str:
    """The ``kid`` of ``token``'s header, after the checks that need no key.

    Raises:
        InvalidJwtSvid: empty, too large, malformed, not ES256, a ``typ`` other than
            JWT/JOSE, or no key ID.
    """
    if not token or len(token) > MAX_TOKEN_CHARS:
        raise InvalidJwtSvid("token is empty or too large")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as err:
        raise InvalidJwtSvid("malformed token") from err
    if header.get("alg") not in ALGORITHMS:
        raise InvalidJwtSvid("unsupported algorithm")
    if header.get("typ") not in _TYPES:
        raise InvalidJwtSvid("unsupported token type")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise InvalidJwtSvid("token has no key ID")
    return kid


def verify_jwt_svid(
    token: str,
    key: Any,
    *,
    audience: str,
    trust_domain: str,
    issuer: str | None = None,
    now: float | None = None,
) -> tuple[SpiffeId, dict[str, Any]]:
    """Verify ``token`` with the public ``key`` its ``kid`` names; its SPIFFE ID and claims.

    Args:
        token: The compact JWS.
        key: The signer's public key (a ``cryptography`` key or a ``PyJWK`` key).
        audience: The audience the verifier serves (required).
        trust_domain: The trust domain ``sub`` must be in.
        issuer: The issuer ``iss`` must equal; ``None`` when the verifier binds none.
        now: The current time (tests).

    Raises:
        InvalidJwtSvid: any rule of the module docstring broken.
    """
    jwt_svid_kid(token)
    if not audience:
        raise InvalidJwtSvid("audience is required")
    required = ["sub", "aud", "exp", "iat"] + (["iss"] if issuer is not None else [])
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=list(ALGORITHMS),
            audience=audience,
            issuer=issuer,
            options={"require": required, "verify_iat": False},
        )
    except jwt.ExpiredSignatureError as err:
        raise InvalidJwtSvid("token has expired") from err
    except jwt.InvalidAudienceError as err:
        raise InvalidJwtSvid("token is not for this audience") from err
    except jwt.InvalidIssuerError as err:
        raise InvalidJwtSvid("token is from another issuer") from err
    except jwt.PyJWTError as err:
        raise InvalidJwtSvid("token signature or claims are invalid") from err
    checked_now = time.time() if now is None else now
    issued = claims["iat"]
    if isinstance(issued, bool) or not isinstance(issued, int | float):
        raise InvalidJwtSvid("token signature or claims are invalid")
    if issued > checked_now + CLOCK_SKEW_SECONDS:
        raise InvalidJwtSvid("token was issued in the future")
    try:
        spiffe_id = SpiffeId.parse(claims["sub"])
    except (IdentityError, TypeError) as err:
        raise InvalidJwtSvid("token subject is not a SPIFFE ID") from err
    if spiffe_id.trust_domain != trust_domain:
        raise InvalidJwtSvid("token subject is in a foreign trust domain")
    return spiffe_id, claims
