"""The structural JSON Schema check that keeps malformed schemas away from the engines."""

from __future__ import annotations

import pytest

from reviewbot.serve.schema import json_kind, schema_problem

TYPES = "use one of: array, boolean, integer, null, number, object, string"


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"ok": {"type": "boolean"}}, "required": ["ok"]},
        {"type": ["string", "null"], "enum": ["a", None]},
        {"type": "array", "items": {"type": "integer"}, "prefixItems": [True, {}]},
        {"type": "array", "items": [{"type": "string"}, False]},  # draft 7 tuple validation
        {"$defs": {"n": {"type": "number"}}, "anyOf": [{"$ref": "#/$defs/n"}]},
        {"additionalProperties": False, "definitions": {}},
        {},
    ],
)
def test_well_formed_schemas_pass(schema: object) -> None:
    assert schema_problem(schema, "s") is None


@pytest.mark.parametrize(
    ("schema", "problem"),
    [
        ({"type": "nonsense"}, f"s.type = 'nonsense' is not a JSON Schema type; {TYPES}"),
        ({"type": []}, f"s.type = [] is not a JSON Schema type; {TYPES}"),
        ({"type": ["string", {}]}, f"s.type = ['string', {{}}] is not a JSON Schema type; {TYPES}"),
        ("object", "s must be a JSON Schema object, got string"),
        ({"required": "ok"}, "s.required = 'ok' must be a list of property names"),
        ({"enum": "a"}, "s.enum = 'a' must be a list"),
        ({"anyOf": {}}, "s.anyOf must be a list of schemas, got object"),
        ({"properties": []}, "s.properties must be an object of schemas, got array"),
        ({"properties": {"a": 1}}, "s.properties.a must be a JSON Schema object, got number"),
        (
            {"items": [{"type": "int"}]},
            f"s.items[0].type = 'int' is not a JSON Schema type; {TYPES}",
        ),
        (
            {"$defs": {"x": {"not": {"type": "str"}}}},
            f"s.$defs.x.not.type = 'str' is not a JSON Schema type; {TYPES}",
        ),
    ],
)
def test_malformed_schemas_are_named_with_their_path(schema: object, problem: str) -> None:
    assert schema_problem(schema, "s") == problem


def test_json_kind() -> None:
    values: list[object] = [{}, [], "", True, 1, 1.5, None]
    kinds = [json_kind(value) for value in values]
    assert kinds == ["object", "array", "string", "boolean", "number", "number", "null"]
