"""What one OpenAPI operation becomes: a tool and how its arguments map onto HTTP."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ArgBinding", "Location", "SecurityScheme", "ToolDef"]

Location = Literal["path", "query", "header", "cookie", "body"]


@dataclass(frozen=True)
class ArgBinding:
    """One tool argument: where it goes in the HTTP request and under which wire name."""

    argument: str
    location: Location
    wire_name: str
    required: bool = False


@dataclass(frozen=True)
class SecurityScheme:
    """A supported security scheme of the spec (``components.securitySchemes``)."""

    name: str
    kind: Literal["api_key", "bearer", "basic"]
    location: Literal["header", "query", "cookie"] = "header"
    parameter: str = "authorization"


@dataclass(frozen=True)
class ToolDef:
    """An MCP tool backed by one upstream operation."""

    name: str
    description: str
    input_schema: dict[str, Any]
    upstream: str
    method: str
    path: str
    bindings: tuple[ArgBinding, ...]
    content_type: str | None = None
    # True: the body is an object whose properties are arguments of their own (bindings
    # at location "body" name its fields); False: one argument holds the whole body.
    flat_body: bool = False
    # Alternatives (OR) of scheme sets (AND), as OpenAPI's ``security``; () = no auth.
    security: tuple[tuple[SecurityScheme, ...], ...] = ()
    operation_id: str | None = None
    tags: tuple[str, ...] = field(default_factory=tuple)

    def summary(self) -> dict[str, Any]:
        """The public view of the tool (what listing shows; no upstream address)."""
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": self.input_schema,
            "upstream": self.upstream,
        }
