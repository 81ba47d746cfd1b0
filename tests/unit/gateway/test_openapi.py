"""OpenAPI → tools: the hard cases from popular gateways' bug trackers."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import pytest

from hexr_gateway.openapi import MAX_TOOL_NAME, SpecError, convert_spec, parse_spec


def _spec(paths: dict[str, Any], schemas: dict[str, Any] | None = None,
          version: str = "3.1.0", **extra: Any) -> dict[str, Any]:
    return {"openapi": version, "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas or {}, **extra.pop("components", {})}, **extra}


def _body(ref: str) -> dict[str, Any]:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{ref}"}}}}}


def _tool(spec: dict[str, Any]) -> Any:
    (tool,) = convert_spec(parse_spec(spec), "up").tools
    return tool


def test_cyclic_and_mutually_recursive_refs_stay_finite_and_validate() -> None:
    schemas = {
        "Node": {"type": "object", "required": ["v"], "properties": {
            "v": {"type": "integer"}, "next": {"$ref": "#/components/schemas/Node"}}},
        "A": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/B"}}},
        "B": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/A"}},
              "required": ["a"]},
        "Unused": {"type": "string"},
    }
    node = _tool(_spec({"/n": {"post": _body("Node")}}, schemas))
    assert set(node.input_schema["$defs"]) == {"Node"}  # only what the tool reaches
    json.dumps(node.input_schema)  # finite: serializes
    # A plain object body is flattened: its properties are the tool's arguments.
    assert node.flat_body
    assert node.input_schema["required"] == ["v"]
    jsonschema.validate({"v": 1, "next": {"v": 2, "next": {"v": 3}}}, node.input_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"v": 1, "next": {"next": {"v": 3}}}, node.input_schema)
    ab = _tool(_spec({"/ab": {"post": _body("A")}}, schemas))
    assert set(ab.input_schema["$defs"]) == {"A", "B"}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"b": {}}, ab.input_schema)


def test_flattened_body_fields_collide_with_parameters_and_drop_read_only() -> None:
    schemas = {"U": {"type": "object", "required": ["id", "name"], "properties": {
        "id": {"type": "string"}, "name": {"type": "string"},
        "created": {"type": "string", "readOnly": True}}}}
    tool = _tool(_spec({"/u/{id}": {"put": {
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "string"}}], **_body("U")}}}, schemas))
    assert [(b.location, b.wire_name, b.argument) for b in tool.bindings] == [
        ("path", "id", "id"), ("body", "id", "id_body"), ("body", "name", "name")]
    assert tool.input_schema["required"] == ["id", "id_body", "name"]


def test_oneof_with_discriminator_accepts_overlapping_branches() -> None:
    schemas = {
        "Cat": {"type": "object", "properties": {"kind": {"type": "string"}}},
        "Dog": {"type": "object", "properties": {"kind": {"type": "string"}}},
        "Pet": {"oneOf": [{"$ref": "#/components/schemas/Cat"},
                          {"$ref": "#/components/schemas/Dog"}],
                "discriminator": {"propertyName": "kind"}},
        "Strict": {"oneOf": [{"type": "integer"}, {"type": "number"}]},
    }
    pet = _tool(_spec({"/p": {"post": _body("Pet")}}, schemas))
    # Both branches match {"kind": "cat"}: a literal oneOf would refuse a valid body.
    jsonschema.validate({"body": {"kind": "cat"}}, pet.input_schema)
    assert "discriminator" not in json.dumps(pet.input_schema)
    strict = _tool(_spec({"/s": {"post": _body("Strict")}}, schemas))
    assert "oneOf" in strict.input_schema["$defs"]["Strict"]  # without discriminator: kept


def test_allof_composition_requires_every_part() -> None:
    schemas = {"Base": {"type": "object", "required": ["id"],
                        "properties": {"id": {"type": "string"}}},
               "Ext": {"allOf": [{"$ref": "#/components/schemas/Base"},
                                 {"type": "object", "required": ["n"],
                                  "properties": {"n": {"type": "integer"}}}]}}
    tool = _tool(_spec({"/e": {"post": _body("Ext")}}, schemas))
    jsonschema.validate({"body": {"id": "x", "n": 1}}, tool.input_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"body": {"n": 1}}, tool.input_schema)


def test_parameter_name_collisions_across_locations_get_distinct_arguments() -> None:
    params = [{"name": n, "in": loc, "schema": {"type": "string"}, "required": loc == "path"}
              for n, loc in (("id", "path"), ("id", "query"), ("id", "header"),
                             ("body", "query"), ("id", "cookie"))]
    tool = _tool(_spec({"/x/{id}": {"post": {
        "parameters": params,
        "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
    }}}))
    where = {(b.location, b.wire_name): b.argument for b in tool.bindings}
    assert where == {("path", "id"): "id", ("query", "id"): "id_query",
                     ("header", "id"): "id_header", ("query", "body"): "body",
                     ("cookie", "id"): "id_cookie", ("body", "body"): "body_body"}
    assert tool.input_schema["required"] == ["id"]


def test_names_without_operation_id_are_cut_and_deduplicated() -> None:
    long_id = "x" * 200
    spec = _spec({
        "/users/{id}": {"get": {}, "delete": {}},
        "/users": {"get": {}},
        "/a": {"get": {"operationId": long_id}}, "/b": {"get": {"operationId": long_id}},
        "/c": {"get": {"operationId": "same"}}, "/d": {"get": {"operationId": "SAME"}},
        "/e": {"get": {"operationId": "weird name/with:chars"}},
    })
    names = [t.name for t in convert_spec(parse_spec(spec), "up").tools]
    assert names[:3] == ["up_get__users_by_id", "up_delete__users_by_id", "up_get__users"]
    assert len(set(n.lower() for n in names)) == len(names)
    assert all(len(n) <= MAX_TOOL_NAME for n in names)
    assert names[5:7] == ["up_same", "up_SAME_2"]
    assert names[7] == "up_weird_name_with_chars"


def test_five_hundred_operations_all_become_tools() -> None:
    paths = {f"/r{i}/{{id}}": {"get": {"operationId": f"get{i}", "parameters": [
        {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]},
        "post": _body("Thing")} for i in range(250)}
    spec = _spec(paths, {"Thing": {"type": "object", "properties": {
        "self": {"$ref": "#/components/schemas/Thing"}}}})
    report = convert_spec(parse_spec(json.dumps(spec)), "big")
    assert len(report.tools) == 500
    assert report.skipped == []


def test_openapi_30_nullable_and_exclusive_bounds_are_translated() -> None:
    tool = _tool(_spec({"/q": {"get": {"parameters": [
        {"name": "n", "in": "query", "schema": {"type": "integer", "nullable": True,
                                                "minimum": 0, "exclusiveMinimum": True}}]}}},
        version="3.0.3"))
    schema = tool.input_schema["properties"]["n"]
    assert schema == {"type": ["integer", "null"], "exclusiveMinimum": 0}
    jsonschema.validate({"n": None}, tool.input_schema)
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"n": 0}, tool.input_schema)


def test_remote_refs_are_never_fetched_and_credential_headers_never_arguments() -> None:
    spec = _spec({"/r": {"post": {
        "parameters": [{"name": "Authorization", "in": "header"},
                       {"name": "Cookie", "in": "header"},
                       {"name": "X-Key", "in": "header"}],
        "requestBody": {"content": {"application/json": {
            "schema": {"$ref": "https://evil.example/schema.json"}}}}}}},
        security=[{"k": []}],
        components={"securitySchemes": {"k": {"type": "apiKey", "in": "header",
                                              "name": "X-Key"}}})
    tool = _tool(spec)
    assert set(tool.input_schema["properties"]) == {"body"}
    assert tool.input_schema["properties"]["body"] == {}
    assert tool.security[0][0].parameter == "X-Key"


def test_unsupported_operations_are_skipped_and_reported() -> None:
    spec = _spec({"/up": {"post": {"requestBody": {"required": True, "content": {
        "multipart/form-data": {"schema": {"type": "object"}}}}}},
        "/tls": {"get": {"security": [{"mtls": []}]}}},
        components={"securitySchemes": {"mtls": {"type": "mutualTLS"}}})
    report = convert_spec(parse_spec(spec), "up")
    assert report.tools == []
    assert len(report.skipped) == 2


@pytest.mark.parametrize("raw", [
    "a: &a [*a]",
    "openapi: 3.1.0\npaths: {}\nx: &x {k: v}\ny: *x",
    '{"swagger": "2.0", "paths": {}}',
    "[1, 2]",
    "not: [valid",
])
def test_bad_documents_are_refused(raw: str) -> None:
    with pytest.raises(SpecError):
        parse_spec(raw)
