"""A structural check of the JSON schemas clients send, before they reach an engine.

A malformed schema is the client's mistake (400), but engines only find out when they compile it
into a grammar, which fails the whole request as an engine error (500) that clients retry. This
is not a full validator (``jsonschema`` is not a dependency): it walks the subschema keywords of
JSON Schema 2020-12 (and draft 7's ``definitions``) and checks what every engine relies on.
"""

from __future__ import annotations

from collections.abc import Mapping

# JSON Schema's type names (2020-12, section 6.1.1 of the validation vocabulary).
TYPES = frozenset({"array", "boolean", "integer", "null", "number", "object", "string"})

_ONE = ("additionalProperties", "not", "contains", "propertyNames", "if", "then", "else")
_MANY = ("allOf", "anyOf", "oneOf", "prefixItems")
_ONE_OR_MANY = ("items", "additionalItems")  # draft 7 also allows a list (tuple validation)
_NAMED = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")


def schema_problem(schema: object, where: str) -> str | None:
    """What is wrong with ``schema`` (a decoded JSON value), or None when it looks well formed.

    ``where`` names the field in messages (``response_format.json_schema.schema``). Checks: every
    (sub)schema is an object or a boolean (JSON Schema allows ``true``/``false``), ``type`` is
    one of TYPES or a non-empty list of them, ``required`` a list of strings, ``enum`` a list.
    """
    if isinstance(schema, bool):
        return None
    if not isinstance(schema, Mapping):
        return f"{where} must be a JSON Schema object, got {json_kind(schema)}"
    return _own_problem(schema, where) or _subschema_problem(schema, where)


def _own_problem(schema: Mapping[str, object], where: str) -> str | None:
    kind = schema.get("type")
    names = kind if isinstance(kind, list) else [kind]
    if "type" in schema and (not names or any(str(name) not in TYPES for name in names)):
        allowed = ", ".join(sorted(TYPES))
        return f"{where}.type = {kind!r} is not a JSON Schema type; use one of: {allowed}"
    required = schema.get("required", [])
    if not isinstance(required, list) or not all(isinstance(name, str) for name in required):
        return f"{where}.required = {required!r} must be a list of property names"
    if "enum" in schema and not isinstance(schema["enum"], list):
        return f"{where}.enum = {schema['enum']!r} must be a list"
    return None


def _subschema_problem(schema: Mapping[str, object], where: str) -> str | None:
    for key, value in schema.items():
        path = f"{where}.{key}"
        if key in _ONE or (key in _ONE_OR_MANY and not isinstance(value, list)):
            problem = schema_problem(value, path)
        elif key in _MANY or key in _ONE_OR_MANY:
            problem = _list_problem(value, path)
        elif key in _NAMED:
            problem = _named_problem(value, path)
        else:
            continue
        if problem is not None:
            return problem
    return None


def _list_problem(items: object, where: str) -> str | None:
    if not isinstance(items, list):
        return f"{where} must be a list of schemas, got {json_kind(items)}"
    found = (schema_problem(item, f"{where}[{index}]") for index, item in enumerate(items))
    return next((problem for problem in found if problem is not None), None)


def _named_problem(named: object, where: str) -> str | None:
    if not isinstance(named, Mapping):
        return f"{where} must be an object of schemas, got {json_kind(named)}"
    found = (schema_problem(item, f"{where}.{name}") for name, item in named.items())
    return next((problem for problem in found if problem is not None), None)


def json_kind(value: object) -> str:
    """JSON's name for a decoded value's type: object, array, string, boolean, number or null."""
    return {dict: "object", list: "array", str: "string", bool: "boolean"}.get(
        type(value), "number" if isinstance(value, (int, float)) else "null"
    )
