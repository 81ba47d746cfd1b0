"""L2: credentials shared by every pod of an identity through Valkey, sealed.

Values are AES-256-GCM sealed (see `_sealing`) and expire with the credential. A short
Valkey lock per key lets one pod exchange while the others wait for its result. Any
Valkey failure switches the store to *degraded*: calls skip L2 for a backoff period
(L1 and L3 keep serving), the state shows in metrics, and L2 resumes once Valkey answers.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any

from hexr.credentials._model import CacheKey, Credential
from hexr.credentials._sealing import open_sealed, seal
from hexr.credentials._telemetry import TIER_ATTRS, shared_errors
from hexr.errors import CredentialError

if TYPE_CHECKING:
    import valkey

__all__ = ["SealedStore"]

_log = logging.getLogger(__name__)

_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""
_MAX_SEALED_BYTES = 64 * 1024


class SealedStore:
    """Sealed credential store in Valkey with degraded-mode fallback."""

    def __init__(
        self,
        url: str,
        *,
        socket_timeout: float = 0.25,
        backoff: tuple[float, float] = (0.5, 10.0),
        client: valkey.Valkey | None = None,
    ) -> None:
        if client is None:
            import valkey  # Lazy: `import hexr` must not load the Valkey client.

            client = valkey.Valkey.from_url(
                url,
                socket_timeout=socket_timeout,
                socket_connect_timeout=socket_timeout,
                retry_on_timeout=False,
            )
        self._client = client
        self._backoff_min, self._backoff_max = backoff
        self._lock = threading.Lock()
        self._down_until = 0.0
        self._backoff = self._backoff_min
        self._errors = 0

    @property
    def degraded(self) -> bool:
        """Whether L2 is currently skipped because Valkey failed."""
        return self._down_until > time.monotonic()

    @property
    def errors(self) -> int:
        """How many Valkey calls failed since start."""
        return self._errors

    def get(self, key: CacheKey, sealing_key: bytes) -> Credential | None:
        """The credential stored for ``key``; None on a miss, when degraded, or unreadable."""
        raw = self._call(lambda c: c.get(key.storage_key()))
        if not isinstance(raw, bytes) or len(raw) > _MAX_SEALED_BYTES:
            return None
        try:
            return open_sealed(sealing_key, key.storage_key(), raw)
        except CredentialError:
            # Sealed under another key (rotation) or tampered with: treat as a miss.
            _log.warning("unreadable shared credential for %s/%s", key.service, key.region)
            return None

    def put(self, key: CacheKey, credential: Credential, sealing_key: bytes) -> None:
        """Store ``credential`` sealed, expiring when the credential does."""
        expires_ms = int(credential.expires_at * 1000)
        if expires_ms <= int(time.time() * 1000):
            return
        sealed = seal(sealing_key, key.storage_key(), credential)
        self._call(lambda c: c.set(key.storage_key(), sealed, pxat=expires_ms))

    def try_lock(self, key: CacheKey, ttl_ms: int) -> str | None:
        """Take the exchange lock for ``key``; a token on success, None if held or degraded."""
        token = secrets.token_hex(16)
        ok = self._call(lambda c: c.set(_lock_key(key), token, nx=True, px=ttl_ms))
        return token if ok else None

    def unlock(self, key: CacheKey, token: str) -> None:
        """Release a lock taken by `try_lock`, only if it is still ours."""
        self._call(lambda c: c.eval(_RELEASE, 1, _lock_key(key), token))

    def locked(self, key: CacheKey) -> bool:
        """Whether another pod holds the exchange lock for ``key``."""
        return bool(self._call(lambda c: c.exists(_lock_key(key))))

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()  # type: ignore[no-untyped-call]

    def _call(self, operation: Any) -> Any:
        if self._down_until > time.monotonic():
            return None
        try:
            result = operation(self._client)
        except (_valkey_error(), OSError) as exc:
            with self._lock:
                self._errors += 1
                self._down_until = time.monotonic() + self._backoff
                self._backoff = min(self._backoff * 2, self._backoff_max)
            shared_errors.add(1, TIER_ATTRS["L2"])
            _log.warning("valkey unavailable, shared credential cache degraded: %s", type(exc))
            return None
        if self._backoff != self._backoff_min:
            with self._lock:
                self._backoff = self._backoff_min
        return result


def _lock_key(key: CacheKey) -> str:
    return f"lock:{key.storage_key()}"


def _valkey_error() -> type[Exception]:
    """valkey's base error (imported with the client, which this store already holds)."""
    import valkey.exceptions

    return valkey.exceptions.ValkeyError
