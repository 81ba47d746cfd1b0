"""`GatewayClient` and `AsyncGatewayClient`: the gateway's tools, called with the agent's
own JWT-SVID. The twins differ only in I/O; everything else is in `_base`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

import httpx
from opentelemetry import propagate
from opentelemetry.trace import Span, SpanKind

from hexr.gateway import _base as b
from hexr.gateway._telemetry import TRACER, capture_enabled, describe_call
from hexr.telemetry import record_error
from hexr.telemetry.names import (
    ATTR_SPIFFE_ID,
    SPAN_GATEWAY_CALL,
)

__all__ = ["AsyncGatewayClient", "GatewayClient", "IdentityProvider"]


class IdentityProvider(Protocol):
    """What the client needs from the workload identity (`hexr.identity` sources fit)."""

    @property
    def spiffe_id(self) -> object:
        """The workload's SPIFFE ID."""

    def jwt_svid(self, audience: str) -> str:
        """A JWT-SVID for ``audience``."""


def _default_identity() -> IdentityProvider:
    from hexr import identity

    source: IdentityProvider = identity.default_source()
    return source


class _Common:
    def __init__(
        self, url: str | None, identity: IdentityProvider | None, audience: str | None,
    ) -> None:
        self.url = b.resolve_url(url)
        self._identity_arg = identity
        self._audience_arg = audience

    def _identity(self) -> IdentityProvider:
        if self._identity_arg is None:
            self._identity_arg = _default_identity()
        return self._identity_arg

    def _audience(self) -> str:
        return self._audience_arg or b.default_audience(self._identity())

    def _token(self) -> str:
        return self._identity().jwt_svid(self._audience())

    @contextmanager
    def _span(self, tool: str, arguments: Mapping[str, Any]) -> Iterator[Span]:
        with TRACER.start_as_current_span(
            SPAN_GATEWAY_CALL, kind=SpanKind.CLIENT,
            record_exception=False, set_status_on_exception=False,
        ) as span:
            describe_call(span, tool, arguments, capture_enabled())
            if span.is_recording():
                span.set_attribute(ATTR_SPIFFE_ID, str(self._identity().spiffe_id))
            try:
                yield span
            except Exception as exc:
                record_error(span, exc)
                raise

    @staticmethod
    def _carrier() -> dict[str, str]:
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
        return carrier


