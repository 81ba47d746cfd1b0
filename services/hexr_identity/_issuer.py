"""Issues X.509-SVIDs and JWT-SVIDs from the trust domain's current authorities."""

from __future__ import annotations

import datetime as dt
import math
import random
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from hexr.identity import SpiffeId
from hexr_identity._authority import Authorities, key_usage
from hexr_identity._metrics import IdentityMetrics

__all__ = ["Issuer", "X509Svid", "rotation_time"]

_JITTER = 0.10
_BACKDATE_SECONDS = 10.0


def rotation_time(issued: float, expires: float, rng: Callable[[], float] = random.random) -> float:
    """Half-life of ``[issued, expires]`` ±10 % jitter, so a fleet never rotates in lockstep."""
    half = (expires - issued) / 2
    return issued + half * (1 + _JITTER * (2 * rng() - 1))


@dataclass(frozen=True, slots=True)
class X509Svid:
    """An issued X.509-SVID: DER chain (leaf first), PKCS#8 DER key and its timing."""

    spiffe_id: SpiffeId
    cert_der: bytes
    key_der: bytes = field(repr=False)
    ca_serial: int
    expires_at: float
    rotate_at: float


class Issuer:
    """Signs SVIDs; caches one X.509-SVID per SPIFFE ID until its rotation time."""

    def __init__(
        self,
        authorities: Authorities,
        *,
        issuer_url: str,
        x509_ttl: float,
        jwt_ttl: float,
        clock: Callable[[], float] = time.time,
        metrics: IdentityMetrics | None = None,
    ) -> None:
        self._auth = authorities
        self._metrics = metrics
        self._issuer_url = issuer_url
        self._x509_ttl = x509_ttl
        self._jwt_ttl = jwt_ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._x509_cache: dict[SpiffeId, X509Svid] = {}

    @property
    def issuer_url(self) -> str:
        """The ``iss`` of every JWT-SVID (the JWKS server's base URL)."""
        return self._issuer_url

    def x509_svid(self, spiffe_id: SpiffeId) -> X509Svid:
        """The current X.509-SVID for ``spiffe_id``, issuing a new one when due."""
        now = self._clock()
        ca = self._auth.x509
        serial = ca.cert.serial_number
        with self._lock:
            cached = self._x509_cache.get(spiffe_id)
            if cached is not None and now < cached.rotate_at and cached.ca_serial == serial:
                return cached
        svid = self._sign_x509(spiffe_id, now)
        if self._metrics is not None:
            self._metrics.issued.labels("x509").inc()
            if cached is not None and cached.expires_at > now:  # a held SVID, renewed
                self._metrics.rotations.labels("x509").inc()
        with self._lock:
            self._x509_cache[spiffe_id] = svid
            # Bound the cache: identities of dead workloads are dropped when they expire.
            for key in [k for k, v in self._x509_cache.items() if v.expires_at <= now]:
                del self._x509_cache[key]
        return svid

    def _sign_x509(self, spiffe_id: SpiffeId, now: float) -> X509Svid:
        ca = self._auth.x509
        key = ec.generate_private_key(ec.SECP256R1())
        not_before = now - _BACKDATE_SECONDS
        # X.509 validity has whole-second precision: plan rotation on what the cert says.
        expires = float(math.floor(min(now + self._x509_ttl, ca.not_after)))
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hexr")]))
            .issuer_name(ca.cert.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(dt.datetime.fromtimestamp(not_before, tz=dt.UTC))
            .not_valid_after(dt.datetime.fromtimestamp(expires, tz=dt.UTC))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(key_usage(ca=False), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.SubjectAlternativeName([x509.UniformResourceIdentifier(str(spiffe_id))]),
                critical=False,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(ca.key.public_key()),
                critical=False,
            )
            .sign(ca.key, hashes.SHA256())
        )
        return X509Svid(
            spiffe_id=spiffe_id,
            cert_der=cert.public_bytes(serialization.Encoding.DER),
            key_der=key.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
            ca_serial=ca.cert.serial_number,
            expires_at=expires,
            rotate_at=rotation_time(now, expires),
        )

    def earliest_expiry(self, live: Iterable[SpiffeId]) -> float | None:
        """Earliest expiry of the cached X.509-SVIDs of the ``live`` IDs (None: none)."""
        wanted = set(live)
        with self._lock:
            expiries = [v.expires_at for k, v in self._x509_cache.items() if k in wanted]
        return min(expiries, default=None)

    def jwt_svid(self, spiffe_id: SpiffeId, audiences: Sequence[str]) -> str:
        """A fresh JWT-SVID (ES256) for ``spiffe_id`` and ``audiences``."""
        if self._metrics is not None:
            self._metrics.issued.labels("jwt").inc()
        now = int(self._clock())
        signer = self._auth.jwt
        claims = {
            "sub": str(spiffe_id),
            "aud": list(audiences),
            "iss": self._issuer_url,
            "iat": now,
            "exp": int(min(now + self._jwt_ttl, signer.not_after)),
        }
        return jwt.encode(
            claims, signer.key, algorithm="ES256", headers={"kid": signer.kid, "typ": "JWT"}
        )
