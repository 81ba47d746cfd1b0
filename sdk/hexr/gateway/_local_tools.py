"""``@mcp_tool``: an agent's own Python function, exposed as a tool through the gateway.

Decorated functions are collected in a `LocalTools` registry. The registry describes
them as an OpenAPI 3.1 document (one ``POST /tools/<name>`` per function, its body schema
from the type hints via pydantic), serves them as a small ASGI app, and registers that
document with the gateway, so other agents call them like any upstream tool, under the
gateway's policy, limits and telemetry.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

__all__ = ["LocalTools", "local_tools", "mcp_tool"]

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class _Entry:
    name: str
    description: str
    function: Callable[..., Any]
    model: type[BaseModel]
    is_async: bool


def _model(name: str, function: Callable[..., Any]) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    for parameter in inspect.signature(function).parameters.values():
        annotation = (
            Any if parameter.annotation is inspect.Parameter.empty else parameter.annotation
        )
        default = ... if parameter.default is inspect.Parameter.empty else parameter.default
        fields[parameter.name] = (annotation, default)
    return create_model(
        f"{name}_arguments", __config__=ConfigDict(extra="forbid"), **fields
    )


class LocalTools:
    """A registry of an agent's tool functions."""

    def __init__(self) -> None:
        self._entries: dict[str, _Entry] = {}

    def add(self, function: Callable[..., Any], name: str | None = None,
            description: str | None = None) -> None:
        """Register ``function`` as tool ``name`` (default: the function's name)."""
        tool = name or function.__name__
        doc = description or inspect.getdoc(function) or tool
        self._entries[tool] = _Entry(tool, doc, function, _model(tool, function),
                                     inspect.iscoroutinefunction(function))

    def names(self) -> list[str]:
        """Registered tool names."""
        return sorted(self._entries)

    def openapi(self, title: str = "agent tools") -> dict[str, Any]:
        """The OpenAPI 3.1 document describing every registered function."""
        paths: dict[str, Any] = {}
        for entry in self._entries.values():
            schema = entry.model.model_json_schema()
            paths[f"/tools/{entry.name}"] = {"post": {
                "operationId": entry.name,
                "summary": entry.description.splitlines()[0][:200],
                "description": entry.description,
                "requestBody": {"required": True,
                                "content": {"application/json": {"schema": schema}}},
                "responses": {"200": {"description": "the function's return value"}},
            }}
        return {"openapi": "3.1.0", "info": {"title": title, "version": "1"}, "paths": paths}

    async def invoke(self, name: str, arguments: dict[str, Any]) -> Any:
        """Run tool ``name`` with validated ``arguments``.

        Raises:
            KeyError: no such tool.
            ValidationError: the arguments do not fit the function's signature.
        """
        entry = self._entries[name]
        parsed = entry.model.model_validate(arguments)
        kwargs = {k: getattr(parsed, k) for k in type(parsed).model_fields}
        if entry.is_async:
            return await entry.function(**kwargs)
        return await asyncio.to_thread(entry.function, **kwargs)

    def asgi_app(self) -> Any:
        """A Starlette app serving ``POST /tools/<name>`` (needs ``hexr[server]``)."""
        try:
            from starlette.applications import Starlette
            from starlette.requests import Request
            from starlette.responses import JSONResponse
            from starlette.routing import Route
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise ImportError("serving local tools needs: pip install 'hexr[server]'") from exc

        async def call(request: Request) -> JSONResponse:
            name = request.path_params["name"]
            try:
                body = await request.json()
                result = await self.invoke(name, body if isinstance(body, dict) else {})
            except KeyError:
                return JSONResponse({"error": "unknown tool"}, status_code=404)
            except (ValidationError, ValueError):
                return JSONResponse({"error": "invalid arguments"}, status_code=422)
            return JSONResponse({"result": result})

        return Starlette(routes=[Route("/tools/{name}", call, methods=["POST"])])

    def register(self, client: Any, upstream: str, base_url: str) -> Any:
        """Register these tools with the gateway as ``upstream`` served at ``base_url``
        (``client``: a `GatewayClient`; an `AsyncGatewayClient` returns an awaitable)."""
        return client.register_spec(upstream, self.openapi(upstream), base_url=base_url)


local_tools = LocalTools()
"""The process's default registry (what a bare ``@mcp_tool`` adds to)."""


@overload
def mcp_tool(function: F) -> F: ...


@overload
def mcp_tool(
    *, name: str | None = None, description: str | None = None,
    registry: LocalTools | None = None,
) -> Callable[[F], F]: ...


def mcp_tool(
    function: F | None = None, *, name: str | None = None, description: str | None = None,
    registry: LocalTools | None = None,
) -> F | Callable[[F], F]:
    """Expose the decorated function as a gateway tool (the function itself is unchanged)."""

    def decorate(fn: F) -> F:
        (registry or local_tools).add(fn, name, description)
        return fn

    return decorate(function) if function is not None else decorate
