"""Tools behind the Hexr Gateway: external HTTP APIs as MCP tools, called with the
agent's own identity; the APIs' credentials stay in the gateway.

``GatewayClient`` / ``AsyncGatewayClient`` list, search and call tools and register
specs; ``@mcp_tool`` exposes an agent's own function as a tool through the same gateway.
"""

from hexr.gateway._base import GatewayError, Tool, ToolResult
from hexr.gateway._client import AsyncGatewayClient, GatewayClient, IdentityProvider
from hexr.gateway._local_tools import LocalTools, local_tools, mcp_tool

__all__ = [
    "AsyncGatewayClient",
    "GatewayClient",
    "GatewayError",
    "IdentityProvider",
    "LocalTools",
    "Tool",
    "ToolResult",
    "local_tools",
    "mcp_tool",
]

# Tracebacks and reprs name the public module, not the private one that defines a class.
for _name in __all__:
    _value = globals()[_name]
    if isinstance(_value, type) and _value.__module__.startswith(f"{__name__}."):
        _value.__module__ = __name__
del _name, _value
