"""Hexr Gateway: OpenAPI specs become MCP tools; credentials come from the vault.

Agents call external HTTP APIs as MCP tools (streamable HTTP, stateless) without ever
holding the APIs' credentials. See ``docs/gateway.md``.
"""

from hexr_gateway._config import GatewayConfig, GatewaySettings, load_config
from hexr_gateway.app import build_service, create_app

__all__ = ["GatewayConfig", "GatewaySettings", "build_service", "create_app", "load_config"]
