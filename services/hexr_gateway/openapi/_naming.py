"""Tool names: MCP- and LLM-provider-safe, length-bounded, unique within a tool set.

The MCP spec allows 1-128 characters of ``[A-Za-z0-9_.-]``; the most common LLM tool APIs
accept only ``^[a-zA-Z0-9_-]{1,64}$``, so names are cut to that stricter rule. A cut name
keeps a short hash of the full name, so two long names with one prefix stay distinct and a
name does not change when other operations are added.
"""

from __future__ import annotations

import hashlib
import re

__all__ = ["MAX_TOOL_NAME", "NameAllocator", "tool_name"]

MAX_TOOL_NAME = 64
_BAD = re.compile(r"[^A-Za-z0-9_-]+")
_HASH_CHARS = 8


def _clean(text: str) -> str:
    return _BAD.sub("_", text).strip("_") or "op"


def _cut(name: str, limit: int) -> str:
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:_HASH_CHARS]
    return f"{name[: limit - _HASH_CHARS - 1].rstrip('_')}_{digest}"


def tool_name(prefix: str, operation_id: str | None, method: str, path: str) -> str:
    """The base name of an operation: ``prefix_operationId``, else ``prefix_method_path``."""
    if operation_id and operation_id.strip():
        base = _clean(operation_id)
    else:
        # {id} → by_id keeps "/users/{id}" and "/users" apart after cleaning.
        path_part = re.sub(r"\{([^}]*)\}", r"by_\1", path)
        base = _clean(f"{method.lower()}_{path_part}")
    full = f"{_clean(prefix)}_{base}" if prefix else base
    return _cut(full, MAX_TOOL_NAME)


class NameAllocator:
    """Hands out unique names: a taken name gets ``_2``, ``_3``... within the limit."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken: set[str] = set(taken or ())

    def allocate(self, name: str) -> str:
        """``name`` if free, else the first free numbered variant (recorded as taken)."""
        candidate = name
        n = 1
        while candidate.lower() in self._taken:
            n += 1
            suffix = f"_{n}"
            candidate = _cut(name, MAX_TOOL_NAME - len(suffix)) + suffix
        self._taken.add(candidate.lower())
        return candidate
