"""``A2AClient`` / ``AsyncA2AClient``: call another agent over A2A, through its sidecar.

The target is an agent name in the caller's tenant (looked up in the Valkey registry the
sidecars populate) or a URL. Calls go over mTLS with the caller's X.509-SVID; the server
must present the SPIFFE ID the registry names (or, for a URL, one of the caller's trust
domain). The official ``a2a-sdk`` client speaks the protocol; this module adds identity,
discovery, the ``hexr.a2a.client.send`` span, metrics and W3C trace context.
"""

from __future__ import annotations

import asyncio
import os
import random
import threading
import uuid
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator, Sequence
from dataclasses import dataclass, field
from time import perf_counter
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
from opentelemetry import propagate, trace

from hexr import _env
from hexr.a2a._contract import Artifact, Part, TextPart
from hexr.a2a._convert import from_proto_parts, to_proto_parts
from hexr.a2a._registry import RegistryEntry, live_entries, registry_key
from hexr.endpoints import with_valkey_credentials
from hexr.errors import HexrError
from hexr.identity import (
    Authorizer,
    IdentitySource,
    SpiffeId,
    authorize_id,
    authorize_trust_domain,
    default_source,
)
from hexr.telemetry import _names as n
from hexr.telemetry import get_meter, get_tracer

if TYPE_CHECKING:
    from a2a.client import Client

# a2a-sdk traces its own internals whenever OpenTelemetry is installed; the client's span
# is hexr.a2a.client.send. Set before a2a-sdk first loads (an explicit setting wins).
os.environ.setdefault("OTEL_INSTRUMENTATION_A2A_SDK_ENABLED", "false")

__all__ = ["A2AClient", "A2AError", "A2AResult", "AsyncA2AClient"]

T = TypeVar("T")

_MAX_CLIENTS = 64
TERMINAL_STATES = frozenset({"completed", "failed", "canceled", "rejected"})
INTERRUPTED_STATES = frozenset({"input_required", "auth_required"})

_meter = get_meter()
_sends = _meter.create_counter(n.METRIC_A2A_SENDS, description="A2A messages sent")
_failures = _meter.create_counter(n.METRIC_A2A_SEND_FAILURES, description="A2A sends that failed")
_duration = _meter.create_histogram(
    n.METRIC_A2A_SEND_DURATION, unit="s", description="Duration of A2A sends"
)


