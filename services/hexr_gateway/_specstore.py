"""Specs registered at run time (``register_spec``), shared by replicas through Valkey.

A registration writes the document under its tenant and bumps a version counter; each
replica compares the counter (at most once per ``check_interval``) and reloads the
registered specs when it moved, so every replica serves the same tool set. The
in-memory twin serves a single process.
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from typing import Any

from hexr.endpoints import with_valkey_credentials
from hexr_gateway.errors import Unavailable

__all__ = ["InMemorySpecStore", "RegisteredSpec", "SpecStore", "ValkeySpecStore"]

_PREFIX = "hexr:gateway:specs"
MAX_REGISTERED_PER_TENANT = 64

RegisteredSpec = dict[str, Any]
"""``{"tenant", "name", "spec", "base_url", "registered_by"}``."""


class SpecStore(ABC):
    """Where registered specs live."""

    @abstractmethod
    async def put(self, entry: RegisteredSpec) -> None:
        """Store (or replace) one registered spec."""

    @abstractmethod
    async def get(self, tenant: str, name: str) -> RegisteredSpec | None:
        """One registered spec, or None."""

    @abstractmethod
    async def version(self) -> int:
        """A counter that moves on every change."""

    @abstractmethod
    async def all(self) -> list[RegisteredSpec]:
        """Every registered spec."""

    async def aclose(self) -> None:
        """Release connections."""
        return None


class InMemorySpecStore(SpecStore):
    """Per-process registered specs."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], RegisteredSpec] = {}
        self._version = 0

    async def put(self, entry: RegisteredSpec) -> None:
        """Store in memory."""
        self._entries[(entry["tenant"], entry["name"])] = entry
        self._version += 1

    async def get(self, tenant: str, name: str) -> RegisteredSpec | None:
        """One stored spec."""
        return self._entries.get((tenant, name))

    async def version(self) -> int:
        """The change counter."""
        return self._version

    async def all(self) -> list[RegisteredSpec]:
        """Every stored spec."""
        return list(self._entries.values())


class ValkeySpecStore(SpecStore):
    """Registered specs in Valkey (one hash per tenant, a tenant set, a version)."""

    def __init__(self, url: str, *, timeout: float = 2.0) -> None:
        import valkey.asyncio as valkey_asyncio

        # The platform's published URL has no password; the gateway (a process of the
        # platform's user) takes the shared user's from the secrets directory.
        self._client: Any = valkey_asyncio.from_url(  # type: ignore[no-untyped-call]
            with_valkey_credentials(url), socket_timeout=timeout, socket_connect_timeout=timeout
        )

    async def _run(self, op: Any) -> Any:
        import valkey.exceptions

        try:
            return await op
        except (valkey.exceptions.ValkeyError, OSError) as exc:
            raise Unavailable("spec store unavailable") from exc

    async def put(self, entry: RegisteredSpec) -> None:
        """Store in Valkey and bump the version."""
        tenant = entry["tenant"]
        async with self._client.pipeline(transaction=True) as pipe:
            pipe.sadd(f"{_PREFIX}:tenants", tenant)
            pipe.hset(f"{_PREFIX}:{tenant}", entry["name"], json.dumps(entry))
            pipe.incr(f"{_PREFIX}:version")
            await self._run(pipe.execute())

    async def get(self, tenant: str, name: str) -> RegisteredSpec | None:
        """One registered spec from Valkey."""
        raw = await self._run(self._client.hget(f"{_PREFIX}:{tenant}", name))
        if raw is None:
            return None
        entry: RegisteredSpec = json.loads(raw)
        return entry

    async def version(self) -> int:
        """The shared change counter."""
        value = await self._run(self._client.get(f"{_PREFIX}:version"))
        return int(value or 0)

    async def all(self) -> list[RegisteredSpec]:
        """Every registered spec of every tenant."""
        tenants = await self._run(self._client.smembers(f"{_PREFIX}:tenants"))
        out: list[RegisteredSpec] = []
        for raw_tenant in sorted(tenants):
            tenant = raw_tenant.decode() if isinstance(raw_tenant, bytes) else str(raw_tenant)
            values = await self._run(self._client.hvals(f"{_PREFIX}:{tenant}"))
            out.extend(json.loads(v) for v in values[:MAX_REGISTERED_PER_TENANT])
        return out

    async def aclose(self) -> None:
        """Close the connection pool."""
        await self._client.aclose()


class VersionWatch:
    """Remembers the last seen version; `due` limits how often the store is asked."""

    def __init__(self, check_interval: float = 1.0) -> None:
        self.seen = -1
        self._interval = check_interval
        self._checked = float("-inf")

    def due(self) -> bool:
        """Whether the version should be checked again now."""
        now = time.monotonic()
        if now - self._checked < self._interval:
            return False
        self._checked = now
        return True
