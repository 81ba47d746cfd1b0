"""The A2A registry in Valkey: where each agent's sidecar serves, by tenant and name.

The key of an agent is a hash with one field per sidecar replica; each replica rewrites
its field every second with a near expiry time, so a killed replica drops out within the
TTL and callers pick among the live ones. Entries are only locators: the caller still
authenticates the sidecar by its SPIFFE ID over mTLS, so a forged entry cannot make a
client talk to an impostor.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hexr.errors import HexrError

__all__ = ["DEFAULT_TTL_S", "RegistryEntry", "live_entries", "registry_key"]

DEFAULT_TTL_S = 5
_MAX_ENTRY_BYTES = 4096


def registry_key(tenant: str, agent: str) -> str:
    """Valkey key of one agent's entry."""
    return f"hexr:a2a:registry:{tenant}:{agent}"


@dataclass(frozen=True, slots=True)
class RegistryEntry:
    """Where an agent's sidecar answers, and the SPIFFE ID it must present."""

    url: str
    spiffe_id: str
    expires_at: float = 0.0

    def dumps(self, ttl_s: float = DEFAULT_TTL_S) -> str:
        """The entry as stored, valid for ``ttl_s`` from now."""
        return json.dumps(
            {"url": self.url, "spiffe_id": self.spiffe_id, "expires_at": time.time() + ttl_s}
        )

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
            return cls(
                url=str(value["url"]),
                spiffe_id=str(value["spiffe_id"]),
                expires_at=float(value.get("expires_at", 0.0)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise HexrError("malformed A2A registry entry") from exc


def live_entries(fields: Mapping[Any, Any], now: float | None = None) -> list[RegistryEntry]:
    """The unexpired, well-formed entries of a registry hash (replica → entry)."""
    moment = time.time() if now is None else now
    entries = []
    for raw in fields.values():
        try:
            entry = RegistryEntry.loads(raw)
        except HexrError:
            continue
        if entry.expires_at > moment:
            entries.append(entry)
    return entries
