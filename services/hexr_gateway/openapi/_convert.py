"""Turn every operation of a spec into a `ToolDef` (names, input schema, HTTP bindings).

Arguments are the operation's parameters plus the request body: a plain object body
(properties, no composition) is flattened into one argument per property (``readOnly``
ones dropped), any other body is one ``body`` argument. OpenAPI allows one name in
several locations (``id`` in the path, the query and the body); the first by location
order path, query, header, cookie, body keeps the plain name and later ones get
``<name>_<location>``. Header parameters that would carry credentials or hop-by-hop data
(``Authorization``, ``Cookie``, ``Host``...) and the spec's own API-key parameters never
become arguments: the gateway alone sets them. Operations that cannot be called safely
(a required body in a media type the gateway does not send) are skipped and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, cast

from hexr_gateway.openapi._model import ArgBinding, Location, SecurityScheme, ToolDef
from hexr_gateway.openapi._naming import NameAllocator, tool_name
from hexr_gateway.openapi._schema import SchemaConverter

__all__ = ["ConversionReport", "convert_spec"]

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_LOCATIONS: tuple[Location, ...] = ("path", "query", "header", "cookie")
_RESERVED_HEADERS = frozenset({
    "authorization", "proxy-authorization", "cookie", "host", "content-length",
    "content-type", "transfer-encoding", "connection", "te", "upgrade", "forwarded",
    "x-forwarded-for", "x-forwarded-host", "x-real-ip", "traceparent", "tracestate",
})
_MAX_DESCRIPTION = 2000
_MAX_OPERATIONS = 5000


@dataclass
class ConversionReport:
    """What a conversion produced and what it skipped (with reasons, no spec text)."""

    tools: list[ToolDef] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def _security_schemes(spec: dict[str, Any]) -> dict[str, SecurityScheme | None]:
    components = spec.get("components") or {}
    raw = components.get("securitySchemes") if isinstance(components, dict) else None
    out: dict[str, SecurityScheme | None] = {}
    for name, scheme in (raw or {}).items():
        out[name] = _scheme(str(name), scheme if isinstance(scheme, dict) else {})
    return out


def _scheme(name: str, scheme: dict[str, Any]) -> SecurityScheme | None:
    kind = scheme.get("type")
    if kind == "apiKey" and scheme.get("in") in ("header", "query", "cookie"):
        where = cast(Any, scheme["in"])
        return SecurityScheme(name, "api_key", where, str(scheme.get("name") or name))
    if kind == "http":
        http = str(scheme.get("scheme", "")).lower()
        if http == "bearer":
            return SecurityScheme(name, "bearer")
        if http == "basic":
            return SecurityScheme(name, "basic")
        return None
    if kind in ("oauth2", "openIdConnect"):
        # The vault holds a ready token (the gateway runs no OAuth flow itself).
        return SecurityScheme(name, "bearer")
    return None


def _security(
    requirements: Any, schemes: dict[str, SecurityScheme | None]
) -> tuple[tuple[SecurityScheme, ...], ...] | None:
    """Supported alternatives; None when the operation needs auth the gateway cannot do."""
    if not isinstance(requirements, list) or not requirements:
        return ()
    alternatives: list[tuple[SecurityScheme, ...]] = []
    for requirement in requirements:
        if not isinstance(requirement, dict):
            continue
        resolved = [schemes.get(str(name)) for name in requirement]
        if all(s is not None for s in resolved):
            alternatives.append(tuple(cast(list[SecurityScheme], resolved)))
    return tuple(alternatives) if alternatives else None


def _description(operation: dict[str, Any], method: str, path: str) -> str:
    parts = [str(operation[k]).strip() for k in ("summary", "description") if operation.get(k)]
    text = "\n\n".join(p for p in parts if p) or f"{method.upper()} {path}"
    return text[:_MAX_DESCRIPTION]


def _media(body: dict[str, Any]) -> tuple[str, Any] | None:
    content = body.get("content")
    if not isinstance(content, dict):
        return None
    for media, value in content.items():
        kind = str(media).split(";")[0].strip().lower()
        if kind == "application/json" or kind.endswith("+json") or kind == "*/*":
            return "application/json", (value or {}).get("schema", {})
    for wanted in ("application/x-www-form-urlencoded", "text/plain"):
        for media, value in content.items():
            if str(media).split(";")[0].strip().lower() == wanted:
                return wanted, (value or {}).get("schema", {})
    return None


_COMPOSITION = ("allOf", "anyOf", "oneOf", "not", "if", "discriminator", "patternProperties")


def _flat_fields(
    converter: SchemaConverter, schema: Any
) -> tuple[dict[str, Any], list[str]] | None:
    """The properties and required names of a plain object body, else None."""
    node = schema
    if isinstance(node, dict) and isinstance(node.get("$ref"), str):
        node = converter.resolve_pointer(node["$ref"])
    if not isinstance(node, dict) or node.get("type", "object") != "object":
        return None
    properties = node.get("properties")
    if not isinstance(properties, dict) or not properties:
        return None
    if any(k in node for k in _COMPOSITION) or isinstance(node.get("additionalProperties"),
                                                          dict):
        return None
    fields = {str(k): v for k, v in properties.items()
              if not (isinstance(v, dict) and v.get("readOnly") is True)}
    raw_required = node.get("required")
    required: list[Any] = raw_required if isinstance(raw_required, list) else []
    return fields, [str(r) for r in required if r in fields]


class _Operation:
    """Builds one tool: arguments, schema, bindings."""

    def __init__(self, converter: SchemaConverter, credential_params: set[tuple[str, str]]):
        self._converter = converter
        self._credential_params = credential_params
        self.properties: dict[str, Any] = {}
        self.required: list[str] = []
        self.bindings: list[ArgBinding] = []
        self.roots: set[str] = set()

    def _argument(self, wire: str, location: Location) -> str:
        name = wire if wire not in self.properties else f"{wire}_{location}"
        n = 1
        while name in self.properties:
            n += 1
            name = f"{wire}_{location}_{n}"
        return name

    def add(self, wire: str, location: Location, schema: Any, required: bool, doc: str) -> None:
        converted, refs = self._converter.convert(schema)
        self.roots |= refs
        if doc and isinstance(converted, dict) and "description" not in converted:
            converted = {**converted, "description": doc[:_MAX_DESCRIPTION]}
        argument = self._argument(wire, location)
        self.properties[argument] = converted
        if required:
            self.required.append(argument)
        self.bindings.append(ArgBinding(argument, location, wire, required))

    def parameter(self, raw: Any) -> str | None:
        param = self._converter.deref(raw)
        if not isinstance(param, dict):
            return "unresolvable parameter"
        name, location = param.get("name"), param.get("in")
        if not isinstance(name, str) or location not in _LOCATIONS:
            return "malformed parameter"
        if location == "header" and name.lower() in _RESERVED_HEADERS:
            return None
        if (location, name.lower()) in self._credential_params:
            return None
        schema = param.get("schema")
        if schema is None and isinstance(param.get("content"), dict) and param["content"]:
            first: Any = next(iter(param["content"].values()), None)
            schema = first.get("schema", {}) if isinstance(first, dict) else {}
        required = location == "path" or param.get("required") is True
        self.add(name, cast(Location, location), schema or {}, required,
                 str(param.get("description") or ""))
        return None


def convert_spec(
    spec: dict[str, Any], upstream: str, *, prefix: str | None = None,
    names: NameAllocator | None = None,
) -> ConversionReport:
    """Every callable operation of ``spec`` as a tool of ``upstream``.

    ``prefix`` (default: the upstream name) starts every tool name; ``names`` shares
    de-duplication with the other specs of one tool set.
    """
    report = ConversionReport()
    converter = SchemaConverter(spec)
    schemes = _security_schemes(spec)
    credential_params: set[tuple[str, str]] = {
        (s.location, s.parameter.lower()) for s in schemes.values()
        if s is not None and s.kind == "api_key"
    }
    names = names or NameAllocator()
    prefix = upstream if prefix is None else prefix
    count = 0
    for path, item in (spec.get("paths") or {}).items():
        item = converter.deref(item)
        if not isinstance(item, dict) or not isinstance(path, str):
            continue
        raw_shared = item.get("parameters")
        shared: list[Any] = raw_shared if isinstance(raw_shared, list) else []
        for method in METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            count += 1
            if count > _MAX_OPERATIONS:
                report.skipped.append(f"operations beyond {_MAX_OPERATIONS} ignored")
                return report
            label = f"{method.upper()} {path}"
            tool = _tool(converter, schemes, credential_params, spec, upstream, prefix,
                         names, path, method, operation, shared, report, label)
            if tool is not None:
                report.tools.append(tool)
    return report


def _tool(
    converter: SchemaConverter,
    schemes: dict[str, SecurityScheme | None],
    credential_params: set[tuple[str, str]],
    spec: dict[str, Any],
    upstream: str,
    prefix: str,
    names: NameAllocator,
    path: str,
    method: str,
    operation: dict[str, Any],
    shared: list[Any],
    report: ConversionReport,
    label: str,
) -> ToolDef | None:
    security = _security(operation.get("security", spec.get("security")), schemes)
    if security is None:
        report.skipped.append(f"{label}: needs an unsupported security scheme")
        return None
    builder = _Operation(converter, credential_params)
    # Operation-level parameters override path-level ones with the same (name, in).
    raw_own = operation.get("parameters")
    own: list[Any] = raw_own if isinstance(raw_own, list) else []
    merged: dict[tuple[Any, Any], Any] = {}
    for raw in [*shared, *own]:
        param = converter.deref(raw)
        key = (param.get("name"), param.get("in")) if isinstance(param, dict) else (id(raw), 0)
        merged[key] = raw
    ordered = sorted(
        merged.values(),
        key=lambda p: _LOCATIONS.index((converter.deref(p) or {}).get("in", "path"))
        if (converter.deref(p) or {}).get("in") in _LOCATIONS else 0,
    )
    for raw in ordered:
        problem = builder.parameter(raw)
        if problem:
            report.skipped.append(f"{label}: {problem}")
            return None
    content_type = None
    flat_body = False
    body = converter.deref(operation.get("requestBody"))
    if isinstance(body, dict):
        media = _media(body)
        if media is None:
            if body.get("required") is True:
                report.skipped.append(f"{label}: request body media type not supported")
                return None
        else:
            content_type, schema = media
            flat = _flat_fields(converter, schema)
            if flat is not None:
                flat_body = True
                fields, required = flat
                for field_name, field_schema in fields.items():
                    builder.add(field_name, "body", field_schema, field_name in required, "")
            else:
                builder.add("body", "body", schema, body.get("required") is True,
                            str(body.get("description") or ""))
    input_schema: dict[str, Any] = {
        "type": "object",
        "properties": builder.properties,
        "additionalProperties": False,
    }
    if builder.required:
        input_schema["required"] = builder.required
    defs = converter.defs_for(builder.roots)
    if defs:
        input_schema["$defs"] = defs
    operation_id = operation.get("operationId")
    operation_id = operation_id if isinstance(operation_id, str) else None
    name = names.allocate(tool_name(prefix, operation_id, method, path))
    raw_tags = operation.get("tags")
    tags: list[Any] = raw_tags if isinstance(raw_tags, list) else []
    return ToolDef(
        name=name,
        description=_description(operation, method, path),
        input_schema=input_schema,
        upstream=upstream,
        method=method.upper(),
        path=path,
        bindings=tuple(builder.bindings),
        content_type=content_type,
        flat_body=flat_body,
        security=security,
        operation_id=operation_id,
        tags=tuple(str(t) for t in tags),
    )
