"""Tasks and their events in Valkey: a versioned ``TaskStore`` and a streams event log.

Keys (prefix ``hexr:a2a:{tenant}:{agent}``):

- ``…:task:{owner}:{id}`` hash: ``d`` the serialized Task, ``v`` its version (writes
  counted), ``s`` its state, ``t`` terminal flag, ``c`` creation time (ns), ``r`` the
  replica that last wrote it.
- ``…:tasks:{owner}`` sorted set of task ids by status time (ListTasks).
- ``…:events:{id}`` stream: ``v`` version, ``e`` a serialized ``StreamResponse``.
- ``…:running`` set of ``{owner}:{id}`` of tasks submitted or working (recovery sweep).

A save is one Lua script (compare-and-swap on ``v``, then write the task, index it and
append its event), so two replicas never interleave a task's writes and every subscriber
of the stream sees the same ordered events. The owner is the caller's SPIFFE ID: a task
is invisible to any other caller, which answers "not found" exactly as for no task.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncGenerator, Callable, Sequence
from typing import Any

from a2a.server.cluster import (
    ConcurrentTaskModificationError,
    StoredTask,
    TaskEventStream,
    TaskVersion,
    VersionedEvent,
    VersionedTaskStore,
)
from a2a.server.context import ServerCallContext
from a2a.server.events.event_queue import Event
from a2a.types import ListTasksRequest, ListTasksResponse, StreamResponse, Task, TaskState
from a2a.utils.constants import DEFAULT_LIST_TASKS_PAGE_SIZE
from a2a.utils.proto_utils import to_stream_response
from a2a.utils.task import ListTasksCursor, decode_list_tasks_cursor, encode_list_tasks_cursor

from hexr_a2a._metrics import SidecarMetrics

__all__ = ["TERMINAL", "ValkeyTaskEventStream", "ValkeyTaskStore", "owner_of", "state_label"]

TERMINAL = frozenset(
    {
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_REJECTED,
    }
)

# CAS save. KEYS: task hash, index zset, event stream, running set. ARGV: data, prev_version,
# is_cancel, state, event ('' for none), score, task id, stream maxlen, ttl s, now ns,
# replica, terminal flag, running member. Returns {version, previous state, created}, or
# {-1, stored state} on conflict.
_SAVE = """
local cur = redis.call('HGET', KEYS[1], 'v')
local curv = tonumber(cur or '0')
local stored = redis.call('HGET', KEYS[1], 's') or 'missing'
if ARGV[3] == '1' then
  if not cur then return {-1, stored} end
  if redis.call('HGET', KEYS[1], 't') == '1' then return {-1, stored} end
elseif tonumber(ARGV[2]) ~= curv then
  return {-1, stored}
end
local newv = curv + 1
local prev_state = redis.call('HGET', KEYS[1], 's') or ''
local created = redis.call('HGET', KEYS[1], 'c') or ARGV[10]
redis.call('HSET', KEYS[1], 'd', ARGV[1], 'v', newv, 's', ARGV[4], 'c', created,
  't', ARGV[12], 'r', ARGV[11])
redis.call('EXPIRE', KEYS[1], ARGV[9])
redis.call('ZADD', KEYS[2], ARGV[6], ARGV[7])
redis.call('EXPIRE', KEYS[2], ARGV[9])
if ARGV[4] == 'submitted' or ARGV[4] == 'working' then
  redis.call('SADD', KEYS[4], ARGV[13])
else
  redis.call('SREM', KEYS[4], ARGV[13])
end
if ARGV[5] ~= '' then
  redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[8], '*', 'v', newv, 'e', ARGV[5])
  redis.call('EXPIRE', KEYS[3], ARGV[9])
end
return {newv, prev_state, created}
"""

_MAX_LIST = 1000  # tasks one owner's ListTasks considers (bounded work per request)
_MAX_PAGE = 100


def owner_of(context: ServerCallContext) -> str:
    """The task owner: the caller's verified identity (``user_name``)."""
    return context.user.user_name or "anonymous"


def state_label(state: int) -> str:
    """``TASK_STATE_INPUT_REQUIRED`` → ``input_required`` (metric label)."""
    return str(TaskState.Name(state)).removeprefix("TASK_STATE_").lower()


