"""A secret value whose representation never shows the value."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

__all__ = ["Secret"]


class Secret:
    """The fields of one secret version; ``repr``/``str`` show field names, never values.

    Read a field with ``secret["password"]`` or all fields with `reveal()`.
    """

    __slots__ = ("_data", "path", "version")

    def __init__(self, path: str, data: Mapping[str, Any], version: int | None = None) -> None:
        self.path = path
        self.version = version
        self._data = MappingProxyType(dict(data))

    def reveal(self) -> dict[str, Any]:
        """A copy of all fields, values included."""
        return dict(self._data)

    def keys(self) -> list[str]:
        """Field names (not secret)."""
        return sorted(self._data)

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __contains__(self, key: object) -> bool:
        return key in self._data

    def __len__(self) -> int:
        return len(self._data)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __repr__(self) -> str:
        return (
            f"Secret(path={self.path!r}, version={self.version}, keys={self.keys()},"
            " values=<redacted>)"
        )

    __str__ = __repr__

    def __reduce__(self) -> Any:
        # Pickling would copy the value into caches and queues; refuse rather than leak.
        raise TypeError("a Secret cannot be pickled; pass secret.reveal() explicitly")
