"""The bridge: an a2a-sdk ``AgentExecutor`` that runs the agent's own function.

The sidecar imported the ``@serves_a2a`` function (it runs as the agent's ``a2a`` role),
so a task is a plain call: the inbound message becomes an ``A2ARequest``; what the
function returns or raises becomes the task's artifacts and state. The span
``hexr.a2a.bridge.execute`` continues the caller's trace (W3C ``traceparent`` from the
request headers), so the function's ``hexr.agent.invoke`` span joins the same trace.
"""

from __future__ import annotations

import inspect
import logging
import uuid
from collections.abc import Callable, Sequence
from typing import Any

import anyio.to_thread
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events.event_queue import EventQueue
from a2a.server.tasks.task_updater import TaskUpdater
from a2a.types import Message, Part, Role, Task, TaskState, TaskStatus
from opentelemetry import propagate, trace

from hexr.a2a import (
    A2ARequest,
    Artifact,
    DataPart,
    InputRequired,
    TaskFailed,
    TaskRejected,
    TextPart,
    from_proto_parts,
    to_proto_parts,
)
from hexr.a2a import Message as DirectMessage
from hexr.telemetry import get_tracer
from hexr.telemetry import names as n
from hexr_a2a._auth import PeerUser
from hexr_a2a._metrics import SidecarMetrics

__all__ = ["AgentBridge"]

_log = logging.getLogger("hexr.a2a.bridge")
_MAX_HISTORY = 50


def _history(task: Task | None) -> tuple[str, ...]:
    if task is None:
        return ()
    texts = []
    for message in task.history[-_MAX_HISTORY:]:
        parts = from_proto_parts(message.parts)
        texts.append("\n".join(p.text for p in parts if isinstance(p, TextPart)))
    return tuple(texts)


def _artifacts(result: Any) -> list[Artifact]:
    if result is None:
        return []
    if isinstance(result, str):
        return [Artifact(parts=(TextPart(result),), name="result")]
    if isinstance(result, Artifact):
        return [result]
    if isinstance(result, dict):
        return [Artifact(parts=(DataPart(result),), name="result")]
    if isinstance(result, Sequence) and all(isinstance(a, Artifact) for a in result):
        return list(result)
    raise TypeError(f"an A2A agent function cannot return {type(result).__name__}")


class AgentBridge(AgentExecutor):
    """Runs ``func`` for each task; sync functions run in a worker thread."""

    def __init__(
        self, func: Callable[..., Any], metrics: SidecarMetrics, *, direct_messages: bool = False
    ) -> None:
        self._func = func
        self._direct = direct_messages
        self._metrics = metrics
        self._tracer = get_tracer()

    async def _call(self, request: A2ARequest) -> Any:
        if inspect.iscoroutinefunction(self._func):
            return await self._func(request)
        return await anyio.to_thread.run_sync(self._func, request)

    def _agent_message(self, updater: TaskUpdater, text: str) -> Message:
        return updater.new_agent_message(parts=[Part(text=text)])

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Run the agent function for one inbound message and publish the outcome."""
        message = context.message
        task_id = context.task_id or uuid.uuid4().hex
        context_id = context.context_id or uuid.uuid4().hex
        user = context.call_context.user
        source_agent = user.agent if isinstance(user, PeerUser) else ""
        source_tenant = user.tenant if isinstance(user, PeerUser) else ""
        self._metrics.message(source_agent or "unknown")
        headers = context.call_context.state.get("headers") or {}
        parent = propagate.extract(headers)
        updater = TaskUpdater(event_queue=event_queue, task_id=task_id, context_id=context_id)
        current = context.current_task
        with self._tracer.start_as_current_span(
            n.SPAN_A2A_BRIDGE_EXECUTE,
            context=parent,
            attributes={
                "source_agent": source_agent,
                "task_id": task_id,
                "tenant": self._metrics.tenant,
                "agent_name": self._metrics.agent,
            },
        ) as span:
            request = A2ARequest(
                parts=from_proto_parts(message.parts) if message is not None else (),
                task_id=task_id,
                context_id=context_id,
                source_agent=source_agent,
                source_tenant=source_tenant,
                history=_history(current),
            )
            status = "ok"
            if current is None and not self._direct:
                # Announce the task before the work, so callers see it submitted/working.
                await self._ensure_task(event_queue, None, task_id, context_id, message)
                current = Task(id=task_id)
                await updater.start_work()
            elif current is not None:
                await updater.start_work()
            try:
                result = await self._call(request)
            except InputRequired as exc:
                await self._ensure_task(event_queue, current, task_id, context_id, message)
                await updater.requires_input(self._agent_message(updater, exc.question))
                status = "input_required"
            except TaskRejected as exc:
                await self._ensure_task(event_queue, current, task_id, context_id, message)
                await updater.reject(self._agent_message(updater, exc.reason))
                status = "rejected"
            except TaskFailed as exc:
                await self._ensure_task(event_queue, current, task_id, context_id, message)
                await updater.failed(self._agent_message(updater, exc.reason))
                status = "failed"
            except Exception as exc:  # noqa: BLE001 - any agent error fails the task, never the sidecar
                _log.warning("agent function raised %s", type(exc).__name__)
                span.set_status(trace.Status(trace.StatusCode.ERROR, type(exc).__name__))
                await self._ensure_task(event_queue, current, task_id, context_id, message)
                await updater.failed(
                    self._agent_message(updater, f"the agent failed ({type(exc).__name__})")
                )
                status = "error"
            else:
                if isinstance(result, DirectMessage) and current is None:
                    await event_queue.enqueue_event(
                        Message(
                            role=Role.ROLE_AGENT,
                            message_id=uuid.uuid4().hex,
                            parts=to_proto_parts(result.parts),
                            context_id=context_id,
                        )
                    )
                    status = "message"
                else:
                    if current is None:
                        await self._ensure_task(event_queue, None, task_id, context_id, message)
                        await updater.start_work()
                    if isinstance(result, DirectMessage):
                        await updater.complete(
                            updater.new_agent_message(parts=to_proto_parts(result.parts))
                        )
                    else:
                        try:
                            artifacts = _artifacts(result)
                        except TypeError as exc:
                            await updater.failed(self._agent_message(updater, str(exc)))
                            status = "error"
                            artifacts = []
                        for artifact in artifacts:
                            await updater.add_artifact(
                                parts=to_proto_parts(artifact.parts),
                                name=artifact.name or None,
                                last_chunk=True,
                            )
                        if status == "ok":
                            await updater.complete()
            span.set_attribute("status", status)
            self._metrics.bridge(source_agent or "unknown", status)

    async def _ensure_task(
        self,
        event_queue: EventQueue,
        current: Task | None,
        task_id: str,
        context_id: str,
        message: Message | None,
    ) -> None:
        if current is not None:
            return
        await event_queue.enqueue_event(
            Task(
                id=task_id,
                context_id=context_id,
                status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
                history=[message] if message is not None else [],
            )
        )

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        """Mark the task canceled (the running call, if any, was cancelled by a2a-sdk)."""
        updater = TaskUpdater(
            event_queue=event_queue,
            task_id=context.task_id or "",
            context_id=context.context_id or "",
        )
        await updater.cancel()
