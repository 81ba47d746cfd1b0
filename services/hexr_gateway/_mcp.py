"""The MCP face of the gateway: the official ``mcp`` SDK's low-level server behind
streamable HTTP in stateless mode (any replica answers any request).

``tools/list`` and ``tools/call`` are registered as raw request handlers rather than
through the SDK's decorators: those keep one process-wide tool cache (the gateway's tool
sets differ per tenant) and answer a handler's exception with its text (which could
carry internals). Here every failure becomes a table-mapped, safe answer. Authentication
runs before the SDK sees the request: a request without a valid JWT-SVID gets HTTP 401.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

from mcp import types
from mcp.server.lowlevel import Server
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.shared.exceptions import McpError
from opentelemetry import propagate
from starlette.types import Receive, Scope, Send

from hexr import __version__
from hexr_gateway._auth import Caller
from hexr_gateway._service import GatewayService
from hexr_gateway.errors import GatewayError, error_response, jsonrpc_code

__all__ = ["McpEndpoint"]

_log = logging.getLogger("hexr_gateway")
_CALLER = "hexr.gateway.caller"


def _caller(server: Server[Any, Any]) -> Caller:
    request = server.request_context.request
    caller = getattr(request, "scope", {}).get(_CALLER) if request is not None else None
    if not isinstance(caller, Caller):  # the endpoint always sets it; defence in depth
        raise McpError(types.ErrorData(code=-32001, message="unauthenticated"))
    return caller


def _headers(server: Server[Any, Any]) -> Any:
    request = server.request_context.request
    return getattr(request, "headers", {}) if request is not None else {}


def _tool(definition: Any) -> types.Tool:
    return types.Tool(
        name=definition.name,
        description=definition.description,
        inputSchema=definition.input_schema,
    )


def _error(exc: GatewayError) -> types.ServerResult:
    code = jsonrpc_code(exc)
    if code is not None:
        raise McpError(types.ErrorData(code=code, message=exc.message))
    return types.ServerResult(
        types.CallToolResult(
            content=[types.TextContent(type="text", text=exc.message)], isError=True
        )
    )


def build_server(service: GatewayService) -> Server[Any, Any]:
    """The low-level MCP server answering ``tools/list`` and ``tools/call``."""
    server: Server[Any, Any] = Server("hexr-gateway", version=__version__)

    async def list_tools(request: types.ListToolsRequest | None) -> types.ServerResult:
        try:
            tools = await service.list_tools(_caller(server))
        except GatewayError as exc:
            code = jsonrpc_code(exc) or -32003
            raise McpError(types.ErrorData(code=code, message=exc.message)) from None
        except McpError:
            raise
        except Exception:  # noqa: BLE001 (logged; the caller gets a generic error)
            # The SDK would answer with the exception's text: never internals to a caller.
            _log.exception("tools/list failed")
            raise McpError(types.ErrorData(code=-32603, message="internal error")) from None
        return types.ServerResult(types.ListToolsResult(tools=[_tool(t) for t in tools]))

    async def call_tool(request: types.CallToolRequest) -> types.ServerResult:
        caller = _caller(server)
        parent = propagate.extract(dict(_headers(server)))
        try:
            outcome = await service.call_tool(
                caller, request.params.name, request.params.arguments, parent
            )
        except GatewayError as exc:
            return _error(exc)
        except Exception:  # noqa: BLE001 (logged; the caller gets a generic error)
            _log.exception("tools/call failed")
            raise McpError(types.ErrorData(code=-32603, message="internal error")) from None
        return types.ServerResult(
            types.CallToolResult(
                content=[types.TextContent(type="text", text=outcome.text)],
                structuredContent=outcome.structured,
                isError=outcome.is_error,
            )
        )

    # Capabilities are derived from the registered handlers (tools: listChanged false).
    server.request_handlers[types.ListToolsRequest] = list_tools
    server.request_handlers[types.CallToolRequest] = call_tool
    return server


class McpEndpoint:
    """ASGI app for ``/mcp``: verify the JWT-SVID, then hand over to the MCP SDK."""

    def __init__(self, service: GatewayService, *, max_body_bytes: int) -> None:
        self._service = service
        self.manager = StreamableHTTPSessionManager(
            app=build_server(service),
            json_response=True,
            stateless=True,
            max_request_body_size=max_body_bytes,
        )

    @contextlib.asynccontextmanager
    async def run(self) -> AsyncIterator[None]:
        """The session manager's task group (entered in the app's lifespan)."""
        async with self.manager.run():
            yield

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Authenticate, then serve the MCP request."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        try:
            caller = await self._service.authenticate(headers.get("authorization"))
        except GatewayError as exc:
            await error_response(exc)(scope, receive, send)
            return
        scope[_CALLER] = caller
        await self.manager.handle_request(scope, receive, send)

