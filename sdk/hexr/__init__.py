"""Hexr: a zero-trust runtime for AI agents.

Importing `hexr` is cheap: heavy parts (cloud SDKs, the guard's models, platform
services) load only when used.
"""

from typing import TYPE_CHECKING

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
    from hexr.llm import hexr_llm


def __getattr__(name: str) -> object:
    # hexr_llm loads the LLM instrumentation (and wrapt) on first use, not at `import hexr`.
    if name == "hexr_llm":
        from hexr.llm import hexr_llm

        return hexr_llm
    raise AttributeError(f"module 'hexr' has no attribute {name!r}")

__all__ = [
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


def __dir__() -> list[str]:
    return sorted({*globals(), "hexr_llm"})
