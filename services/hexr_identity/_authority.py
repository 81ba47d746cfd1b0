"""Signing authorities of one trust domain: the X.509 CA and the JWT signing key.

Both are persisted (one JSON document, mode 0600, in a 0700 directory) so SVIDs survive a
service restart. Both rotate at half their lifetime; a retired authority stays in the trust
bundle until every SVID it can have signed has expired (retirement time + SVID TTL).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import logging
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from hexr.errors import ConfigError

__all__ = ["Authorities", "JwtAuthority", "X509Authority", "key_usage"]

_log = logging.getLogger("hexr_identity.authority")
_STATE_FILE = "authorities.json"
_CA_BACKDATE_SECONDS = 30.0
"""CA certificates start a little in the past to absorb clock skew between hosts."""


def _utc(ts: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC)


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()


def _load_key(pem: str) -> ec.EllipticCurvePrivateKey:
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("authority key must be an EC key")
    return key


def key_usage(*, ca: bool) -> x509.KeyUsage:
    """The KeyUsage of Hexr certificates: digitalSignature, plus certificate and CRL
    signing for a CA."""
    return x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@dataclass(frozen=True, slots=True)
class X509Authority:
    """A CA certificate and its key."""

    key: ec.EllipticCurvePrivateKey
    cert: x509.Certificate
    keep_until: float | None = None
    """When retired: the moment after which nothing it signed is still valid."""

    @property
    def der(self) -> bytes:
        """The CA certificate as DER."""
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def not_after(self) -> float:
        """Expiry of the CA certificate (epoch seconds)."""
        return self.cert.not_valid_after_utc.timestamp()

    @property
    def rotate_at(self) -> float:
        """Half-life of the CA certificate (epoch seconds)."""
        issued = self.cert.not_valid_before_utc.timestamp() + _CA_BACKDATE_SECONDS
        return issued + (self.not_after - issued) / 2


@dataclass(frozen=True, slots=True)
class JwtAuthority:
    """A JWT signing key with its key ID."""

    key: ec.EllipticCurvePrivateKey
    kid: str
    not_after: float
    rotate_at: float
    keep_until: float | None = None

    def jwk(self, use: str) -> dict[str, str]:
        """The public key as a JWK (RFC 7517)."""
        numbers = self.key.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": _b64url(numbers.x.to_bytes(32, "big")),
            "y": _b64url(numbers.y.to_bytes(32, "big")),
            "kid": self.kid,
            "alg": "ES256",
            "use": use,
        }


def _kid(key: ec.EllipticCurvePrivateKey) -> str:
    # RFC 7638-style thumbprint: stable, and reveals nothing but the public key.
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return _b64url(hashlib.sha256(der).digest())[:32]


class Authorities:
    """The CA and JWT key of one trust domain, with rotation and retention."""

    def __init__(
        self,
        state_dir: Path,
        trust_domain: str,
        *,
        ca_ttl: float,
        x509_svid_ttl: float,
        jwt_svid_ttl: float,
    ) -> None:
        self._dir = state_dir
        self._trust_domain = trust_domain
        self._ca_ttl = ca_ttl
        self._x509_ttl = x509_svid_ttl
        self._jwt_ttl = jwt_svid_ttl
        self._lock = threading.Lock()
        self._x509: list[X509Authority] = []
        self._jwt: list[JwtAuthority] = []
        self._unsaved = False
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self._dir, 0o700)
        self._load()

    # --- reads -------------------------------------------------------------------------

    @property
    def trust_domain(self) -> str:
        """The trust domain these authorities sign for."""
        return self._trust_domain

    @property
    def x509(self) -> X509Authority:
        """The CA that signs new X.509-SVIDs."""
        with self._lock:
            return self._x509[0]

    @property
    def jwt(self) -> JwtAuthority:
        """The key that signs new JWT-SVIDs."""
        with self._lock:
            return self._jwt[0]

    def x509_bundle(self) -> list[X509Authority]:
        """Current and still-needed retired CAs, current first."""
        with self._lock:
            return list(self._x509)

    def jwt_authorities(self) -> list[JwtAuthority]:
        """Current and still-needed retired JWT keys, current first."""
        with self._lock:
            return list(self._jwt)

    def jwks(self, use: str = "jwt-svid") -> dict[str, Any]:
        """The JWT bundle as a JWKS document."""
        return {"keys": [a.jwk(use) for a in self.jwt_authorities()]}

    # --- rotation ----------------------------------------------------------------------

    def maintain(self, now: float) -> bool:
        """Rotate what reached half-life and drop retired authorities nobody needs.

        Returns:
            True when the bundles changed (streams must push the new bundles).
        """
        with self._lock:
            changed = False
            if now >= self._x509[0].rotate_at:
                old = self._x509[0]
                retired = X509Authority(old.key, old.cert, min(now + self._x509_ttl, old.not_after))
                self._x509 = [self._new_ca(now), retired, *self._x509[1:]]
                changed = True
            if now >= self._jwt[0].rotate_at:
                old_j = self._jwt[0]
                retired_j = JwtAuthority(
                    old_j.key, old_j.kid, old_j.not_after, old_j.rotate_at, now + self._jwt_ttl
                )
                self._jwt = [self._new_jwt(now), retired_j, *self._jwt[1:]]
                changed = True
            kept_x = [self._x509[0]] + [
                a for a in self._x509[1:] if a.keep_until is not None and a.keep_until > now
            ]
            kept_j = [self._jwt[0]] + [
                a for a in self._jwt[1:] if a.keep_until is not None and a.keep_until > now
            ]
            if len(kept_x) != len(self._x509) or len(kept_j) != len(self._jwt):
                self._x509, self._jwt = kept_x, kept_j
                changed = True
            if changed or self._unsaved:
                try:
                    self._save()
                    self._unsaved = False
                except OSError as exc:
                    # The new authorities sign already, so the change is still announced
                    # (streams must push the bundle); the save is retried next round.
                    self._unsaved = True
                    _log.warning("cannot persist the authorities, will retry: %s", exc.strerror)
            return changed

    # --- creation and persistence -----------------------------------------------------

    def _new_ca(self, now: float) -> X509Authority:
        key = _new_key()
        name = x509.Name(
            [
                x509.NameAttribute(NameOID.ORGANIZATION_NAME, "hexr"),
                x509.NameAttribute(NameOID.COMMON_NAME, f"hexr CA {self._trust_domain}"),
            ]
        )
        ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_utc(now - _CA_BACKDATE_SECONDS))
            .not_valid_after(_utc(now + self._ca_ttl))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(key_usage(ca=True), critical=True)
            .add_extension(ski, critical=False)
            .add_extension(
                x509.SubjectAlternativeName(
                    [x509.UniformResourceIdentifier(f"spiffe://{self._trust_domain}")]
                ),
                critical=False,
            )
            .sign(key, hashes.SHA256())
        )
        return X509Authority(key, cert)

    def _new_jwt(self, now: float) -> JwtAuthority:
        key = _new_key()
        return JwtAuthority(key, _kid(key), now + self._ca_ttl, now + self._ca_ttl / 2)

    def _path(self) -> Path:
        return self._dir / _STATE_FILE

    def _load(self) -> None:
        path = self._path()
        now = dt.datetime.now(tz=dt.UTC).timestamp()
        if not path.exists():
            self._x509 = [self._new_ca(now)]
            self._jwt = [self._new_jwt(now)]
            self._save()
            return
        try:
            data = json.loads(path.read_text())
            found_domain = data.get("trust_domain")
        except (OSError, ValueError, AttributeError) as exc:
            reason = type(exc).__name__
            raise ConfigError(f"{path} is not readable identity state ({reason})") from None
        if found_domain != self._trust_domain:
            raise ConfigError(f"{path} belongs to trust domain {found_domain!r}")
        try:
            self._x509 = [
                X509Authority(
                    _load_key(a["key"]),
                    x509.load_pem_x509_certificate(a["cert"].encode()),
                    a.get("keep_until"),
                )
                for a in data["x509"]
            ]
            self._jwt = [
                JwtAuthority(
                    _load_key(a["key"]),
                    a["kid"],
                    a["not_after"],
                    a["rotate_at"],
                    a.get("keep_until"),
                )
                for a in data["jwt"]
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            # The type only: a parser's message could quote key material.
            raise ConfigError(f"{path} holds a damaged authority ({type(exc).__name__})") from None
        if not self._x509 or not self._jwt:
            raise ConfigError(f"{path} holds no authority")

    def _save(self) -> None:
        data = {
            "trust_domain": self._trust_domain,
            "x509": [
                {
                    "key": _key_pem(a.key),
                    "cert": a.cert.public_bytes(serialization.Encoding.PEM).decode(),
                    "keep_until": a.keep_until,
                }
                for a in self._x509
            ],
            "jwt": [
                {
                    "key": _key_pem(a.key),
                    "kid": a.kid,
                    "not_after": a.not_after,
                    "rotate_at": a.rotate_at,
                    "keep_until": a.keep_until,
                }
                for a in self._jwt
            ],
        }
        tmp = self._path().with_suffix(".tmp")
        # Created 0600 from the start: the keys never sit in a world-readable file.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh)
        os.replace(tmp, self._path())
