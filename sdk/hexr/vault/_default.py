"""The process-default `VaultClient` behind the module-level `hexr.vault` functions."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Mapping
from typing import Any

from hexr.vault._client import VaultClient
from hexr.vault._secret import Secret

__all__ = [
    "decrypt",
    "default_client",
    "encrypt",
    "get",
    "list",
    "put",
    "set_default_client",
]

_lock = threading.Lock()
_client: VaultClient | None = None


def default_client() -> VaultClient:
    """The process-wide client, created on first use from the environment."""
    global _client
    with _lock:
        if _client is None:
            _client = VaultClient()
        return _client


def set_default_client(client: VaultClient | None) -> None:
    """Replace (or with ``None`` reset) the process-wide client."""
    global _client
    with _lock:
        previous, _client = _client, client
    if previous is not None and previous is not client:
        previous.close()


def get(path: str) -> Secret:
    """Read a secret of the caller's tenant (see `VaultClient.get`)."""
    return default_client().get(path)


def put(path: str, value: Mapping[str, Any]) -> int:
    """Write a secret where policy allows (see `VaultClient.put`)."""
    return default_client().put(path, value)


def list(prefix: str = "") -> builtins.list[str]:
    """List names under a tenant-relative prefix (see `VaultClient.list`)."""
    return default_client().list(prefix)


def encrypt(plaintext: bytes | str, *, context: bytes | None = None) -> str:
    """Encrypt with the tenant's transit key (see `VaultClient.encrypt`)."""
    return default_client().encrypt(plaintext, context=context)


def decrypt(ciphertext: str, *, context: bytes | None = None) -> bytes:
    """Decrypt with the tenant's transit key (see `VaultClient.decrypt`)."""
    return default_client().decrypt(ciphertext, context=context)
