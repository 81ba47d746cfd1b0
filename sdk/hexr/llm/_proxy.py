"""Client proxies: the user's OpenAI / Anthropic client with instrumented ``create``.

Only the call path differs between the sync and async twins; request reading, span
attributes, metrics and hooks live in `hexr.llm._base`. Everything not instrumented
(``with_raw_response``, ``models``, ``embeddings``, ...) passes through to the real client.
"""

from __future__ import annotations

from typing import Any

import wrapt

from hexr.llm._base import LLMTelemetry
from hexr.llm._stream import (
    AsyncMessageStreamManagerProxy,
    AsyncStreamProxy,
    MessageStreamManagerProxy,
    StreamProxy,
)

__all__ = [
    "AnthropicClientProxy",
    "AnthropicMessagesProxy",
    "AsyncAnthropicMessagesProxy",
    "AsyncCreateProxy",
    "CreateProxy",
    "OpenAIClientProxy",
]


class CreateProxy(wrapt.ObjectProxy[Any]):
    """A resource (``chat.completions``, ``messages``) whose ``create`` is traced."""

    def __init__(self, wrapped: Any, tel: LLMTelemetry) -> None:
        super().__init__(wrapped)
        self._self_tel = tel

    def create(self, *args: Any, **kwargs: Any) -> Any:
        """Call the provider's ``create`` inside a ``hexr.llm.chat`` span."""
        call = self._self_tel.start(kwargs, kwargs.get("stream") is True)
        call.attach()
        try:
            response = self.__wrapped__.create(*args, **kwargs)
        except BaseException as exc:
            call.detach()
            call.finish(exc)
            raise
        call.detach()
        if call.stream:
            return StreamProxy(response, call)
        call.on_response(response)
        return response


class AsyncCreateProxy(wrapt.ObjectProxy[Any]):
    """The async twin of `CreateProxy`."""

    def __init__(self, wrapped: Any, tel: LLMTelemetry) -> None:
        super().__init__(wrapped)
        self._self_tel = tel

    async def create(self, *args: Any, **kwargs: Any) -> Any:
        """Await the provider's ``create`` inside a ``hexr.llm.chat`` span."""
        call = await self._self_tel.astart(kwargs, kwargs.get("stream") is True)
        call.attach()
        try:
            response = await self.__wrapped__.create(*args, **kwargs)
        except BaseException as exc:
            call.detach()
            call.finish(exc)
            raise
        call.detach()
        if call.stream:
            return AsyncStreamProxy(response, call)
        await call.aon_response(response)
        return response


class AnthropicMessagesProxy(CreateProxy):
    """``messages`` of ``anthropic.Anthropic``: ``create`` and the ``stream`` helper."""

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        """The provider's ``messages.stream`` manager; the call spans its ``with`` block."""
        tel = self._self_tel
        tel.keep_messages(kwargs)  # the manager holds the request before the call starts
        manager = self.__wrapped__.stream(*args, **kwargs)
        return MessageStreamManagerProxy(manager, lambda: tel.start(kwargs, True))


class AsyncAnthropicMessagesProxy(AsyncCreateProxy):
    """``messages`` of ``anthropic.AsyncAnthropic``: ``create`` and ``stream``."""

    def stream(self, *args: Any, **kwargs: Any) -> Any:
        """The provider's ``messages.stream`` manager; the call spans its ``async with``."""
        tel = self._self_tel
        tel.keep_messages(kwargs)  # the manager holds the request before the call starts
        manager = self.__wrapped__.stream(*args, **kwargs)
        return AsyncMessageStreamManagerProxy(manager, lambda: tel.astart(kwargs, True))


class _ChatProxy(wrapt.ObjectProxy[Any]):
    """``client.chat`` with an instrumented ``completions``."""

    def __init__(self, wrapped: Any, completions: Any) -> None:
        super().__init__(wrapped)
        self._self_completions = completions

    @property
    def completions(self) -> Any:
        """The instrumented ``chat.completions`` resource."""
        return self._self_completions


class _ClientProxy(wrapt.ObjectProxy[Any]):
    """Shared behaviour: options-derived clients stay instrumented."""

    _self_factory: Any

    def with_options(self, *args: Any, **kwargs: Any) -> Any:
        """The client's ``with_options``, wrapped the same way."""
        return self._self_factory(self.__wrapped__.with_options(*args, **kwargs))

    def copy(self, *args: Any, **kwargs: Any) -> Any:
        """The client's ``copy``, wrapped the same way."""
        return self._self_factory(self.__wrapped__.copy(*args, **kwargs))


class OpenAIClientProxy(_ClientProxy):
    """``openai.OpenAI`` / ``AsyncOpenAI`` with traced chat completions."""

    def __init__(self, wrapped: Any, tel: LLMTelemetry, is_async: bool, factory: Any) -> None:
        super().__init__(wrapped)
        resource = AsyncCreateProxy if is_async else CreateProxy
        self._self_chat = _ChatProxy(wrapped.chat, resource(wrapped.chat.completions, tel))
        self._self_factory = factory

    @property
    def chat(self) -> Any:
        """The instrumented ``chat`` resource."""
        return self._self_chat


class AnthropicClientProxy(_ClientProxy):
    """``anthropic.Anthropic`` / ``AsyncAnthropic`` with traced ``messages.create``."""

    def __init__(self, wrapped: Any, tel: LLMTelemetry, is_async: bool, factory: Any) -> None:
        super().__init__(wrapped)
        resource = AsyncAnthropicMessagesProxy if is_async else AnthropicMessagesProxy
        self._self_messages = resource(wrapped.messages, tel)
        self._self_factory = factory

    @property
    def messages(self) -> Any:
        """The instrumented ``messages`` resource."""
        return self._self_messages
