"""OpenAPI schema objects → JSON Schema (2020-12) that validators and MCP clients accept.

Component schemas become ``$defs`` and every ``#/components/schemas/X`` reference becomes
``#/$defs/X``, so cyclic and recursive schemas stay finite (nothing is inlined) and each
tool carries only the definitions it reaches. Other local references are inlined with a
cycle guard; remote references are never fetched (they would let a spec make the gateway
call arbitrary URLs) and accept anything. OpenAPI 3.0 dialect is translated: ``nullable``,
boolean ``exclusiveMinimum``/``exclusiveMaximum``. A ``oneOf`` with a ``discriminator``
becomes ``anyOf``: the branches of such specs commonly overlap (objects without
``additionalProperties: false``), and a strict ``oneOf`` would then refuse valid bodies.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

__all__ = ["SchemaConverter"]

_COMPONENT_PREFIX = "#/components/schemas/"
_DROP = frozenset({"discriminator", "xml", "externalDocs", "example", "x-examples"})
_MAX_INLINE_DEPTH = 32
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf", "prefixItems")
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_ONES = (
    "items", "additionalProperties", "not", "if", "then", "else", "contains",
    "propertyNames", "unevaluatedProperties", "unevaluatedItems", "additionalItems",
)


def _pointer_escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _pointer_unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


class SchemaConverter:
    """Converts schemas of one spec; component schemas are converted once and shared."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self._spec = spec
        self._openapi30 = str(spec.get("openapi", "")).startswith("3.0")
        components = spec.get("components") or {}
        raw = components.get("schemas") if isinstance(components, dict) else None
        self._raw_defs: dict[str, Any] = raw if isinstance(raw, dict) else {}
        self._defs: dict[str, Any] = {}
        self._refs_of: dict[str, set[str]] = {}

    # --- references ---------------------------------------------------------------------

    def resolve_pointer(self, ref: str) -> Any | None:
        """The raw node a local ``#/...`` reference names, or None."""
        if not ref.startswith("#/"):
            return None
        node: Any = self._spec
        for token in ref[2:].split("/"):
            key = _pointer_unescape(token)
            if isinstance(node, dict) and key in node:
                node = node[key]
            elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
                node = node[int(key)]
            else:
                return None
        return node

    def deref(self, node: Any, limit: int = 16) -> Any:
        """Follow ``$ref`` chains of non-schema objects (parameters, bodies); None if broken."""
        for _ in range(limit):
            if not (isinstance(node, dict) and isinstance(node.get("$ref"), str)):
                return node
            node = self.resolve_pointer(node["$ref"])
        return None

    # --- conversion ---------------------------------------------------------------------

    def _definition(self, name: str) -> None:
        if name in self._defs:
            return
        self._defs[name] = {}  # placeholder first: recursion through this name ends here
        refs: set[str] = set()
        self._defs[name] = self._convert(self._raw_defs[name], refs, ())
        self._refs_of[name] = refs

    def convert(self, schema: Any) -> tuple[dict[str, Any], set[str]]:
        """A JSON Schema for ``schema`` and the component names it references directly."""
        refs: set[str] = set()
        return self._convert(schema, refs, ()), refs

    def defs_for(self, roots: Iterable[str]) -> dict[str, Any]:
        """Every component definition reachable from ``roots`` (converted)."""
        out: dict[str, Any] = {}
        pending = list(roots)
        while pending:
            name = pending.pop()
            if name in out or name not in self._raw_defs:
                continue
            self._definition(name)
            out[name] = self._defs[name]
            pending.extend(self._refs_of.get(name, ()))
        return out

    def _ref(self, ref: str, refs: set[str], stack: tuple[str, ...]) -> dict[str, Any]:
        if ref.startswith(_COMPONENT_PREFIX):
            name = _pointer_unescape(ref[len(_COMPONENT_PREFIX) :])
            if "/" not in ref[len(_COMPONENT_PREFIX) :] and name in self._raw_defs:
                refs.add(name)
                return {"$ref": "#/$defs/" + _pointer_escape(name)}
        target = self.resolve_pointer(ref)
        if target is None or ref in stack or len(stack) >= _MAX_INLINE_DEPTH:
            # Remote, broken or cyclic through a non-component pointer: accept anything.
            return {}
        converted: dict[str, Any] = self._convert(target, refs, (*stack, ref))
        return converted

    def _convert(self, node: Any, refs: set[str], stack: tuple[str, ...]) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict):
            return {}
        ref = node.get("$ref")
        if isinstance(ref, str):
            converted = self._ref(ref, refs, stack)
            siblings = {k: v for k, v in node.items() if k in ("description", "title")}
            return {**converted, **siblings} if siblings and converted else converted
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROP or key.startswith("x-"):
                continue
            if key in _SCHEMA_LISTS and isinstance(value, list):
                out[key] = [self._convert(v, refs, stack) for v in value]
            elif key in _SCHEMA_MAPS and isinstance(value, dict):
                out[key] = {k: self._convert(v, refs, stack) for k, v in value.items()}
            elif key in _SCHEMA_ONES:
                out[key] = self._convert(value, refs, stack)
            elif key == "required" and not isinstance(value, list):
                continue  # a 3.0 property-level "required: true" is not JSON Schema
            else:
                out[key] = value
        if "oneOf" in out and "discriminator" in node:
            out["anyOf"] = out.pop("oneOf")
        if self._openapi30:
            self._translate_30(out)
        return out

    @staticmethod
    def _translate_30(out: dict[str, Any]) -> None:
        if out.pop("nullable", False) is True:
            kind = out.get("type")
            if isinstance(kind, str):
                out["type"] = [kind, "null"]
            elif "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
            elif any(k in out for k in ("allOf", "anyOf", "oneOf", "$ref")):
                out.update({"anyOf": [{k: out.pop(k) for k in list(out)}, {"type": "null"}]})
        for bound in ("Minimum", "Maximum"):
            flag = out.get(f"exclusive{bound}")
            if isinstance(flag, bool):
                limit = out.get(bound.lower())
                if flag and isinstance(limit, int | float):
                    out[f"exclusive{bound}"] = out.pop(bound.lower())
                else:
                    out.pop(f"exclusive{bound}")
