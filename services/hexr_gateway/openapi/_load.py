"""Parse an OpenAPI document (JSON or YAML) with bounds on size and shape.

YAML aliases would let a small file stand for a huge or self-containing tree; the parsed
tree is walked once and refused if any container is reached twice (an alias) or the node
count passes the bound. libyaml's C loader is used when present: the pure-Python one
needs seconds for a spec with hundreds of operations.
"""

from __future__ import annotations

import json
from typing import Any

import yaml

__all__ = ["MAX_NODES", "MAX_SPEC_BYTES", "SpecError", "parse_spec"]

MAX_SPEC_BYTES = 16 * 1024 * 1024
MAX_NODES = 2_000_000
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class SpecError(ValueError):
    """The document is not a usable OpenAPI 3.x spec (the message names why, not its text)."""


def _check_tree(document: Any) -> None:
    seen: set[int] = set()
    stack = [document]
    count = 0
    while stack:
        node = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise SpecError(f"spec has more than {MAX_NODES} nodes")
        if isinstance(node, dict):
            if id(node) in seen:
                raise SpecError("spec uses YAML aliases (refused: alias bombs)")
            seen.add(id(node))
            stack.extend(node.values())
        elif isinstance(node, list):
            if id(node) in seen:
                raise SpecError("spec uses YAML aliases (refused: alias bombs)")
            seen.add(id(node))
            stack.extend(node)


def parse_spec(raw: bytes | str | dict[str, Any]) -> dict[str, Any]:
    """The spec as a dict, checked to be OpenAPI 3.0 or 3.1.

    Raises:
        SpecError: too large, not JSON/YAML, aliased, or not OpenAPI 3.x.
    """
    if isinstance(raw, dict):
        document: Any = raw
    else:
        data = raw.encode() if isinstance(raw, str) else raw
        if len(data) > MAX_SPEC_BYTES:
            raise SpecError(f"spec is larger than {MAX_SPEC_BYTES} bytes")
        try:
            document = json.loads(data)
        except ValueError:
            try:
                document = yaml.load(data, Loader=_LOADER)  # noqa: S506 (a safe loader)
            except yaml.YAMLError:
                raise SpecError("spec is neither JSON nor YAML") from None
    if not isinstance(document, dict):
        raise SpecError("spec is not an object")
    _check_tree(document)
    version = document.get("openapi")
    if not isinstance(version, str) or not version.startswith(("3.0", "3.1")):
        raise SpecError("only OpenAPI 3.0 and 3.1 specs are supported")
    if not isinstance(document.get("paths", {}), dict):
        raise SpecError("spec.paths is not an object")
    return document
