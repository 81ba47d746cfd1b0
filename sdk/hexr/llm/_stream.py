"""Stream proxies: the provider's stream object, observed chunk by chunk.

They are `wrapt.ObjectProxy` subclasses, so ``isinstance(resp, openai.Stream)`` stays true
and every attribute (``response``, ``close``) reaches the real stream. The call's span ends
at the last chunk, on an error, on ``close()`` or when a ``with`` block exits early.
"""

from __future__ import annotations

import weakref
from collections import deque
from types import TracebackType
from typing import Any

import wrapt

from hexr.llm._base import LLMCall
from hexr.telemetry import get_meter
from hexr.telemetry._names import ATTR_LLM_STREAM_ABANDONED, METRIC_LLM_STREAMS_ABANDONED

__all__ = [
    "AsyncMessageStreamManagerProxy",
    "AsyncStreamProxy",
    "MessageStreamManagerProxy",
    "StreamProxy",
]


_abandoned = get_meter().create_counter(
    METRIC_LLM_STREAMS_ABANDONED,
    description="Streamed LLM calls the caller stopped reading before the end",
)


def _stop(call: LLMCall) -> None:
    """End a stream the caller closed or dropped: abandoned unless it had ended already.

    An early stop is not an error (the status stays unset), but the span says so and a
    counter counts it, so a trace shows why a call has no finish reason.
    """
    if not call._done:
        call.span.set_attribute(ATTR_LLM_STREAM_ABANDONED, True)
        _abandoned.add(1, call.labels.base)
    call.finish(None)


_MAX_HELD_CHUNKS = 4096
"""Chunks held at most; beyond, a scan is forced so that textless chunks cannot pile up."""


class _HoldBack:
    """Chunks held until their text, plus ``window`` characters after it, was scanned.

    ``buffer`` is the stream's text from ``base`` on: the unreleased text and the last
    ``window`` released characters, which every scan repeats as overlap.
    """

    __slots__ = ("base", "buffer", "ended", "held", "ready", "received", "released", "scanned",
                 "window")

    def __init__(self, window: int) -> None:
        self.window = window
        self.held: deque[tuple[Any, int]] = deque()
        self.ready: deque[Any] = deque()
        self.buffer = ""
        self.base = 0
        self.received = 0
        self.scanned = 0
        self.released = 0
        self.ended = False

    def add(self, call: LLMCall, chunk: Any, parts_before: int) -> bool:
        """Hold ``chunk`` (its text was just appended to the call); True when a scan is due."""
        parts = call.result.text
        if parts is not None and len(parts) > parts_before:
            delta = "".join(parts[parts_before:])
            self.buffer += delta
            self.received += len(delta)
        self.held.append((chunk, self.received))
        due = self.received - self.scanned >= self.window
        return due or len(self.held) > _MAX_HELD_CHUNKS

    def window_text(self) -> str:
        """The text to scan now (overlap included)."""
        return self.buffer

    def scanned_now(self, final: bool) -> None:
        """A scan of `window_text` passed: release what it covers."""
        self.scanned = self.received
        limit = self.received if final else max(self.released, self.scanned - self.window)
        while self.held and self.held[0][1] <= limit:
            chunk, end = self.held.popleft()
            self.ready.append(chunk)
            self.released = end
        # Keep `window` released characters as the next scan's overlap, drop the rest.
        keep_from = max(self.base, self.released - self.window)
        self.buffer = self.buffer[keep_from - self.base :]
        self.base = keep_from
        if final:
            self.ended = True


