"""Hexr: a zero-trust runtime for AI agents.

Importing `hexr` is cheap: heavy parts (cloud SDKs, the guard's models, platform
services) load only when used. The subpackages are attributes loaded on first use, so
``import hexr`` then ``hexr.vault.get("shared/db")`` works::

    import hexr

    password = hexr.vault.get("shared/db")["password"]
"""

from typing import TYPE_CHECKING, Any

import hexr._warnings  # noqa: F401 - first, so the filters precede any py-spiffe import
from hexr._agent import hexr_agent
from hexr._session import AgentSession, session
from hexr._version import __version__
from hexr.credentials import hexr_tool
from hexr.errors import (
    AttestationError,
    ConfigError,
    CredentialError,
    HexrError,
    IdentityError,
    LLMError,
    PolicyDenied,
    VaultError,
    VaultPathError,
)

if TYPE_CHECKING:
    # Typed for mypy; at run time `__getattr__` loads them (others resolve to Any).
    from hexr import config, identity, logs, vault  # noqa: F401
    from hexr.a2a import A2AClient
    from hexr.llm import hexr_llm

__all__ = [
    "A2AClient",
    "AgentSession",
    "AttestationError",
    "ConfigError",
    "CredentialError",
    "HexrError",
    "IdentityError",
    "LLMError",
    "PolicyDenied",
    "VaultError",
    "VaultPathError",
    "__version__",
    "hexr_agent",
    "hexr_llm",
    "hexr_tool",
    "session",
]

# Subpackages and names loaded on first attribute access (some ship with later components:
# asking for one that is not there is an AttributeError naming it).
_SUBMODULES = frozenset(
    {"a2a", "browser", "config", "credentials", "endpoints", "env", "errors", "gateway",
     "guard", "identity", "llm", "logs", "redact", "sandbox", "telemetry", "vault"}
)
# hexr_llm loads the LLM instrumentation (and wrapt) on first use, not at `import hexr`.
_LAZY_NAMES = {"A2AClient": "a2a", "hexr_llm": "llm"}


def __getattr__(name: str) -> Any:
    import importlib

    submodule = _LAZY_NAMES.get(name, name)
    if submodule not in _SUBMODULES:
        raise AttributeError(f"module 'hexr' has no attribute {name!r}")
    try:
        module = importlib.import_module(f"hexr.{submodule}")
    except ModuleNotFoundError as exc:
        if exc.name != f"hexr.{submodule}":
            raise  # the package exists but needs something missing: say what
        raise AttributeError(
            f"module 'hexr' has no attribute {name!r} (hexr.{submodule} is not in this version)"
        ) from None
    return module if name == submodule else getattr(module, name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | _SUBMODULES | set(_LAZY_NAMES))
