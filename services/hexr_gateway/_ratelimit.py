"""Rate limits per (tenant, agent, tool): fixed windows counted in Valkey or in memory.

The Valkey counter is one atomic script (INCR, and PEXPIRE on the first hit of a
window), so every replica sharing the Valkey sees one count. When Valkey cannot be
reached the call is refused (`Unavailable`): a limit that silently stops counting is no
limit. The in-memory twin serves a single process (no ``valkey_url``) and tests; its
table is bounded.
"""

from __future__ import annotations

import fnmatch
import threading
import time
from abc import ABC, abstractmethod
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from hexr.endpoints import with_valkey_credentials
from hexr_gateway._config import RateLimit
from hexr_gateway.errors import RateLimited, Unavailable

__all__ = ["InMemoryCounter", "LimitChecker", "ValkeyCounter", "WindowCounter"]

_SCRIPT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('PTTL', KEYS[1])}
"""
_MAX_MEMORY_KEYS = 65536
_KEY_PREFIX = "hexr:gateway:rl"


class WindowCounter(ABC):
    """Counts hits of a key within a window."""

    @abstractmethod
    async def hit(self, key: str, window_ms: int) -> tuple[int, int]:
        """Count one hit; returns (hits in the current window, ms until it resets)."""

    async def aclose(self) -> None:
        """Release connections."""
        return None


class InMemoryCounter(WindowCounter):
    """Per-process windows (oldest keys evicted beyond a bound)."""

    def __init__(self, max_keys: int = _MAX_MEMORY_KEYS) -> None:
        self._max = max_keys
        self._windows: OrderedDict[str, tuple[int, float]] = OrderedDict()
        self._lock = threading.Lock()

    async def hit(self, key: str, window_ms: int) -> tuple[int, int]:
        """Count one hit in memory."""
        now = time.monotonic()
        with self._lock:
            count, resets = self._windows.get(key, (0, 0.0))
            if now >= resets:
                count, resets = 0, now + window_ms / 1000
            count += 1
            self._windows[key] = (count, resets)
            self._windows.move_to_end(key)
            while len(self._windows) > self._max:
                self._windows.popitem(last=False)
        return count, int((resets - now) * 1000)


class ValkeyCounter(WindowCounter):
    """Windows in Valkey, shared by every gateway replica."""

    def __init__(self, url: str, *, timeout: float = 1.0) -> None:
        import valkey.asyncio as valkey_asyncio

        # The platform's published URL has no password; the gateway (a process of the
        # platform's user) takes the shared user's from the secrets directory.
        self._client: Any = valkey_asyncio.from_url(  # type: ignore[no-untyped-call]
            with_valkey_credentials(url), socket_timeout=timeout, socket_connect_timeout=timeout
        )
        self._script = self._client.register_script(_SCRIPT)

    async def hit(self, key: str, window_ms: int) -> tuple[int, int]:
        """Count one hit in Valkey.

        Raises:
            Unavailable: Valkey cannot be reached or answered oddly.
        """
        import valkey.exceptions

        try:
            count, ttl = await self._script(keys=[key], args=[window_ms])
        except (valkey.exceptions.ValkeyError, OSError, ValueError) as exc:
            raise Unavailable("rate-limit store unavailable") from exc
        return int(count), max(int(ttl), 0)

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


class LimitChecker:
    """Applies every configured limit matching (tenant, agent, tool): a tenant-wide quota
    and a per-tool rate both hold."""

    def __init__(self, limits: Sequence[RateLimit], counter: WindowCounter) -> None:
        self._limits = list(limits)
        self._counter = counter

    def _matching(self, tenant: str, agent: str, tool: str) -> list[tuple[int, RateLimit]]:
        return [
            (index, rule) for index, rule in enumerate(self._limits)
            if fnmatch.fnmatchcase(tenant, rule.tenant)
            and fnmatch.fnmatchcase(agent, rule.agent)
            and fnmatch.fnmatchcase(tool, rule.tool)
        ]

    async def check(self, tenant: str, agent: str, tool: str) -> None:
        """Count the call against its limit.

        Raises:
            RateLimited: the limit for this window is used up.
            Unavailable: the shared counter cannot be reached.
        """
        values = {"tenant": tenant, "agent": agent, "tool": tool}
        for index, rule in self._matching(tenant, agent, tool):
            window = int(time.time()) // rule.window_seconds
            # Names come from validated SPIFFE IDs and tool names: no ':' occurs in them.
            scope = ":".join(values[d] if d in rule.per else "*" for d in values)
            key = f"{_KEY_PREFIX}:{index}:{scope}:{rule.window_seconds}:{window}"
            count, ttl_ms = await self._counter.hit(key, rule.window_seconds * 1000)
            if count > rule.limit:
                retry = max(ttl_ms / 1000, 1.0)
                raise RateLimited(
                    f"rate limit of {rule.limit} calls per {rule.window_seconds} s exceeded;"
                    f" retry in {round(retry)} s",
                    retry_after=retry,
                )

    async def aclose(self) -> None:
        """Release the counter."""
        await self._counter.aclose()