class StreamProxy(wrapt.ObjectProxy[Any]):
    """A synchronous stream whose iteration feeds an `LLMCall`.

    With a stream-scanning hook (``call.holdback`` > 0) chunks are held back until scanned.
    """

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_hold = _HoldBack(call.holdback) if call.holdback else None
        # A stream dropped without being read to the end or closed still ends its span.
        weakref.finalize(self, _stop, call)

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        call = self._self_call
        hold = self._self_hold
        if hold is not None:
            return self._next_held(call, hold)
        try:
            chunk = self.__wrapped__.__next__()
        except StopIteration:
            call.on_stream_end()
            raise
        except BaseException as exc:
            call.finish(exc)
            raise
        call.on_chunk(chunk)
        return chunk

    def _next_held(self, call: LLMCall, hold: _HoldBack) -> Any:
        while not hold.ready:
            if hold.ended:
                raise StopIteration
            try:
                chunk = self.__wrapped__.__next__()
            except StopIteration:
                self._scan(call, hold, final=True)
                call.on_stream_end()
                continue
            except BaseException as exc:
                call.finish(exc)
                raise
            before = len(call.result.text or ())
            call.on_chunk(chunk)
            if hold.add(call, chunk, before):
                self._scan(call, hold, final=False)
        return hold.ready.popleft()

    def _scan(self, call: LLMCall, hold: _HoldBack, final: bool) -> None:
        try:
            if hold.received > hold.scanned:
                call.scan_window(hold.window_text())
        except BaseException:
            hold.held.clear()
            self.__wrapped__.close()  # a blocked stream is not read further
            raise
        hold.scanned_now(final)

    def __enter__(self) -> StreamProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the stream; a call stopped early ends its span without error."""
        try:
            self.__wrapped__.close()
        finally:
            _stop(self._self_call)


class AsyncStreamProxy(wrapt.ObjectProxy[Any]):
    """An asynchronous stream whose iteration feeds an `LLMCall` (held back like `StreamProxy`)."""

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        self._self_hold = _HoldBack(call.holdback) if call.holdback else None
        weakref.finalize(self, _stop, call)

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        call = self._self_call
        hold = self._self_hold
        if hold is not None:
            return await self._next_held(call, hold)
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            await call.aon_stream_end()
            raise
        except BaseException as exc:
            call.finish(exc)
            raise
        call.on_chunk(chunk)
        return chunk

    async def _next_held(self, call: LLMCall, hold: _HoldBack) -> Any:
        while not hold.ready:
            if hold.ended:
                raise StopAsyncIteration
            try:
                chunk = await self.__wrapped__.__anext__()
            except StopAsyncIteration:
                await self._scan(call, hold, final=True)
                await call.aon_stream_end()
                continue
            except BaseException as exc:
                call.finish(exc)
                raise
            before = len(call.result.text or ())
            call.on_chunk(chunk)
            if hold.add(call, chunk, before):
                await self._scan(call, hold, final=False)
        return hold.ready.popleft()

    async def _scan(self, call: LLMCall, hold: _HoldBack, final: bool) -> None:
        try:
            if hold.received > hold.scanned:
                await call.ascan_window(hold.window_text())
        except BaseException:
            hold.held.clear()
            await self.__wrapped__.close()  # a blocked stream is not read further
            raise
        hold.scanned_now(final)

    async def __aenter__(self) -> AsyncStreamProxy:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the stream; a call stopped early ends its span without error."""
        try:
            await self.__wrapped__.close()
        finally:
            _stop(self._self_call)


def _final_message(stream: Any) -> Any:
    """The message a finished Anthropic ``MessageStream`` accumulated, if any."""
    try:
        return stream.current_message_snapshot
    except (AssertionError, AttributeError):
        return None  # nothing arrived (closed before ``message_start``)


class MessageStreamManagerProxy(wrapt.ObjectProxy[Any]):
    """Anthropic's ``messages.stream(...)`` manager: the call spans the ``with`` block.

    The block yields the real ``MessageStream`` (its type and helpers untouched); usage,
    id and stop reason come from the message it accumulated, read when the block exits.
    """

    def __init__(self, wrapped: Any, start: Any) -> None:
        super().__init__(wrapped)
        self._self_start = start
        self._self_call: LLMCall | None = None
        self._self_stream: Any = None

    def __enter__(self) -> Any:
        call = self._self_start()
        call.holdback = 0  # the SDK's own stream object is handed out: nothing is held back
        call.attach()
        try:
            stream = self.__wrapped__.__enter__()
        except BaseException as exc:
            call.detach()
            call.finish(exc)
            raise
        call.detach()
        self._self_call, self._self_stream = call, stream
        return stream

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            self.__wrapped__.__exit__(exc_type, exc, tb)
        finally:
            _end_managed(self._self_call, self._self_stream, exc)


class AsyncMessageStreamManagerProxy(wrapt.ObjectProxy[Any]):
    """The async twin of `MessageStreamManagerProxy`."""

    def __init__(self, wrapped: Any, start: Any) -> None:
        super().__init__(wrapped)
        self._self_start = start
        self._self_call: LLMCall | None = None
        self._self_stream: Any = None

    async def __aenter__(self) -> Any:
        call = await self._self_start()
        call.holdback = 0  # the SDK's own stream object is handed out: nothing is held back
        call.attach()
        try:
            stream = await self.__wrapped__.__aenter__()
        except BaseException as exc:
            call.detach()
            call.finish(exc)
            raise
        call.detach()
        self._self_call, self._self_stream = call, stream
        return stream

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            await self.__wrapped__.__aexit__(exc_type, exc, tb)
        finally:
            _end_managed(self._self_call, self._self_stream, exc)


def _end_managed(call: LLMCall | None, stream: Any, exc: BaseException | None) -> None:
    if call is None:
        return
    if exc is not None:
        call.finish(exc)
        return
    message = _final_message(stream)
    if message is None:
        call.finish(None)
    else:
        call.on_response(message)

