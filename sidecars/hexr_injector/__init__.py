"""The credential-injector sidecar: exchanges a workload's JWT-SVID for a credential.

``POST /exchange {service, region}`` over mTLS, authenticated by a JWT-SVID for the
injector's audience; policy decides; a provider plugin (AWS STS, OAuth2 token exchange,
vault-held API keys) issues the credential. Run with ``python -m hexr_injector``.
Names load on first use, so the component spec (`hexr_injector.platform`) stays light.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hexr_injector._config import InjectorConfig, InjectorSettings, load_config
    from hexr_injector.app import build_service, create_app

_WHERE = {
    "InjectorConfig": "_config",
    "InjectorSettings": "_config",
    "build_service": "app",
    "create_app": "app",
    "load_config": "_config",
}

__all__ = ["InjectorConfig", "InjectorSettings", "build_service", "create_app", "load_config"]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'hexr_injector' has no attribute {name!r}")
    return getattr(importlib.import_module(f"hexr_injector.{module}"), name)
