"""The A2A registry in Valkey: where each agent's sidecar serves, by tenant and name.

A sidecar writes its entry when it starts and refreshes it while it runs; the entry has a
TTL, so a dead sidecar drops out by itself. Entries are only locators: the caller still
authenticates the sidecar by its SPIFFE ID over mTLS, so a forged entry cannot make a
client talk to an impostor.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hexr.errors import HexrError

__all__ = ["DEFAULT_TTL_S", "RegistryEntry", "registry_key"]

DEFAULT_TTL_S = 15
_MAX_ENTRY_BYTES = 4096


def registry_key(tenant: str, agent: str) -> str:
    """Valkey key of one agent's entry."""
    return f"hexr:a2a:registry:{tenant}:{agent}"


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """Where an agent's sidecar answers, and the SPIFFE ID it must present."""

    url: str
    spiffe_id: str

    def dumps(self) -> str:
        """The entry as stored."""
        return json.dumps({"url": self.url, "spiffe_id": self.spiffe_id})

    @classmethod
    def loads(cls, raw: bytes | str) -> RegistryEntry:
        """Parse a stored entry.

        Raises:
            HexrError: the entry is malformed.
        """
        if len(raw) > _MAX_ENTRY_BYTES:
            raise HexrError("A2A registry entry too large")
        try:
            value: Any = json.loads(raw)
            return cls(url=str(value["url"]), spiffe_id=str(value["spiffe_id"]))
        except (ValueError, KeyError, TypeError) as exc:
            raise HexrError("malformed A2A registry entry") from exc
