"""Hexr: a zero-trust runtime for AI agents.

Importing `hexr` is cheap: heavy parts (cloud SDKs, the guard's models, platform
services) load only when used.
"""

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