class GatewayClient(_Common):
    """Synchronous client of the gateway (thread-safe; one pooled HTTP connection set)."""

    def __init__(
        self, url: str | None = None, *, identity: IdentityProvider | None = None,
        audience: str | None = None, timeout: float = b.DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(url, identity, audience)
        self._http = httpx.Client(timeout=timeout, follow_redirects=False)

    def _rpc(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = self._http.post(
                f"{self.url}/mcp", json=b.rpc_body(method, params),
                headers=b.headers(self._token(), self._carrier()),
            )
        except httpx.HTTPError as exc:
            raise b.GatewayError(f"gateway unreachable ({type(exc).__name__})",
                                 "unreachable") from exc
        return b.parse_rpc(response)

    def list_tools(self, tenant: str | None = None) -> list[b.Tool]:
        """The tools this identity may list (``tenant``: another tenant's, operators only)."""
        if tenant is None:
            return b.tools_from(self._rpc("tools/list", {}))
        try:
            response = self._http.get(f"{self.url}/v1/tools", params={"tenant": tenant},
                                      headers=b.headers(self._token(), self._carrier()))
        except httpx.HTTPError as exc:
            raise b.GatewayError("gateway unreachable", "unreachable") from exc
        if response.status_code >= 400:
            raise b.http_error(response)
        return b.tools_from(response.json())

    def get_tool(self, name: str) -> b.Tool:
        """The tool ``name``.

        Raises:
            GatewayError: no such tool for this identity (code ``unknown_tool``).
        """
        for tool in self.list_tools():
            if tool.name == name:
                return tool
        raise b.GatewayError(f"unknown tool {name[:80]!r}", "unknown_tool", 404)

    def search_tools(self, query: str, limit: int = 10) -> list[b.Tool]:
        """Tools whose name or description match the words of ``query``, best first."""
        return b.match_tools(self.list_tools(), query, limit)

    def call_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None, *,
        raise_on_error: bool = True,
    ) -> b.ToolResult:
        """Call tool ``name``; a tool error raises `GatewayError` unless told otherwise."""
        args = dict(arguments or {})
        with self._span(name, args):
            result = b.tool_result(self._rpc("tools/call", {"name": name, "arguments": args}))
            if result.is_error and raise_on_error:
                raise b.GatewayError(result.text, "tool_error")
            return result

    call = call_tool

    def register_spec(
        self, name: str, spec: Mapping[str, Any] | str, *, base_url: str | None = None,
        tenant: str | None = None,
    ) -> dict[str, Any]:
        """Register an OpenAPI spec as upstream ``name`` (operators or allowed agents)."""
        body = {"name": name, "spec": spec if isinstance(spec, str) else dict(spec),
                "base_url": base_url, "tenant": tenant}
        try:
            response = self._http.post(f"{self.url}/v1/specs", json=body,
                                       headers=b.headers(self._token(), self._carrier()))
        except httpx.HTTPError as exc:
            raise b.GatewayError("gateway unreachable", "unreachable") from exc
        if response.status_code >= 400:
            raise b.http_error(response)
        answer: dict[str, Any] = response.json()
        return answer

    def close(self) -> None:
        """Close pooled connections."""
        self._http.close()

    def __enter__(self) -> GatewayClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncGatewayClient(_Common):
    """Asynchronous client of the gateway."""

    def __init__(
        self, url: str | None = None, *, identity: IdentityProvider | None = None,
        audience: str | None = None, timeout: float = b.DEFAULT_TIMEOUT,
    ) -> None:
        super().__init__(url, identity, audience)
        self._http = httpx.AsyncClient(timeout=timeout, follow_redirects=False)

    async def _headers(self) -> dict[str, str]:
        # The JWT-SVID may need a Workload API round trip: off the event loop.
        token = await asyncio.to_thread(self._token)
        return b.headers(token, self._carrier())

    async def _rpc(self, method: str, params: Mapping[str, Any]) -> dict[str, Any]:
        try:
            response = await self._http.post(
                f"{self.url}/mcp", json=b.rpc_body(method, params), headers=await self._headers()
            )
        except httpx.HTTPError as exc:
            raise b.GatewayError(f"gateway unreachable ({type(exc).__name__})",
                                 "unreachable") from exc
        return b.parse_rpc(response)

    async def list_tools(self, tenant: str | None = None) -> list[b.Tool]:
        """The tools this identity may list (``tenant``: another tenant's, operators only)."""
        if tenant is None:
            return b.tools_from(await self._rpc("tools/list", {}))
        try:
            response = await self._http.get(f"{self.url}/v1/tools", params={"tenant": tenant},
                                            headers=await self._headers())
        except httpx.HTTPError as exc:
            raise b.GatewayError("gateway unreachable", "unreachable") from exc
        if response.status_code >= 400:
            raise b.http_error(response)
        return b.tools_from(response.json())

    async def get_tool(self, name: str) -> b.Tool:
        """The tool ``name``.

        Raises:
            GatewayError: no such tool for this identity (code ``unknown_tool``).
        """
        for tool in await self.list_tools():
            if tool.name == name:
                return tool
        raise b.GatewayError(f"unknown tool {name[:80]!r}", "unknown_tool", 404)

    async def search_tools(self, query: str, limit: int = 10) -> list[b.Tool]:
        """Tools whose name or description match the words of ``query``, best first."""
        return b.match_tools(await self.list_tools(), query, limit)

    async def call_tool(
        self, name: str, arguments: Mapping[str, Any] | None = None, *,
        raise_on_error: bool = True,
    ) -> b.ToolResult:
        """Call tool ``name``; a tool error raises `GatewayError` unless told otherwise."""
        args = dict(arguments or {})
        with self._span(name, args):
            result = b.tool_result(
                await self._rpc("tools/call", {"name": name, "arguments": args})
            )
            if result.is_error and raise_on_error:
                raise b.GatewayError(result.text, "tool_error")
            return result

    call = call_tool

    async def register_spec(
        self, name: str, spec: Mapping[str, Any] | str, *, base_url: str | None = None,
        tenant: str | None = None,
    ) -> dict[str, Any]:
        """Register an OpenAPI spec as upstream ``name`` (operators or allowed agents)."""
        body = {"name": name, "spec": spec if isinstance(spec, str) else dict(spec),
                "base_url": base_url, "tenant": tenant}
        try:
            response = await self._http.post(f"{self.url}/v1/specs", json=body,
                                             headers=await self._headers())
        except httpx.HTTPError as exc:
            raise b.GatewayError("gateway unreachable", "unreachable") from exc
        if response.status_code >= 400:
            raise b.http_error(response)
        answer: dict[str, Any] = response.json()
        return answer

    async def aclose(self) -> None:
        """Close pooled connections."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncGatewayClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()
