"""The credential chain: L1 (memory) → L2 (sealed Valkey) → L3 (injector exchange)."""

from __future__ import annotations

import threading
import time
from types import TracebackType

from opentelemetry import context as otel_context
from opentelemetry import trace

from hexr.credentials._cache import CredentialCache
from hexr.credentials._exchange import InjectorClient
from hexr.credentials._model import CacheKey, Credential, Lookup, Tier
from hexr.credentials._shared import SealedStore
from hexr.credentials._telemetry import (
    TIER_ATTRS,
    lookup_duration,
    observe_degraded,
    tally,
    track_cache,
)
from hexr.telemetry import get_tracer
from hexr.telemetry._exceptions import record_error
from hexr.telemetry._names import ATTR_SPIFFE_ID, ATTR_TENANT, SPAN_CACHE_LOOKUP

__all__ = ["CredentialBroker", "tenant_of"]

_tracer = get_tracer()


def tenant_of(spiffe_id: str) -> str:
    """The tenant segment of an agent SPIFFE ID (``.../agent/{tenant}/...``), else ``""``."""
    parts = spiffe_id.split("/")
    return parts[4] if len(parts) > 4 and parts[3] == "agent" else ""

_KEY_CACHE_LIMIT = 256
"""(service, region) pairs whose CacheKey a broker keeps ready for the L1 path."""


class CredentialBroker:
    """Serves credentials for one workload identity through the three tiers."""

    def __init__(
        self,
        spiffe_id: str,
        injector: InjectorClient,
        *,
        shared: SealedStore | None = None,
        cache: CredentialCache | None = None,
        lock_ttl: float = 10.0,
        lock_wait: float = 2.0,
        poll_interval: float = 0.02,
    ) -> None:
        self.spiffe_id = spiffe_id
        self.tenant = tenant_of(spiffe_id)
        self._injector = injector
        self._shared = shared
        self._cache = cache or CredentialCache()
        self._lock_ttl = lock_ttl
        # How long a caller trusts someone else's exchange lock: a real exchange lands in
        # well under this, and a stale lock (its pod died) or a planted one must not stall
        # the caller for the lock's whole TTL.
        self._lock_wait = min(lock_wait, lock_ttl)
        self._poll_interval = poll_interval
        self._key_lock = threading.Lock()
        self._keys: dict[tuple[str, str], CacheKey] = {}
        self._sealing_key: bytes | None = None
        if shared is not None:
            observe_degraded(shared)
        track_cache(self._cache.counts)

    @property
    def cache(self) -> CredentialCache:
        """The L1 cache."""
        return self._cache

    def lookup(self, service: str, region: str) -> Lookup:
        """The credential for ``service``/``region`` and the tier that served it.

        Raises:
            PolicyDenied: the injector's policy refused the credential.
            CredentialError: no tier could produce a credential.
        """
        key = self._keys.get((service, region))
        if key is None:
            key = self._key(service, region)
        return self._cache.get(key, self._load)

    def _key(self, service: str, region: str) -> CacheKey:
        key = CacheKey(self.spiffe_id, service, region)
        if len(self._keys) < _KEY_CACHE_LIMIT:  # services and regions come from code: few
            self._keys[(service, region)] = key
        return key

    async def alookup(self, service: str, region: str) -> Lookup:
        """Async twin of `lookup`.

        Raises:
            PolicyDenied: the injector's policy refused the credential.
            CredentialError: no tier could produce a credential.
        """
        return await self._cache.aget(CacheKey(self.spiffe_id, service, region), self._load)

    def close(self) -> None:
        """Release connections."""
        self._injector.close()
        if self._shared is not None:
            self._shared.close()

    def _load(self, key: CacheKey, beat: float | None) -> Lookup:
        shared, sealing_key = self._shared, self._shared_key()
        if shared is None or sealing_key is None:
            return Lookup(self._exchange(key, None, None), "L3")
        found = self._read_shared(shared, key, sealing_key, beat)
        if found is not None:
            return Lookup(found, "L2")
        token = shared.try_lock(key, int(self._lock_ttl * 1000))
        if token is None and not shared.degraded:
            # Another pod is exchanging this key: wait for its result instead of a second
            # exchange; if it never lands (pod died), exchange ourselves.
            found = self._await_shared(shared, key, sealing_key, beat)
            if found is not None:
                return Lookup(found, "L2")
        try:
            return Lookup(self._exchange(key, shared, sealing_key), "L3")
        finally:
            if token is not None:
                shared.unlock(key, token)

    def _read_shared(
        self, shared: SealedStore, key: CacheKey, sealing_key: bytes, beat: float | None
    ) -> Credential | None:
        with self._span("L2") as record:
            found = shared.get(key, sealing_key)
            if found is not None and beat is not None and found.expires_at <= beat:
                found = None  # A refresh wants a newer credential than the one we hold.
            record(found is not None)
        return found

    def _await_shared(
        self, shared: SealedStore, key: CacheKey, sealing_key: bytes, beat: float | None
    ) -> Credential | None:
        deadline = time.monotonic() + self._lock_wait
        while time.monotonic() < deadline and not shared.degraded:
            time.sleep(self._poll_interval)
            # Read the lock state first: the holder writes the value, then unlocks, so an
            # unlocked key read before the value means the value is there (or never comes).
            released = not shared.locked(key)
            found = shared.get(key, sealing_key)
            if found is not None and (beat is None or found.expires_at > beat):
                tally.add(True, "L2")
                return found
            if released:
                return None
        return None

    def _exchange(
        self, key: CacheKey, shared: SealedStore | None, sealing_key: bytes | None
    ) -> Credential:
        with self._span("L3") as record:
            credential, returned_key = self._injector.exchange(key.service, key.region)
            record(True)
        if returned_key is not None and self._sealing_key is None:
            self._sealing_key = returned_key
        if shared is not None and sealing_key is not None:
            shared.put(key, credential, sealing_key)
        return credential

    def _shared_key(self) -> bytes | None:
        if self._shared is None or self._shared.degraded:
            return None
        if self._sealing_key is not None:
            return self._sealing_key
        with self._key_lock:
            if self._sealing_key is None:
                try:
                    self._sealing_key = self._injector.sealing_key()
                except Exception:  # noqa: BLE001 (without a key, L2 is skipped, not fatal)
                    return None
            return self._sealing_key

    def _span(self, tier: Tier) -> _LookupSpan:
        return _LookupSpan(tier, self.spiffe_id, self.tenant)


