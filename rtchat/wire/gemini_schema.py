"""A tool's JSON Schema in the subset Gemini's `FunctionDeclaration.parameters` accepts.

Gemini takes an OpenAPI 3.0 Schema object, not JSON Schema: the fields of google-genai's
`types.Schema` (type, format, description, nullable, enum, properties, required, items,
min/maxItems, min/maxLength, pattern, minimum/maximum, min/maxProperties, anyOf,
propertyOrdering) and nothing else. MCP servers send full JSON Schema (pydantic's output:
`$defs`/`$ref`, `anyOf` with null, `title`, `default`, `additionalProperties`), and one
unknown keyword makes Gemini answer 400 for the whole request (`Unknown name
"additionalProperties"`), so every schema is rewritten here, and every rule says why.
Pure and total: any JSON value in, a schema out, never an exception.
"""

from __future__ import annotations

from typing import Any

MAX_DEPTH = 12  # nesting deeper than this (a hostile or runaway schema) ends in a bare schema
REF_REPEATS = 2  # a recursive model (a tree's `children: list[Node]`) is unrolled this many times, then cut

# JSON Schema type -> OpenAPI type, as google-genai's `types.Type` spells it.
TYPES = {"string": "STRING", "number": "NUMBER", "integer": "INTEGER", "boolean": "BOOLEAN", "array": "ARRAY", "object": "OBJECT"}

# Kept as they are when of the type `types.Schema` gives them (a wrong one would be a 400 for the
# whole request). `default` stays because the model fills arguments better knowing it (the API's
# Schema documents it as a note, not a check).
TEXTS = ("description", "pattern")
COUNTS = ("minItems", "maxItems", "minLength", "maxLength", "minProperties", "maxProperties")
NUMBERS = ("minimum", "maximum")
KEPT = frozenset((*TEXTS, *COUNTS, *NUMBERS, "default"))

# The formats the Gemini API accepts for each type: any other (`uri`, `email` on a string) is a 400
# ("only 'enum' and 'date-time' are supported for STRING type"), so it is dropped, not sent.
FORMATS = {"STRING": {"enum", "date-time"}, "NUMBER": {"float", "double"}, "INTEGER": {"int32", "int64", "enum"}}

# Dropped on purpose (everything not named above is dropped too):
# - `additionalProperties`, `propertyNames`, `patternProperties`: the Gemini Developer API rejects
#   them (google-genai raises for `additionalProperties` outside Vertex AI);
# - `$schema`, `$id`, `$comment`, `title`, `examples`, `readOnly`, `deprecated`: notes for people and
#   validators that tell the model nothing the names and descriptions do not (pydantic's titles
#   repeat the property name), and older API versions rejected;
# - `exclusiveMinimum`/`exclusiveMaximum`, `multipleOf`, `uniqueItems`, `not`, `if`/`then`/`else`:
#   no OpenAPI-subset equivalent; the tool validates its own input anyway.


def gemini_parameters(schema: object) -> dict | None:
    """`parameters` for a FunctionDeclaration, or None when the tool takes none.

    Gemini rejects an OBJECT without properties at the top ("properties: should be non-empty for
    OBJECT type"), and google-genai leaves `parameters` unset for a function without any."""
    root = schema if isinstance(schema, dict) else {}
    converted = _convert(root, _definitions(root), 0, ())
    if not converted.get("properties"):
        return None
    converted["type"] = "OBJECT"  # arguments are always an object (Gemini needs it said)
    converted.pop("nullable", None)
    return converted


def _definitions(root: dict) -> dict:
    defs: dict = {}
    for key in ("definitions", "$defs"):  # draft-07 and 2020-12 spellings
        if isinstance(root.get(key), dict):
            defs.update(root[key])
    return defs


def _convert(schema: object, defs: dict, depth: int, seen: tuple[str, ...]) -> dict:
    if not isinstance(schema, dict) or depth > MAX_DEPTH:
        return {}  # `true`, or too deep: any value
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return _inline(schema, ref, defs, depth, seen)
    out: dict[str, Any] = {}
    nullable = schema.get("nullable") is True
    kind, nullable_type, other_types = _type(schema.get("type"))
    nullable = nullable or nullable_type
    if other_types:  # `type: ["string", "integer"]`: Gemini takes one type a schema, so a union
        narrowed = {k: v for k, v in schema.items() if k != "type"}
        out["anyOf"] = [_convert({**narrowed, "type": t}, defs, depth + 1, seen) for t in other_types]
        if nullable:
            out["nullable"] = True
        return out
    union = schema.get("anyOf") if isinstance(schema.get("anyOf"), list) else schema.get("oneOf")
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and all_of:
        return _merge_all_of(schema, all_of, defs, depth, seen)
    if isinstance(union, list):  # oneOf -> anyOf: "exactly one" is not expressible; "any" is the nearest
        branches = [b for b in union if not (isinstance(b, dict) and b.get("type") == "null")]
        nullable = nullable or len(branches) < len(union)
        converted = [_convert(b, defs, depth + 1, seen) for b in branches]
        if len(converted) == 1:  # `Optional[X]`: X, nullable (what google-genai does with pydantic's shape)
            out.update(converted[0])
        elif converted:
            out["anyOf"] = converted
    if kind:
        out.setdefault("type", kind)
    for key, value in schema.items():  # in the schema's order, so a request's bytes never vary
        if key not in KEPT or key in out:
            continue
        if key in TEXTS:
            if isinstance(value, str):
                out[key] = value
        elif key in COUNTS:
            if _number(value) and value == int(value) and 0 <= value < 2**63:
                out[key] = int(value)
        elif key in NUMBERS:
            if _number(value):
                out[key] = value
        else:
            out[key] = value  # default
    nullable = _enum(schema, out) or nullable
    fmt = schema.get("format")
    if isinstance(fmt, str) and fmt in FORMATS.get(out.get("type", ""), ()):
        out.setdefault("format", fmt)
    if kind == "OBJECT" or (kind is None and "type" not in out and isinstance(schema.get("properties"), dict)):
        _object(schema, out, defs, depth, seen)  # (a schema with properties and no type is an object)
    if kind == "ARRAY":
        _array(schema, out, defs, depth, seen)
    if nullable:
        out["nullable"] = True
    return out


