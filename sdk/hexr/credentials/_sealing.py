"""AES-256-GCM sealing of cached credentials, bound to their cache key.

The cache key is the associated data, so a sealed value copied under another key (another
identity, service or region) fails to open. The sealing key never goes to Valkey.
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hexr.credentials._model import Credential
from hexr.errors import CredentialError

__all__ = ["KEY_BYTES", "open_sealed", "seal"]

KEY_BYTES = 32
_VERSION = b"\x01"
_NONCE_BYTES = 12


def seal(key: bytes, associated: str, credential: Credential) -> bytes:
    """Encrypt ``credential`` under ``key``, authenticated with ``associated``."""
    nonce = os.urandom(_NONCE_BYTES)
    body = _aead(key).encrypt(nonce, credential.to_json(), _VERSION + associated.encode())
    return _VERSION + nonce + body


def open_sealed(key: bytes, associated: str, sealed: bytes) -> Credential:
    """Decrypt a value made by `seal` for the same ``associated`` data.

    Raises:
        CredentialError: wrong key, wrong associated data, or tampered value.
    """
    if len(sealed) < 1 + _NONCE_BYTES + 16 or sealed[:1] != _VERSION:
        raise CredentialError("sealed credential is malformed")
    nonce, body = sealed[1 : 1 + _NONCE_BYTES], sealed[1 + _NONCE_BYTES :]
    try:
        plain = _aead(key).decrypt(nonce, body, _VERSION + associated.encode())
    except InvalidTag as exc:
        raise CredentialError("sealed credential does not open under this key") from exc
    return Credential.from_json(plain)


_last: tuple[bytes, AESGCM] | None = None


def _aead(key: bytes) -> AESGCM:
    """The cipher for ``key``; the last one is kept (a process uses one sealing key)."""
    global _last
    last = _last
    if last is not None and last[0] == key:
        return last[1]
    cipher = AESGCM(key)
    _last = (key, cipher)
    return cipher
