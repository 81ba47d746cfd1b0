"""Agent-to-agent messaging (A2A 1.0): the client, and the contract of an A2A agent.

``A2AClient`` (sync) and ``AsyncA2AClient`` call other agents through their sidecars; an
agent function marked ``@serves_a2a`` is served by its own sidecar (``python -m
hexr_a2a``). The client and the protocol library load on first use.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from hexr.a2a._contract import (
    A2ARequest,
    AgentDeclaration,
    Artifact,
    DataPart,
    FilePart,
    InputRequired,
    Message,
    Part,
    Skill,
    TaskFailed,
    TaskRejected,
    TextPart,
    declaration_of,
    serves_a2a,
)
from hexr.a2a._registry import DEFAULT_TTL_S, RegistryEntry, live_entries, registry_key

if TYPE_CHECKING:
    from hexr.a2a._client import A2AClient, A2AError, A2AResult, AsyncA2AClient
    from hexr.a2a._convert import from_proto_parts, to_proto_parts

__all__ = [
    "DEFAULT_TTL_S",
    "A2AClient",
    "A2AError",
    "A2ARequest",
    "A2AResult",
    "AgentDeclaration",
    "Artifact",
    "AsyncA2AClient",
    "DataPart",
    "FilePart",
    "InputRequired",
    "Message",
    "Part",
    "RegistryEntry",
    "Skill",
    "TaskFailed",
    "TaskRejected",
    "TextPart",
    "declaration_of",
    "from_proto_parts",
    "live_entries",
    "registry_key",
    "serves_a2a",
    "to_proto_parts",
]

_LAZY = {
    "A2AClient": "hexr.a2a._client",
    "A2AError": "hexr.a2a._client",
    "A2AResult": "hexr.a2a._client",
    "AsyncA2AClient": "hexr.a2a._client",
    "from_proto_parts": "hexr.a2a._convert",
    "to_proto_parts": "hexr.a2a._convert",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'hexr.a2a' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_LAZY})