def _number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value and abs(value) != float("inf")


def _type(value: object) -> tuple[str | None, bool, list[str]]:
    """(the one OpenAPI type, whether null is allowed, the types when more than one)."""
    if isinstance(value, str):
        return TYPES.get(value.lower()), value == "null", []
    if isinstance(value, list):
        names = [TYPES[v.lower()] for v in value if isinstance(v, str) and v.lower() in TYPES]
        nullable = "null" in value
        if len(names) == 1:
            return names[0], nullable, []
        return None, nullable, [v for v in value if isinstance(v, str) and v.lower() in TYPES]
    return None, False, []


def _inline(schema: dict, ref: str, defs: dict, depth: int, seen: tuple[str, ...]) -> dict:
    """A `$ref` replaced by its definition (Gemini's `ref` only reaches root `defs`, and the
    Developer API does not take those); a missing name is any value, a cycle is cut after
    `REF_REPEATS` rounds to its bare type."""
    name = ref.rsplit("/", 1)[-1]
    target = defs.get(name)
    if not isinstance(target, dict):
        out: dict[str, Any] = {}
    elif seen.count(name) >= REF_REPEATS:
        kind, _, _ = _type(target.get("type"))
        out = {"type": kind} if kind in ("OBJECT", "STRING", "NUMBER", "INTEGER", "BOOLEAN") else {}  # cut: the type, no more
    else:
        out = _convert(target, defs, depth + 1, (*seen, name))
    if isinstance(schema.get("description"), str):  # the use site's words win over the definition's
        out["description"] = schema["description"]
    if schema.get("nullable") is True:
        out["nullable"] = True
    return out


def _merge_all_of(schema: dict, parts: list, defs: dict, depth: int, seen: tuple[str, ...]) -> dict:
    """`allOf` as one schema: the parts' properties and required names together, the first word
    on anything else (pydantic wraps a described `$ref` as `allOf: [{$ref}]`)."""
    converted = [_convert(p, defs, depth + 1, seen) for p in parts]
    rest = {k: v for k, v in schema.items() if k != "allOf"}
    base = _convert(rest, defs, depth, seen)
    merged: dict[str, Any] = dict(base)
    for part in converted:
        for key, value in part.items():
            if key == "properties" and isinstance(value, dict):
                merged["properties"] = {**merged.get("properties", {}), **value}
            elif key == "required" and isinstance(value, list):
                merged["required"] = [*merged.get("required", []), *[n for n in value if n not in merged.get("required", [])]]
            else:
                merged.setdefault(key, value)
    return merged


def _enum(schema: dict, out: dict) -> bool:
    """`enum` as strings (google-genai's `enum: list[str]`; integers say `format: enum`);
    `const` is a one-value enum. True when the values allow null (said as `nullable`)."""
    values = schema.get("enum")
    if not isinstance(values, list):
        values = [schema["const"]] if "const" in schema else None
    if values is None:
        return False
    kept = [v for v in values if v is not None and not isinstance(v, (dict, list))]
    if kept:
        out["enum"] = [v if isinstance(v, str) else _scalar_text(v) for v in kept]
        if out.get("type") in (None, "STRING") and all(isinstance(v, str) for v in kept):
            out["type"] = "STRING"
        elif out.get("type") == "INTEGER":
            out["format"] = "enum"
        elif out.get("type") != "STRING":
            out["type"] = "STRING"  # mixed or non-integer values: Gemini enums are strings
    return None in values


def _scalar_text(value: object) -> str:
    if value is True or value is False:
        return "true" if value else "false"
    return str(value)


def _object(schema: dict, out: dict, defs: dict, depth: int, seen: tuple[str, ...]) -> None:
    out["type"] = "OBJECT"
    properties = schema.get("properties")
    if not isinstance(properties, dict) or not properties:
        return  # a free-form object stays `{"type": "OBJECT"}`, which Gemini accepts below the top
    out["properties"] = {str(name): _convert(sub, defs, depth + 1, seen) for name, sub in properties.items()}
    required = schema.get("required")
    if isinstance(required, list):
        # Gemini rejects a `required` name its node does not define ("property is not defined").
        names = [n for n in required if isinstance(n, str) and n in out["properties"]]
        if names:
            out["required"] = list(dict.fromkeys(names))
    ordering = schema.get("propertyOrdering")
    if isinstance(ordering, list):
        names = [n for n in ordering if isinstance(n, str) and n in out["properties"]]
        if names:
            out["propertyOrdering"] = names


def _array(schema: dict, out: dict, defs: dict, depth: int, seen: tuple[str, ...]) -> None:
    items = schema.get("items")
    prefix = schema.get("prefixItems")
    if isinstance(items, dict):
        out["items"] = _convert(items, defs, depth + 1, seen)
    elif isinstance(prefix, list) and prefix:  # a tuple: each position's schema as a choice
        choices = [_convert(p, defs, depth + 1, seen) for p in prefix]
        out["items"] = choices[0] if len(choices) == 1 else {"anyOf": choices}
    else:
        out["items"] = {}  # Gemini answers 400 for an ARRAY without items ("items: missing field")
    if not out["items"]:
        out["items"] = {"type": "STRING"}
