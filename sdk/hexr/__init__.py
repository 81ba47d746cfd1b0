"""Hexr: a zero-trust runtime for AI agents.

Importing `hexr` is cheap: heavy parts (cloud SDKs, the guard's models, platform
services) load only when used.
"""

from typing import TYPE_CHECKING, Any

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
from hexr.llm import hexr_llm

if TYPE_CHECKING:
    from hexr.a2a import A2AClient

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


def __getattr__(name: str) -> Any:
    # A2AClient loads on first use: the protocol library is heavy to import.
    if name == "A2AClient":
        from hexr.a2a import A2AClient

        return A2AClient
    raise AttributeError(f"module 'hexr' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), "A2AClient"})