def _as_int(version: TaskVersion) -> int:
    value = version._value
    return int(value)


def _sort_key(task: Task) -> tuple[bool, int, str]:
    has = task.HasField("status") and task.status.HasField("timestamp")
    return (has, task.status.timestamp.ToNanoseconds() if has else 0, task.id)


class ValkeyTaskStore(VersionedTaskStore):
    """`VersionedTaskStore` on Valkey, scoped per agent and per caller (owner)."""

    def __init__(
        self,
        client: Any,
        prefix: str,
        metrics: SidecarMetrics,
        *,
        replica: str,
        retention_s: int = 7 * 24 * 3600,
        stream_maxlen: int = 1000,
        owner_resolver: Callable[[ServerCallContext], str] = owner_of,
    ) -> None:
        self._valkey = client
        self._prefix = prefix
        self._metrics = metrics
        self._replica = replica
        self._retention_s = retention_s
        self._maxlen = stream_maxlen
        self._owner = owner_resolver
        self._save = client.register_script(_SAVE)

    def task_key(self, owner: str, task_id: str) -> str:
        """Key of one task's hash."""
        return f"{self._prefix}:task:{owner}:{task_id}"

    def index_key(self, owner: str) -> str:
        """Key of one owner's task index."""
        return f"{self._prefix}:tasks:{owner}"

    @property
    def running_key(self) -> str:
        """Key of the set of running tasks (``owner:id``)."""
        return f"{self._prefix}:running"

    def events_key(self, task_id: str) -> str:
        """Key of one task's event stream."""
        return f"{self._prefix}:events:{task_id}"

    async def save(
        self,
        task: Task,
        *,
        event: Event | None,
        prev: Task | None,
        prev_version: TaskVersion,
        context: ServerCallContext,
    ) -> TaskVersion:
        """Persist ``task`` if ``prev_version`` is current; append ``event`` to its stream."""
        owner = self._owner(context)
        return await self.write(task, owner, event=event, prev_version=prev_version)

    async def write(
        self,
        task: Task,
        owner: str,
        *,
        event: Event | None,
        prev_version: TaskVersion,
    ) -> TaskVersion:
        """`save` for a known owner (recovery writes without a call context)."""
        canceled = task.status.state == TaskState.TASK_STATE_CANCELED
        score = _sort_key(task)[1] / 1e9
        payload = to_stream_response(event).SerializeToString() if event is not None else b""
        new_state = state_label(task.status.state)
        with self._metrics.store_op("save") as ok:
            result = await self._save(
                keys=[
                    self.task_key(owner, task.id),
                    self.index_key(owner),
                    self.events_key(task.id),
                    self.running_key,
                ],
                args=[
                    task.SerializeToString(),
                    0 if prev_version.is_missing else _as_int(prev_version),
                    "1" if canceled else "0",
                    new_state,
                    payload,
                    score,
                    task.id,
                    self._maxlen,
                    self._retention_s,
                    time.time_ns(),
                    self._replica,
                    "1" if task.status.state in TERMINAL else "0",
                    f"{owner}:{task.id}",
                ],
            )
            ok()
        if int(result[0]) == -1:
            self._metrics.task_error(_text(result[1]), new_state)
            raise ConcurrentTaskModificationError(task.id)
        version, prev_state, created = int(result[0]), _text(result[1]), int(result[2])
        if prev_state != new_state:
            self._metrics.transition(new_state)
            if task.status.state in TERMINAL:
                self._metrics.task_duration(new_state, (time.time_ns() - created) / 1e9)
        return TaskVersion(version)

    async def get(self, task_id: str, context: ServerCallContext) -> StoredTask | None:
        """The caller's task with its version, or None."""
        with self._metrics.store_op("get") as ok:
            data, version = await self._valkey.hmget(
                self.task_key(self._owner(context), task_id), ["d", "v"]
            )
            ok()
        if data is None:
            return None
        task = Task()
        task.ParseFromString(data)
        return StoredTask(task=task, version=TaskVersion(int(version)))

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        """The caller's tasks, newest status first, filtered and cursor-paginated."""
        owner = self._owner(context)
        with self._metrics.store_op("list") as ok:
            ids = await self._valkey.zrevrange(self.index_key(owner), 0, _MAX_LIST - 1)
            blobs = await self._fetch(owner, ids)
            ok()
        tasks = []
        for blob in blobs:
            if blob is None:
                continue
            task = Task()
            task.ParseFromString(blob)
            tasks.append(task)
        if params.context_id:
            tasks = [t for t in tasks if t.context_id == params.context_id]
        if params.status:
            tasks = [t for t in tasks if t.status.state == params.status]
        if params.HasField("status_timestamp_after"):
            after_ns = params.status_timestamp_after.ToNanoseconds()
            tasks = [t for t in tasks if _sort_key(t)[0] and _sort_key(t)[1] >= after_ns]
        tasks.sort(key=_sort_key, reverse=True)
        start = 0
        if params.page_token:
            cursor = decode_list_tasks_cursor(params.page_token)
            if cursor is not None:
                after = cursor.sort_key()
                start = next((i for i, t in enumerate(tasks) if _sort_key(t) < after), len(tasks))
        size = min(params.page_size or DEFAULT_LIST_TASKS_PAGE_SIZE, _MAX_PAGE)
        end = start + size
        next_token = ""
        if end < len(tasks):
            has, ts, tid = _sort_key(tasks[end - 1])
            next_token = encode_list_tasks_cursor(
                ListTasksCursor(timestamp_ns=ts if has else None, task_id=tid)
            )
        return ListTasksResponse(
            tasks=tasks[start:end],
            next_page_token=next_token,
            total_size=len(tasks),
            page_size=size,
        )

    async def _fetch(self, owner: str, ids: Sequence[Any]) -> Sequence[Any]:
        pipe = self._valkey.pipeline(transaction=False)
        for task_id in ids:
            pipe.hget(self.task_key(owner, _text(task_id)), "d")
        blobs: Sequence[Any] = await pipe.execute()
        return blobs

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        """Remove the caller's task and its index entry."""
        owner = self._owner(context)
        with self._metrics.store_op("delete") as ok:
            pipe = self._valkey.pipeline(transaction=True)
            pipe.delete(self.task_key(owner, task_id))
            pipe.zrem(self.index_key(owner), task_id)
            await pipe.execute()
            ok()


