"""Incoming resources (RFC 7643 §2, RFC 7644 §3.3/§3.5.1): JSON → canonical document.

A *document* is what Doorpost stores for a resource: core attributes at the top level under
their canonical names, each extension's attributes under its URN key. It never holds `id`,
`meta`, `schemas` or the relations (`User.groups`, `Group.members`), which live elsewhere.

Rules enforced here, for POST, PUT and the result of every PATCH:
- names are matched case-insensitively and stored in canonical case (RFC 7643 §2.1);
- every value has the attribute's type; `null` and `[]` mean unassigned (§2.5);
- readOnly attributes in a request are ignored (RFC 7644 §3.3, §3.5.1);
- an attribute the schema does not define is refused, never silently dropped;
- required attributes are present; at most one `primary: true` per multi-valued attribute.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from doorpost.scim.errors import InvalidSyntax, InvalidValue
from doorpost.scim.multivalued import deduplicated
from doorpost.scim.schema import (
    BINARY,
    BOOLEAN,
    COMPLEX,
    DATETIME,
    DECIMAL,
    INTEGER,
    Attribute,
    ResourceType,
    Schema,
)
from doorpost.scim.values import is_base64, parse_datetime


@dataclass
class ParsedResource:
    """A validated request body."""

    doc: dict[str, Any]
    members: list[str] | None = None  # Group.members values, when the body carries them
    ignored_schemas: list[str] = field(default_factory=list)


def parse_resource(body: Any, rt: ResourceType) -> ParsedResource:
    """Validate a POST/PUT body for `rt`; raises InvalidSyntax / InvalidValue."""
    if not isinstance(body, dict):
        raise InvalidSyntax(f"The request body must be a JSON object describing a {rt.name}.")
    ignored = _check_schemas(body, rt)
    doc: dict[str, Any] = {}
    members: list[str] | None = None
    seen: set[str] = set()
    for key, value in body.items():
        lowered = key.lower()
        if lowered in seen:
            raise InvalidValue(f"Attribute '{key}' appears more than once (names ignore case).")
        seen.add(lowered)
        if lowered == "schemas":
            continue
        if lowered.startswith("urn:"):
            schema = rt.schema_for(key)
            if schema is None or schema is rt.core:
                if schema is rt.core and isinstance(value, dict):
                    _merge_into(doc, _parse_object(value, schema, rt, top=True))
                    continue
                if key in ignored and value in (None, {}):
                    continue
                raise InvalidValue(f"'{key}' is not a schema extension of {rt.name}.")
            if value is None:
                continue
            if not isinstance(value, dict):
                raise InvalidValue(f"'{schema.id}' must be a JSON object of its attributes.")
            ext = _parse_object(value, schema, rt, top=False)
            if ext:
                doc[schema.id] = ext
            continue
        if rt.written_relation is not None and lowered == rt.written_relation.lower():
            members = parse_members(value)
            continue
        _put(doc, key, value, rt.core, rt)
    _check_required(doc, rt)
    return ParsedResource(doc, members, ignored)


def _merge_into(doc: dict[str, Any], extra: dict[str, Any]) -> None:
    for k, v in extra.items():
        doc[k] = v


def _check_schemas(body: dict[str, Any], rt: ResourceType) -> list[str]:
    """`schemas` must name the core schema; unknown URNs are reported back, not stored."""
    schemas = None
    for key, value in body.items():
        if key.lower() == "schemas":
            schemas = value
    if schemas is None:
        return []
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InvalidValue("'schemas' must be a list of schema URNs.")
    lowered = {s.lower() for s in schemas}
    if rt.core.id.lower() not in lowered:
        raise InvalidValue(f"'schemas' must include {rt.core.id}.")
    return [s for s in schemas if rt.schema_for(s) is None]


def _parse_object(obj: dict[str, Any], schema: Schema, rt: ResourceType, *, top: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in obj.items():
        if not top and key.lower() == "schemas":
            continue  # some clients repeat `schemas` inside the extension object
        _put(out, key, value, schema, rt, top=top)
    return out


def _put(doc: dict[str, Any], key: str, value: Any, schema: Schema, rt: ResourceType,
         *, top: bool = True) -> None:
    """Validate one attribute of `schema` and store it under its canonical name."""
    attr = schema.attribute(key)
    if attr is None and top and rt.common is not None:
        attr = rt.common.attribute(key)
    if attr is None:
        raise InvalidValue(f"'{key}' is not an attribute of {schema.name}.")
    if attr.mutability == "readOnly" or (top and rt.is_relation(attr.name)):
        return  # RFC 7644 §3.3: readOnly values in a request are ignored
    coerced = coerce_value(attr, value, attr.name)
    if coerced is None:
        doc.pop(attr.name, None)
    else:
        doc[attr.name] = coerced


def coerce_value(attr: Attribute, value: Any, where: str) -> Any:
    """Check `value` against `attr`; returns the canonical value, or None for unassigned."""
    if value is None:
        return None
    if attr.multi_valued:
        if not isinstance(value, list):
            raise InvalidValue(f"'{where}' is multi-valued: send a JSON array.")
        items = [coerce_single(attr, v, where) for v in value]
        items = deduplicated(attr, [i for i in items if i is not None])
        if attr.is_complex:
            primaries = sum(1 for i in items if i.get("primary") is True)
            if primaries > 1:
                raise InvalidValue(f"'{where}': at most one value may be primary.")
        return items or None
    return coerce_single(attr, value, where)


def coerce_single(attr: Attribute, value: Any, where: str) -> Any:
    """Check one (non-list) value of `attr`."""
    if value is None:
        return None
    kind = attr.type
    if kind == COMPLEX:
        if not isinstance(value, dict):
            raise InvalidValue(f"'{where}' is complex: send a JSON object.")
        out: dict[str, Any] = {}
        for key, sub_value in value.items():
            sub = attr.sub(key)
            if sub is None:
                raise InvalidValue(f"'{key}' is not a sub-attribute of '{where}'.")
            if sub.mutability == "readOnly":
                continue
            coerced = coerce_value(sub, sub_value, f"{where}.{sub.name}")
            if coerced is not None:
                out[sub.name] = coerced
        return out or None
    if kind == BOOLEAN:
        if not isinstance(value, bool):
            raise InvalidValue(f"'{where}' must be a JSON boolean (true or false).")
        return value
    if kind == INTEGER:
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValue(f"'{where}' must be an integer.")
        return value
    if kind == DECIMAL:
        if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
            raise InvalidValue(f"'{where}' must be a number.")
        return value
    if not isinstance(value, str):
        raise InvalidValue(f"'{where}' must be a string.")
    if "\x00" in value:
        raise InvalidValue(f"'{where}' must not contain NUL characters.")
    if attr.max_length is not None and len(value) > attr.max_length:
        raise InvalidValue(f"'{where}' is longer than {attr.max_length} characters.")
    if kind == DATETIME and parse_datetime(value) is None:
        raise InvalidValue(f"'{where}' must be an xsd:dateTime, e.g. 2026-11-29T10:00:00Z.")
    if kind == BINARY and not is_base64(value):
        raise InvalidValue(f"'{where}' must be base64-encoded binary.")
    return value


def parse_members(value: Any) -> list[str]:
    """`Group.members` values → user ids, in order, without duplicates."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        raise InvalidValue("'members' must be a list of {\"value\": \"<user id>\"} objects.")
    ids: list[str] = []
    for item in value:
        if not isinstance(item, dict):
            raise InvalidValue("Each member must be an object with a 'value'.")
        member_id = None
        for key, v in item.items():
            lowered = key.lower()
            if lowered == "value":
                member_id = v
            elif lowered == "type":
                if v is not None and (not isinstance(v, str) or v.lower() != "user"):
                    raise InvalidValue("Members must be Users: Doorpost has no nested groups.")
            elif lowered not in ("$ref", "display"):
                raise InvalidValue(f"'{key}' is not a sub-attribute of 'members'.")
        if not isinstance(member_id, str) or not member_id or "\x00" in member_id:
            raise InvalidValue("Each member needs a 'value': the id of a User.")
        if member_id not in ids:
            ids.append(member_id)
    return ids


