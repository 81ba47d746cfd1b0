"""Stream proxies: the provider's stream object, observed chunk by chunk.

They are `wrapt.ObjectProxy` subclasses, so ``isinstance(resp, openai.Stream)`` stays true
and every attribute (``response``, ``close``) reaches the real stream. The call's span ends
at the last chunk, on an error, on ``close()`` or when a ``with`` block exits early.
"""

from __future__ import annotations

import weakref
from types import TracebackType
from typing import Any

import wrapt

from hexr.llm._base import LLMCall

__all__ = ["AsyncStreamProxy", "StreamProxy"]


class StreamProxy(wrapt.ObjectProxy[Any]):
    """A synchronous stream whose iteration feeds an `LLMCall`."""

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        # A stream dropped without being read to the end or closed still ends its span.
        weakref.finalize(self, call.finish, None)

    def __iter__(self) -> StreamProxy:
        return self

    def __next__(self) -> Any:
        call = self._self_call
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
            self._self_call.finish(None)


class AsyncStreamProxy(wrapt.ObjectProxy[Any]):
    """An asynchronous stream whose iteration feeds an `LLMCall`."""

    def __init__(self, wrapped: Any, call: LLMCall) -> None:
        super().__init__(wrapped)
        self._self_call = call
        weakref.finalize(self, call.finish, None)

    def __aiter__(self) -> AsyncStreamProxy:
        return self

    async def __anext__(self) -> Any:
        call = self._self_call
        try:
            chunk = await self.__wrapped__.__anext__()
        except StopAsyncIteration:
            call.on_stream_end()
            raise
        except BaseException as exc:
            call.finish(exc)
            raise
        call.on_chunk(chunk)
        return chunk

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
            self._self_call.finish(None)