def _text(value: Any) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


class ValkeyTaskEventStream(TaskEventStream):
    """`TaskEventStream` on Valkey streams: the store appends, subscribers XREAD.

    ``publish`` is a no-op because ``ValkeyTaskStore.save`` appends the event in the same
    script as the write, so the log and the task never disagree.
    """

    def __init__(
        self,
        client_factory: Callable[[], Any],
        store: ValkeyTaskStore,
        metrics: SidecarMetrics,
        block_ms: int = 1000,
    ) -> None:
        self._factory = client_factory
        self._store = store
        self._metrics = metrics
        self._block_ms = block_ms

    async def publish(self, task_id: str, event: VersionedEvent) -> None:
        """No-op: ``save`` appended the event atomically with the task."""
        del task_id, event

    async def subscribe(
        self, task_id: str, *, after: TaskVersion
    ) -> AsyncGenerator[VersionedEvent, None]:
        """Events of ``task_id`` newer than ``after``, oldest first, until closed."""
        key = self._store.events_key(task_id)
        client = self._factory()  # blocking reads hold a connection: one per subscriber
        cursor = "0"
        try:
            while True:
                with self._metrics.store_op("read") as ok:
                    answer = await client.xread({key: cursor}, count=100, block=self._block_ms)
                    ok()
                for _stream, entries in answer or []:
                    for entry_id, fields in entries:
                        cursor = _text(entry_id)
                        version = TaskVersion(int(fields[b"v"]))
                        if not version.is_after(after):
                            continue
                        response = StreamResponse()
                        response.ParseFromString(fields[b"e"])
                        yield VersionedEvent(event=_event_of(response), version=version)
                await asyncio.sleep(0)
        finally:
            await client.aclose()

    async def destroy(self, task_id: str) -> None:
        """No-op: the log expires with the task (retention), subscribers stop by themselves."""
        del task_id


def _event_of(response: StreamResponse) -> Event:
    which = response.WhichOneof("payload")
    if which is None:
        raise ValueError("empty stream event")
    event: Event = getattr(response, which)
    return event