class A2AError(HexrError):
    """An A2A call failed (transport, protocol error, or target not found)."""

    def __init__(self, message: str, *, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class A2AResult:
    """What a send, get or wait returned: a task's state and outputs, or a direct message.

    Attributes:
        task_id: The task's ID (``""`` for a direct message).
        context_id: The conversation context.
        state: ``completed``, ``working``, ``input_required``, ... or ``message``.
        text: The answer's text (artifacts' text parts, or the message / status text).
        artifacts: The task's artifacts.
        status_text: Text of the status message (the question when input is required,
            the reason of a failure or rejection).
    """

    task_id: str
    context_id: str
    state: str
    text: str = ""
    artifacts: Sequence[Artifact] = field(default_factory=tuple)
    status_text: str = ""

    @property
    def done(self) -> bool:
        """Whether the task reached a terminal state (or was a direct message)."""
        return self.state in TERMINAL_STATES or self.state == "message"


def _state_name(value: int) -> str:
    from a2a.types import TaskState

    return str(TaskState.Name(value)).removeprefix("TASK_STATE_").lower()


def _texts(parts: Sequence[Part]) -> str:
    return "\n".join(p.text for p in parts if isinstance(p, TextPart))


def result_of(response: Any) -> A2AResult:
    """An `A2AResult` from an a2a-sdk Task, Message or StreamResponse."""
    from a2a.types import Message, StreamResponse, Task

    if isinstance(response, StreamResponse):
        which = response.WhichOneof("payload")
        response = getattr(response, which) if which else Task()
    if isinstance(response, Message):
        parts = from_proto_parts(response.parts)
        return A2AResult(
            task_id=response.task_id,
            context_id=response.context_id,
            state="message",
            text=_texts(parts),
        )
    if isinstance(response, Task):
        artifacts = tuple(
            Artifact(parts=from_proto_parts(a.parts), name=a.name, description=a.description)
            for a in response.artifacts
        )
        status_text = _texts(from_proto_parts(response.status.message.parts))
        text = "\n".join(_texts(a.parts) for a in artifacts) or status_text
        return A2AResult(
            task_id=response.id,
            context_id=response.context_id,
            state=_state_name(response.status.state),
            text=text,
            artifacts=artifacts,
            status_text=status_text,
        )
    raise A2AError(f"unexpected A2A response {type(response).__name__}")


def _inject_trace_context(request: httpx.Request) -> None:
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    request.headers.update(carrier)


async def _inject_trace_context_async(request: httpx.Request) -> None:
    _inject_trace_context(request)


class AsyncA2AClient:
    """Asynchronous A2A client of the calling agent (its SVID, its tenant).

    Args:
        tenant: Tenant to look agent names up in (default: the caller's SPIFFE ID's).
        agent_name: The caller's agent name, for metric labels (default: from its SVID).
        valkey_url: Where the registry lives (default ``HEXR_VALKEY_URL``).
        source: Identity source for the SVID (default: the process's).
        timeout: Seconds per HTTP request.
    """

    def __init__(
        self,
        *,
        tenant: str | None = None,
        agent_name: str | None = None,
        valkey_url: str | None = None,
        source: IdentitySource | None = None,
        timeout: float = 30.0,
    ) -> None:
        self._source = source
        self._tenant = tenant
        self._agent_name = agent_name
        url = valkey_url or os.environ.get(_env.HEXR_VALKEY_URL)
        # The platform publishes the URL without a password; an agent function running in
        # its sidecar inherits that URL, so (like the sidecar) a process of the platform's
        # user takes the shared user's password from the secrets directory. An agent of
        # `hexr dev run` already has its own user's URL, which is kept as it is.
        self._valkey_url = with_valkey_credentials(url) if url else None
        self._timeout = timeout
        self._clients: OrderedDict[str, tuple[Client, httpx.AsyncClient]] = OrderedDict()
        self._lock = asyncio.Lock()
        self._valkey: Any = None

    # --- identity and discovery ---------------------------------------------------------

    @property
    def source(self) -> IdentitySource:
        """The identity source whose SVID the calls present."""
        if self._source is None:
            self._source = default_source()
        return self._source

    def _me(self) -> SpiffeId:
        return self.source.spiffe_id

    @property
    def tenant(self) -> str:
        """The tenant agent names are resolved in."""
        return self._tenant or self._me().tenant or ""

    @property
    def agent_name(self) -> str:
        """The calling agent's name (metric label)."""
        return self._agent_name or self._me().agent or ""

    async def resolve(self, target: str) -> list[RegistryEntry]:
        """The live replicas of agent ``target`` in this tenant (shuffled), or a URL's entry.

        Raises:
            A2AError: no such agent registered (or the registry is not configured).
        """
        if target.startswith(("https://", "http://")):
            return [RegistryEntry(url=target.rstrip("/"), spiffe_id="")]
        if not self._valkey_url:
            raise A2AError("no A2A registry: set HEXR_VALKEY_URL or pass a URL")
        if self._valkey is None:
            import valkey.asyncio as valkey_asyncio

            self._valkey = valkey_asyncio.Valkey.from_url(
                self._valkey_url, socket_timeout=2.0, socket_connect_timeout=2.0
            )
        entries = live_entries(await self._valkey.hgetall(registry_key(self.tenant, target)))
        if not entries:
            raise A2AError(f"agent {target!r} is not registered in tenant {self.tenant!r}")
        random.shuffle(entries)  # spread callers over the replicas
        return entries

    def _authorizer(self, entry: RegistryEntry) -> Authorizer:
        if entry.spiffe_id:
            return authorize_id(entry.spiffe_id)
        return authorize_trust_domain(self._me().trust_domain)

    async def _client(self, target: str, *, streaming: bool = False) -> Client:
        failure: A2AError | None = None
        for entry in await self.resolve(target):
            try:
                return await self._client_for(target, entry, streaming)
            except A2AError as exc:  # that replica is gone: try the next one
                failure = exc
        assert failure is not None  # noqa: S101 - resolve never returns an empty list
        raise failure

    async def _evict(self, client: Client) -> None:
        async with self._lock:
            for key in [k for k, v in self._clients.items() if v[0] is client]:
                _, http = self._clients.pop(key)
                await client.close()
                await http.aclose()

    async def _with_client(
        self, target: str, call: Callable[[Client], Awaitable[T]], *, streaming: bool = False
    ) -> T:
        """``call(client)``; a cached replica that stopped answering is dropped, once."""
        for attempt in (0, 1):
            client = await self._client(target, streaming=streaming)
            try:
                return await call(client)
            except Exception as exc:
                if attempt == 0 and _unreachable(exc):
                    await self._evict(client)
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _client_for(self, target: str, entry: RegistryEntry, streaming: bool) -> Client:
        from a2a.client import ClientConfig, ClientFactory

        key = f"{entry.url}|{entry.spiffe_id}|{streaming}"
        async with self._lock:
            cached = self._clients.get(key)
            if cached is not None:
                self._clients.move_to_end(key)
                return cached[0]
            verify: Any = (
                self.source.client_ssl_context(self._authorizer(entry))
                if entry.url.startswith("https://")
                else True
            )
            http = httpx.AsyncClient(
                verify=verify,
                timeout=self._timeout,
                event_hooks={"request": [_inject_trace_context_async]},
            )
            try:
                factory = ClientFactory(ClientConfig(httpx_client=http, streaming=streaming))
                client = await factory.create_from_url(entry.url)
            except Exception as exc:
                await http.aclose()
                raise A2AError(f"cannot reach agent {target!r}: {type(exc).__name__}") from exc
            self._clients[key] = (client, http)
            while len(self._clients) > _MAX_CLIENTS:
                _, (old, old_http) = self._clients.popitem(last=False)
                await old.close()
                await old_http.aclose()
            return client

    # --- calls --------------------------------------------------------------------------

    def _labels(self, target: str) -> dict[str, str]:
        return {
            n.ATTR_TENANT: self.tenant,
            n.ATTR_AGENT_NAME: self.agent_name,
            "target_agent": target if "://" not in target else "url",
        }

    def _request(
        self,
        message: str | Sequence[Part],
        task_id: str | None,
        context_id: str | None,
        return_immediately: bool,
    ) -> Any:
        from a2a.types import Message, Role, SendMessageRequest

        parts: Sequence[Part] = (TextPart(message),) if isinstance(message, str) else message
        proto = Message(
            role=Role.ROLE_USER,
            message_id=uuid.uuid4().hex,
            parts=to_proto_parts(parts),
            task_id=task_id or "",
            context_id=context_id or "",
        )
        request = SendMessageRequest(message=proto)
        request.configuration.return_immediately = return_immediately
        return request

    async def send(
        self,
        target: str,
        message: str | Sequence[Part],
        *,
        task_id: str | None = None,
        context_id: str | None = None,
        wait: bool = True,
    ) -> A2AResult:
        """Send a message; with ``wait`` (default) return once the task stops running.

        ``task_id``/``context_id`` continue an existing task (answering input-required).

        Raises:
            A2AError: the call failed (the span and ``hexr.a2a.send_failures`` record it).
        """
        labels = self._labels(target)
        tracer = get_tracer()
        started = perf_counter()
        with tracer.start_as_current_span(
            n.SPAN_A2A_CLIENT_SEND, attributes={"target_agent": labels["target_agent"]}
        ) as span:
            request = self._request(message, task_id, context_id, not wait)

            async def call(client: Client) -> A2AResult | None:
                result: A2AResult | None = None
                async for event in client.send_message(request):
                    result = _merge(result, event)
                    if result.state in TERMINAL_STATES | INTERRUPTED_STATES | {"message"}:
                        break
                return result

            try:
                result = await self._with_client(target, call)
                if result is None:
                    raise A2AError("the agent answered nothing")
            except A2AError as exc:
                self._fail(span, labels, type(exc).__name__)
                raise
            except Exception as exc:
                self._fail(span, labels, type(exc).__name__)
                raise _as_error(exc) from exc
            finally:
                _duration.record(perf_counter() - started, labels)
            _sends.add(1, labels)
            span.set_attribute("task_id", result.task_id)
            span.set_attribute("task_state", result.state)
            return result

    @staticmethod
    def _fail(span: trace.Span, labels: dict[str, str], error_type: str) -> None:
        _failures.add(1, {**labels, n.ATTR_ERROR_TYPE: error_type})
        span.set_status(trace.Status(trace.StatusCode.ERROR, error_type))
        span.set_attribute(n.ATTR_ERROR_TYPE, error_type)

    async def stream(
        self,
        target: str,
        message: str | Sequence[Part],
        *,
        task_id: str | None = None,
        context_id: str | None = None,
    ) -> AsyncIterator[A2AResult]:
        """Send a message over SSE and yield the task as each event arrives."""
        client = await self._client(target, streaming=True)
        request = self._request(message, task_id, context_id, False)
        result: A2AResult | None = None
        try:
            async for event in client.send_message(request):
                result = _merge(result, event)
                yield result
        except A2AError:
            raise
        except Exception as exc:
            raise _as_error(exc) from exc

    async def get(self, target: str, task_id: str, history_length: int | None = None) -> A2AResult:
        """The task as the target stores it."""
        from a2a.types import GetTaskRequest

        request = GetTaskRequest(id=task_id)
        if history_length is not None:
            request.history_length = history_length
        try:
            return result_of(await self._with_client(target, lambda c: c.get_task(request)))
        except Exception as exc:
            raise _as_error(exc) from exc

    async def wait(
        self, target: str, task_id: str, *, timeout: float = 60.0, interval: float = 0.2
    ) -> A2AResult:
        """Poll the task until it is terminal or interrupted, at most ``timeout`` seconds.

        Raises:
            A2AError: still running after ``timeout``.
        """
        deadline = perf_counter() + timeout
        while True:
            result = await self.get(target, task_id)
            if result.state in TERMINAL_STATES | INTERRUPTED_STATES:
                return result
            if perf_counter() >= deadline:
                raise A2AError(f"task {task_id} still {result.state} after {timeout:.0f}s")
            await asyncio.sleep(interval)

    async def cancel(self, target: str, task_id: str) -> A2AResult:
        """Cancel the task; returns it in its updated state."""
        from a2a.types import CancelTaskRequest

        request = CancelTaskRequest(id=task_id)
        try:
            return result_of(await self._with_client(target, lambda c: c.cancel_task(request)))
        except Exception as exc:
            raise _as_error(exc) from exc

    async def aclose(self) -> None:
        """Close the connections."""
        while self._clients:
            _, (client, http) = self._clients.popitem()
            await client.close()
            await http.aclose()
        if self._valkey is not None:
            await self._valkey.aclose()
            self._valkey = None


def _unreachable(exc: BaseException) -> bool:
    """Whether the connection could not even be opened (safe to retry elsewhere)."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return False
        if isinstance(seen, httpx.ConnectError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _as_error(exc: Exception) -> A2AError:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or type(exc).__name__
    return A2AError(f"A2A call failed: {message}", code=code if isinstance(code, int) else None)


def _merge(previous: A2AResult | None, event: Any) -> A2AResult:
    """Fold one stream event into the running view of the task."""
    from a2a.types import StreamResponse

    assert isinstance(event, StreamResponse)  # noqa: S101 - the a2a-sdk client's type
    which = event.WhichOneof("payload")
    if which in ("task", "message"):
        return result_of(event)
    base = previous or A2AResult(task_id="", context_id="", state="submitted")
    if which == "status_update":
        update = event.status_update
        status_text = _texts(from_proto_parts(update.status.message.parts))
        return A2AResult(
            task_id=update.task_id,
            context_id=update.context_id,
            state=_state_name(update.status.state),
            text=base.text or status_text,
            artifacts=base.artifacts,
            status_text=status_text,
        )
    if which == "artifact_update":
        artifact = event.artifact_update.artifact
        parts = from_proto_parts(artifact.parts)
        added = Artifact(parts=parts, name=artifact.name, description=artifact.description)
        return A2AResult(
            task_id=base.task_id or event.artifact_update.task_id,
            context_id=base.context_id or event.artifact_update.context_id,
            state=base.state,
            text="\n".join(x for x in (base.text, _texts(parts)) if x),
            artifacts=(*base.artifacts, added),
            status_text=base.status_text,
        )
    return base


class A2AClient:
    """Synchronous `AsyncA2AClient`: the calls run on a private event loop thread."""

    def __init__(self, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="hexr-a2a-client", daemon=True
        )
        self._thread.start()
        self._async = AsyncA2AClient(**kwargs)

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def send(self, target: str, message: str | Sequence[Part], **kwargs: Any) -> A2AResult:
        """See `AsyncA2AClient.send`."""
        from opentelemetry import context as otel_context

        ctx = otel_context.get_current()

        async def call() -> A2AResult:
            token = otel_context.attach(ctx)  # the caller's span is the parent
            try:
                return await self._async.send(target, message, **kwargs)
            finally:
                otel_context.detach(token)

        return self._run(call())

    def stream(
        self, target: str, message: str | Sequence[Part], **kwargs: Any
    ) -> Iterator[A2AResult]:
        """See `AsyncA2AClient.stream` (events are collected, then yielded)."""

        async def collect() -> list[A2AResult]:
            return [r async for r in self._async.stream(target, message, **kwargs)]

        yield from self._run(collect())

    def get(self, target: str, task_id: str, history_length: int | None = None) -> A2AResult:
        """See `AsyncA2AClient.get`."""
        return self._run(self._async.get(target, task_id, history_length))

    def wait(self, target: str, task_id: str, **kwargs: Any) -> A2AResult:
        """See `AsyncA2AClient.wait`."""
        return self._run(self._async.wait(target, task_id, **kwargs))

    def cancel(self, target: str, task_id: str) -> A2AResult:
        """See `AsyncA2AClient.cancel`."""
        return self._run(self._async.cancel(target, task_id))

    def close(self) -> None:
        """Close connections and stop the loop thread."""
        self._run(self._async.aclose())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def __enter__(self) -> A2AClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
