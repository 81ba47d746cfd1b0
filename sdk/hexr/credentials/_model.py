"""Value objects of the credential chain: cache keys, credentials and lookup results."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from hexr.errors import CredentialError

__all__ = ["TIERS", "CacheKey", "Credential", "Lookup", "Tier", "injector_audience"]

Tier = Literal["L1", "L2", "L3"]
TIERS: tuple[Tier, ...] = ("L1", "L2", "L3")

_MAX_FIELDS = 16
_MAX_VALUE_CHARS = 8192


class CacheKey(NamedTuple):
    """Identity of one cached credential: who, for which service, where."""

    spiffe_id: str
    service: str
    region: str

    def storage_key(self) -> str:
        """The shared-cache (Valkey) key, ``cred:{spiffe-id}:{service}:{region}``."""
        return f"cred:{self.spiffe_id}:{self.service}:{self.region}"


@dataclass(frozen=True, slots=True)
class Credential:
    """A short-lived credential; its values never show in ``repr`` or ``str``.

    ``kind`` is ``"aws"`` (values ``access_key_id``, ``secret_access_key``,
    ``session_token``) or ``"token"`` (values ``token`` plus optional ``header`` and
    ``prefix`` saying how to present it, and ``base_url`` of the API).
    """

    kind: str
    values: Mapping[str, str] = field(repr=False)
    expires_at: float

    def __str__(self) -> str:
        return f"Credential(kind={self.kind!r}, expires_at={self.expires_at:.0f})"

    def to_json(self) -> bytes:
        """Serialise for sealing in the shared cache."""
        payload = {"kind": self.kind, "values": dict(self.values), "expires_at": self.expires_at}
        return json.dumps(payload, separators=(",", ":")).encode()

    @classmethod
    def from_mapping(cls, data: Any) -> Credential:
        """Build from an untrusted mapping (injector answer, unsealed cache value).

        Raises:
            CredentialError: the mapping is not a well-formed credential.
        """
        if not isinstance(data, Mapping):
            raise CredentialError("credential payload is not an object")
        kind, values, expires_at = data.get("kind"), data.get("values"), data.get("expires_at")
        if kind not in ("aws", "token"):
            raise CredentialError("credential payload has an unknown kind")
        if not isinstance(values, Mapping) or len(values) > _MAX_FIELDS:
            raise CredentialError("credential payload has malformed values")
        clean: dict[str, str] = {}
        for name, value in values.items():
            if not isinstance(name, str) or not isinstance(value, str):
                raise CredentialError("credential payload has malformed values")
            if len(value) > _MAX_VALUE_CHARS:
                raise CredentialError("credential payload value too large")
            clean[name] = value
        required = ("access_key_id", "secret_access_key") if kind == "aws" else ("token",)
        if any(name not in clean for name in required):
            raise CredentialError(f"{kind} credential payload misses a required field")
        expiry = _finite_time(expires_at)
        if expiry is None:
            raise CredentialError("credential payload has no expiry")
        return cls(kind=kind, values=clean, expires_at=expiry)

    @classmethod
    def from_json(cls, raw: bytes) -> Credential:
        """Inverse of `to_json`.

        Raises:
            CredentialError: ``raw`` is not a serialised credential.
        """
        try:
            data = json.loads(raw)
        except ValueError as exc:
            raise CredentialError("credential payload is not JSON") from exc
        return cls.from_mapping(data)


def _finite_time(value: Any) -> float | None:
    # Infinity (JSON's Infinity, 1e400, a huge integer) would be cached forever, NaN never.
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


class Lookup(NamedTuple):
    """A credential and the tier that served it."""

    credential: Credential
    tier: Tier


def injector_audience(trust_domain: str) -> str:
    """The JWT-SVID audience (and SPIFFE ID) of the credential injector."""
    return f"spiffe://{trust_domain}/service/credential-injector"
