"""`LruDict`: a mapping that forgets its least recently used entries beyond a bound.

Every per-key cache in the injector (per region, per identity) is one of these: a key the
caller chooses must never grow the process without end.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Generic, TypeVar

__all__ = ["LruDict"]

K = TypeVar("K")
V = TypeVar("V")


class LruDict(Generic[K, V]):
    """At most ``capacity`` entries; reading or writing an entry makes it the newest."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._capacity = capacity
        self._entries: OrderedDict[K, V] = OrderedDict()

    def get(self, key: K) -> V | None:
        """The entry for ``key`` (now the newest), or None."""
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: K, value: V) -> None:
        """Store ``value``, evicting the oldest entries beyond the capacity."""
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self._capacity:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