def _check_required(doc: dict[str, Any], rt: ResourceType) -> None:
    for schema in (rt.core, *rt.extensions):
        holder = doc if schema is rt.core else doc.get(schema.id, {})
        for attr in schema.attributes:
            if attr.required and holder.get(attr.name) in (None, "", []):
                raise InvalidValue(f"'{attr.name}' is required for a {rt.name}.")


def check_document(doc: dict[str, Any], rt: ResourceType) -> None:
    """Re-check a whole document (after PATCH): types, primaries, required attributes."""
    for key, value in doc.items():
        if key.lower().startswith("urn:"):
            schema = rt.schema_for(key)
            if schema is None or not isinstance(value, dict):
                raise InvalidValue(f"'{key}' is not a schema extension of {rt.name}.")
            for sub_key, sub_value in value.items():
                attr = schema.attribute(sub_key)
                if attr is None:
                    raise InvalidValue(f"'{sub_key}' is not an attribute of {schema.name}.")
                coerce_value(attr, sub_value, sub_key)
            continue
        attr = rt.core.attribute(key) or (rt.common.attribute(key) if rt.common else None)
        if attr is None:
            raise InvalidValue(f"'{key}' is not an attribute of {rt.name}.")
        coerce_value(attr, value, key)
    _check_required(doc, rt)
