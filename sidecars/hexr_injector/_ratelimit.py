"""Per-identity rate limit of exchanges: one token bucket per verified SPIFFE ID.

A registered agent can only spend its own budget; the buckets live in a bounded LRU, so
many identities cannot grow the injector either (a forgotten bucket starts full again,
which is the same as an identity that has been idle).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from hexr_injector._bounded import LruDict

__all__ = ["RateLimiter", "retry_after_seconds"]


@dataclass
class _Bucket:
    tokens: float
    updated: float


class RateLimiter:
    """``rate`` exchanges per second on average, bursts of ``burst``, per identity."""

    def __init__(
        self,
        rate: float,
        burst: int,
        *,
        max_identities: int = 10_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._clock = clock
        self._buckets: LruDict[str, _Bucket] = LruDict(max_identities)
        self._lock = threading.Lock()

    def acquire(self, identity: str) -> float:
        """Spend one token of ``identity``: 0.0 if allowed, else seconds until the next."""
        now = self._clock()
        with self._lock:
            bucket = self._buckets.get(identity)
            if bucket is None:
                bucket = _Bucket(self._burst, now)
                self._buckets.put(identity, bucket)
            bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.updated) * self._rate)
            bucket.updated = now
            if bucket.tokens >= 1.0:
                bucket.tokens -= 1.0
                return 0.0
            return (1.0 - bucket.tokens) / self._rate


def retry_after_seconds(seconds: float) -> int:
    """A wait as ``Retry-After`` whole seconds (at least 1)."""
    return max(1, math.ceil(seconds))
