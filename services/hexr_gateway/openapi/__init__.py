"""OpenAPI 3.0/3.1 documents → MCP tool definitions (no I/O but reading a bounded spec)."""

from hexr_gateway.openapi._convert import ConversionReport, convert_spec
from hexr_gateway.openapi._load import SpecError, parse_spec
from hexr_gateway.openapi._model import ArgBinding, SecurityScheme, ToolDef
from hexr_gateway.openapi._naming import MAX_TOOL_NAME, NameAllocator, tool_name

__all__ = [
    "MAX_TOOL_NAME",
    "ArgBinding",
    "ConversionReport",
    "NameAllocator",
    "SecurityScheme",
    "SpecError",
    "ToolDef",
    "convert_spec",
    "parse_spec",
    "tool_name",
]
