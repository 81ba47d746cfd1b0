"""Loading YAML from files users and operators write, with bounds and quiet errors.

``yaml.safe_load`` builds no objects, but YAML aliases let a 1 KB file stand for an
exponentially large (or self-containing) tree, which every later walk over the document
would follow: `load_yaml` counts the nodes as such a walk sees them and refuses a document
past the node or depth bound. Errors name the source and the line, never quote the
document (a configuration file can hold a secret) nor the parser's message.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from hexr.errors import ConfigError

__all__ = [
    "MAX_DEPTH",
    "MAX_FILE_BYTES",
    "MAX_NODES",
    "is_bounded",
    "load_yaml",
    "read_file",
    "read_yaml",
]

MAX_FILE_BYTES = 1 << 20
MAX_NODES = 10_000
MAX_DEPTH = 16


def is_bounded(node: Any, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH) -> bool:
    """Whether the tree under ``node``, aliases followed, stays within the bounds."""
    budget = max_nodes
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        item, depth = stack.pop()
        budget -= 1
        if budget < 0 or depth > max_depth:
            return False
        if isinstance(item, dict):
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
    return True


def load_yaml(
    data: bytes | str, source: str, max_nodes: int = MAX_NODES, max_depth: int = MAX_DEPTH
) -> Any:
    """The YAML document in ``data`` (``None`` when empty), checked against the bounds.

    Raises:
        ConfigError: not valid YAML (with its line), or too large or too deeply nested;
            the message starts with ``source``.
    """
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark is not None else ""
        raise ConfigError(f"{source}: not valid YAML{where}") from None
    if not is_bounded(document, max_nodes, max_depth):
        raise ConfigError(f"{source}: too large or too deeply nested")
    return document


def read_file(path: Path, setting: str, max_bytes: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of the file at ``path`` that setting ``setting`` names, up to ``max_bytes``.

    Raises:
        ConfigError: unreadable or larger than ``max_bytes``; names ``setting`` and ``path``.
    """
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot read {path}: {exc.strerror}") from None
    if len(data) > max_bytes:
        raise ConfigError(f"{setting}: {path} is larger than {max_bytes} bytes")
    return data


def read_yaml(path: Path, setting: str = "file", max_bytes: int = MAX_FILE_BYTES) -> Any:
    """`load_yaml` of the file at ``path`` (see `read_file`).

    Raises:
        ConfigError: unreadable, larger than ``max_bytes``, or refused by `load_yaml`.
    """
    return load_yaml(read_file(path, setting, max_bytes), str(path))
