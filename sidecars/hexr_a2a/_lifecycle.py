"""While the sidecar runs: its registry entry, its replica heartbeat, and task recovery.

Each replica refreshes a short-lived heartbeat key; every task records the replica that
last wrote it. A task still submitted or working whose replica's heartbeat has expired
was running in a process that died (SIGKILL, crash): the sweep marks it failed with a
reason, so it never vanishes and never stays "working" forever. Input-required tasks
are kept: the caller's next message resumes them on any replica.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from a2a.types import Message, Part, Role, Task, TaskState, TaskStatus, TaskStatusUpdateEvent

from hexr.a2a import DEFAULT_TTL_S, RegistryEntry, live_entries, registry_key
from hexr_a2a._store import ValkeyTaskStore

__all__ = ["Lifecycle"]

_log = logging.getLogger("hexr.a2a.lifecycle")
_RUNNING = (b"submitted", b"working")
REASON = "the sidecar running this task stopped before it finished"


class Lifecycle:
    """Background upkeep of one replica (call `start`, then `stop`)."""

    def __init__(
        self,
        client: Any,
        store: ValkeyTaskStore,
        *,
        prefix: str,
        replica: str,
        tenant: str,
        agent: str,
        entry: RegistryEntry,
        ttl_s: int = DEFAULT_TTL_S,
        heartbeat_ttl_s: int = 3,
    ) -> None:
        self._valkey = client
        self._store = store
        self._prefix = prefix
        self._replica = replica
        self._registry_key = registry_key(tenant, agent)
        self._entry = entry
        self._ttl = ttl_s
        self._hb_ttl = heartbeat_ttl_s
        self._task: asyncio.Task[None] | None = None

    def _heartbeat_key(self, replica: str) -> str:
        return f"{self._prefix}:replica:{replica}"

    async def beat(self) -> None:
        """Refresh this replica's heartbeat and registry entry."""
        pipe = self._valkey.pipeline(transaction=False)
        pipe.set(self._heartbeat_key(self._replica), "1", ex=self._hb_ttl)
        pipe.hset(self._registry_key, self._replica, self._entry.dumps(self._ttl))
        pipe.expire(self._registry_key, self._ttl)
        pipe.hgetall(self._registry_key)
        *_, fields = await pipe.execute()
        live = {e.url for e in live_entries(fields)}
        stale = [k for k, v in fields.items() if RegistryEntry.loads(v).url not in live]
        if stale:  # entries of replicas that died without withdrawing them
            await self._valkey.hdel(self._registry_key, *stale)

    async def sweep(self) -> int:
        """Fail the running tasks of dead replicas; returns how many were failed."""
        failed = 0
        alive: dict[bytes, bool] = {}
        async for member in self._valkey.sscan_iter(self._store.running_key, count=500):
            try:
                failed += await self._recover(member, alive)
            except Exception:  # noqa: BLE001 - one bad record must not block the others
                _log.warning("A2A recovery skipped a task record", exc_info=True)
        return failed

    async def _recover(self, member: bytes, alive: dict[bytes, bool]) -> int:
        """Fail the running task ``member`` if its replica is dead; 1 when it did."""
        owner, _, task_id = member.decode().rpartition(":")
        key = self._store.task_key(owner, task_id)
        state, replica, version, data = await self._valkey.hmget(key, ["s", "r", "v", "d"])
        if state not in _RUNNING or replica is None or version is None or data is None:
            await self._valkey.srem(self._store.running_key, member)  # expired or done
            return 0
        if replica not in alive:
            alive[replica] = bool(await self._valkey.exists(self._heartbeat_key(replica.decode())))
        if not alive[replica] and await self._fail(owner, task_id, data, int(version)):
            return 1
        return 0

    async def _fail(self, owner: str, task_id: str, data: bytes, version: int) -> bool:
        from a2a.server.cluster import ConcurrentTaskModificationError, TaskVersion

        task = Task()
        task.ParseFromString(data)
        status = TaskStatus(
            state=TaskState.TASK_STATE_FAILED,
            message=Message(
                role=Role.ROLE_AGENT,
                message_id=f"recovery-{task_id}",
                task_id=task_id,
                context_id=task.context_id,
                parts=[Part(text=REASON)],
            ),
        )
        status.timestamp.GetCurrentTime()
        task.status.CopyFrom(status)
        event = TaskStatusUpdateEvent(task_id=task_id, context_id=task.context_id, status=status)
        try:
            await self._store.write(task, owner, event=event, prev_version=TaskVersion(version))
        except ConcurrentTaskModificationError:
            return False  # another replica moved it on meanwhile
        _log.warning("task of a stopped replica marked failed")
        return True

    async def _run(self, interval_s: float) -> None:
        while True:
            try:
                await self.beat()
                await self.sweep()
            except Exception:  # noqa: BLE001 - Valkey hiccups must not end the upkeep
                _log.warning("A2A upkeep failed; retrying", exc_info=True)
            await asyncio.sleep(interval_s)

    async def start(self, interval_s: float = 1.0) -> None:
        """Beat once now (so the agent is discoverable when ready), then in the background."""
        await self.beat()
        self._task = asyncio.create_task(self._run(interval_s))

    async def stop(self) -> None:
        """Stop upkeep and withdraw the registry entry and heartbeat."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        with contextlib.suppress(Exception):
            await self._valkey.hdel(self._registry_key, self._replica)
            await self._valkey.delete(self._heartbeat_key(self._replica))
