"""Traced provider methods for the adapters beyond OpenAI chat and Anthropic messages.

`TracedResource` wraps a provider resource (``client.models``, ``client.chat``, the
``litellm`` module, ...) and traces the methods named in its `MethodSpec` table; every
other attribute passes through. A traced call goes through `LLMTelemetry.start` and the
`LLMCall` lifecycle exactly as ``chat.completions.create`` does, so spans, metrics,
pricing and the guard hooks are the same for every provider.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import wrapt

from hexr.llm._base import LLMCall, LLMTelemetry
from hexr.llm._stream import AsyncStreamProxy, StreamProxy

__all__ = ["MethodSpec", "TracedResource"]


def _stream_kwarg(kwargs: Mapping[str, Any]) -> bool:
    return kwargs.get("stream") is True


@dataclass(frozen=True, slots=True)
class MethodSpec:
    """How one provider method is called and what it returns."""

    tel: LLMTelemetry
    mode: str = "sync"
    """``sync``; ``async`` (awaited); ``async_iter`` (returns an async iterator unawaited)."""
    stream: bool | Callable[[Mapping[str, Any]], bool] = _stream_kwarg
    """Whether the call streams: fixed per method, or read from the request."""
    unwrap: Callable[[Any], Any] | None = None
    """The response object to read from what the method returns (raw responses)."""

    def streams(self, kwargs: Mapping[str, Any]) -> bool:
        """Whether this call returns a stream."""
        return self.stream if isinstance(self.stream, bool) else self.stream(kwargs)


def _failed(call: LLMCall, exc: BaseException) -> None:
    call.detach()
    call.finish(exc)


def _returned(spec: MethodSpec, call: LLMCall, response: Any) -> Any:
    call.detach()
    if call.stream:
        if spec.unwrap is not None:
            call.finish(None)  # a raw stream is the caller's to parse: its span ends here
            return response
        if spec.mode == "sync":
            return StreamProxy(response, call)
        return AsyncStreamProxy(response, call)
    call.on_response(spec.unwrap(response) if spec.unwrap is not None else response)
    return response


def traced(method: Callable[..., Any], spec: MethodSpec) -> Callable[..., Any]:
    """``method`` running inside an LLM call span."""
    if spec.mode == "async":

        async def traced_async(*args: Any, **kwargs: Any) -> Any:
            call = spec.tel.start(kwargs, spec.streams(kwargs))
            call.attach()
            try:
                response = await method(*args, **kwargs)
            except BaseException as exc:
                _failed(call, exc)
                raise
            return _returned(spec, call, response)

        return traced_async

    def traced_sync(*args: Any, **kwargs: Any) -> Any:
        call = spec.tel.start(kwargs, spec.streams(kwargs))
        call.attach()
        try:
            response = method(*args, **kwargs)
        except BaseException as exc:
            _failed(call, exc)
            raise
        return _returned(spec, call, response)

    return traced_sync


class TracedResource(wrapt.ObjectProxy[Any]):
    """A provider resource whose listed methods are traced; the rest passes through.

    ``children`` name attributes that are resources themselves (``client.aio``), wrapped
    with their own tables.
    """

    def __init__(
        self,
        wrapped: Any,
        methods: Mapping[str, MethodSpec],
        children: Mapping[str, Callable[[Any], Any]] | None = None,
    ) -> None:
        super().__init__(wrapped)
        self._self_methods = dict(methods)
        self._self_children = dict(children or {})
        self._self_cache: dict[str, Any] = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_self_"):
            raise AttributeError(name)
        cache = self._self_cache
        if name in cache:
            return cache[name]
        value = getattr(self.__wrapped__, name)
        spec = self._self_methods.get(name)
        if spec is not None:
            value = traced(value, spec)
        elif name in self._self_children:
            value = self._self_children[name](value)
        else:
            return value
        cache[name] = value
        return value