class _LookupSpan:
    """The ``hexr.cache.lookup`` span, duration histogram and tally of one L2/L3 lookup.

    A plain context manager (not nested generator-based ones): the L2 hit is a hot path.
    Failures are recorded scrubbed (`record_error`): the chain under a CredentialError is
    another library's error text, which can quote a token. Attributes go in at start and
    in one call at the end: each set_attribute is a lock and a validation pass.
    """

    __slots__ = ("_recorder", "_span", "_start", "_tier", "_token")

    def __init__(self, tier: Tier, spiffe_id: str, tenant: str) -> None:
        self._tier = tier
        self._recorder = _Recorder()
        attrs = {"tier": tier, ATTR_SPIFFE_ID: spiffe_id, ATTR_TENANT: tenant}
        self._span = _tracer.start_span(SPAN_CACHE_LOOKUP, attributes=attrs)
        self._token: object = None
        self._start = 0.0

    def __enter__(self) -> _Recorder:
        self._token = otel_context.attach(trace.set_span_in_context(self._span))
        self._start = time.perf_counter()
        return self._recorder

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        elapsed = time.perf_counter() - self._start
        otel_context.detach(self._token)  # type: ignore[arg-type]
        span, hit = self._span, self._recorder.hit
        span.set_attributes({"hit": hit, "duration_ms": round(elapsed * 1000, 3)})
        if exc is not None:
            record_error(span, exc)
        span.end()
        lookup_duration().record(elapsed, TIER_ATTRS[self._tier])
        tally.add(hit, self._tier)


class _Recorder:
    __slots__ = ("hit",)

    def __init__(self) -> None:
        self.hit = False

    def __call__(self, hit: bool) -> None:
        self.hit = hit
