"""Hexr Gateway: OpenAPI specs become MCP tools; credentials come from the vault.

Agents call external HTTP APIs as MCP tools (streamable HTTP, stateless) without ever
holding the APIs' credentials. See ``docs/gateway.md``. Names load on first use, so the
component spec (`hexr_gateway.platform`) imports no server library.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hexr_gateway._config import GatewayConfig, GatewaySettings, load_config
    from hexr_gateway.app import build_service, create_app

__all__ = ["GatewayConfig", "GatewaySettings", "build_service", "create_app", "load_config"]

_WHERE = {
    "GatewayConfig": "_config",
    "GatewaySettings": "_config",
    "load_config": "_config",
    "build_service": "app",
    "create_app": "app",
}


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hexr_gateway' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hexr_gateway.{module}"), name)
