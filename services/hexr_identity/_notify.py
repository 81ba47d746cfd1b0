"""A version counter that coroutines can wait on (trust bundle changes)."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Changes"]


class Changes:
    """Wakes every waiter when `bump` is called; waiters compare versions to skip nothing."""

    def __init__(self) -> None:
        self.version = 0
        self._event = asyncio.Event()

    def bump(self) -> None:
        """Record a change and wake all current waiters."""
        self.version += 1
        self._event.set()
        self._event = asyncio.Event()

    async def wait(self, since: int, timeout: float) -> None:
        """Return when the version moved past ``since`` or after ``timeout`` seconds."""
        if self.version != since:
            return
        event = self._event
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), timeout=max(timeout, 0.0))
