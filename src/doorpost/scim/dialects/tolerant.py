"""Edge normalizations: rewrite request shapes that are *not* valid RFC 7644 into the canonical
form every identity provider means by them. Each rule records a `Note` when it fires.

Because every rule only rewrites something RFC 7644 would reject, applying them never changes
the meaning of a request that is already valid; so they run for every client, whatever dialect
was detected. Reinterpretations of *valid* requests live in the dialects and need a pin.

Rules (the `rule` ids recorded in the activity log):
- `op-case`: `"Replace"` → `"replace"` (Entra's default PATCH style).
- `boolean-string`: `"True"`/`"False"` (any case) where the schema expects a boolean.
- `unqualified-extension-path`: `manager` / `department` → `urn:…:enterprise:2.0:User:manager`.
- `manager-string`: manager written as a bare id → `{"value": id}` (how Entra writes it).
- `manager-legacy-array`: `[{"$ref": …, "value": id}]` → `{"value": id}`.
- `manager-clear`: manager set to `""`, `null` or `{"value": ""}` → `remove` of the manager.
- `manager-filter-remove`: `remove manager[value eq "id"]` → `remove manager`.
- `schema-urn-typo`: data keyed by `…:enterprise:2.0User` (2016 Entra) → the real URN.
- `entra-filter-value-path`: `emails[type eq "work"].value eq "x"` read as a value path.
"""

from __future__ import annotations

import re
from typing import Any

from doorpost.scim.definitions import ENTERPRISE_URN
from doorpost.scim.notes import Note
from doorpost.scim.schema import BOOLEAN, Attribute, ResourceType

MANAGER_PATH = f"{ENTERPRISE_URN}:manager"
TYPO_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0user"
_BOOL_STRINGS = {"true": True, "false": False}
_VALUE_PATH_TAIL = re.compile(r"\]\s*\.\s*[A-Za-z$]")


def _bool(value: Any, where: str, notes: list[Note]) -> Any:
    if isinstance(value, str) and value.strip().lower() in _BOOL_STRINGS:
        notes.append(Note("boolean-string", f"'{where}': string {value!r} read as a boolean"))
        return _BOOL_STRINGS[value.strip().lower()]
    return value


def coerce_booleans(attr: Attribute, value: Any, where: str, notes: list[Note]) -> Any:
    """Walk a value of `attr`, turning boolean strings into booleans where the schema says so."""
    if attr.multi_valued and isinstance(value, list):
        return [coerce_booleans(_single(attr), v, where, notes) for v in value]
    if attr.is_complex and isinstance(value, dict):
        out = {}
        for key, sub_value in value.items():
            sub = attr.sub(key)
            out[key] = coerce_booleans(sub, sub_value, f"{where}.{key}", notes) if sub else sub_value
        return out
    if attr.type == BOOLEAN:
        return _bool(value, where, notes)
    return value


def _single(attr: Attribute) -> Attribute:
    return Attribute(attr.name, attr.type, sub_attributes=attr.sub_attributes)


def manager_value(value: Any, notes: list[Note]) -> tuple[bool, Any]:
    """Canonical manager value; (False, None) means "clear the manager"."""
    if isinstance(value, list):
        notes.append(Note("manager-legacy-array", "manager array form read as one manager id"))
        first = value[0] if value else None
        value = first.get("value") if isinstance(first, dict) else first
    if isinstance(value, str):
        if value == "":
            notes.append(Note("manager-clear", "manager set to \"\" read as removing it"))
            return False, None
        notes.append(Note("manager-string", f"manager id {value!r} read as {{\"value\": …}}"))
        return True, {"value": value}
    if value is None or (isinstance(value, dict) and value.get("value") in ("", None)
                         and set(k.lower() for k in value) <= {"value", "$ref", "displayname"}):
        notes.append(Note("manager-clear", "empty manager read as removing it"))
        return False, None
    if isinstance(value, dict):
        return True, {k: v for k, v in value.items() if k.lower() != "$ref" or v}
    return True, value


# -- resources (POST / PUT) ------------------------------------------------------------

def normalize_resource(body: Any, rt: ResourceType) -> tuple[Any, list[Note]]:
    notes: list[Note] = []
    if not isinstance(body, dict):
        return body, notes
    out: dict[str, Any] = {}
    for key, value in body.items():
        if key.lower() == TYPO_URN:
            notes.append(Note("schema-urn-typo", f"'{key}' read as {ENTERPRISE_URN}"))
            key = ENTERPRISE_URN
        if key.lower() == "schemas" and isinstance(value, list):
            value = [ENTERPRISE_URN if isinstance(s, str) and s.lower() == TYPO_URN else s
                     for s in value]
        ext = rt.schema_for(key) if key.lower().startswith("urn:") else None
        if ext is not None and ext is not rt.core and isinstance(value, dict):
            value = _normalize_extension(value, ext.id, rt, notes)
        else:
            attr = rt.core.attribute(key)
            if attr is not None:
                value = coerce_booleans(attr, value, attr.name, notes)
        out[key] = value
    return out, notes


def _normalize_extension(obj: dict[str, Any], urn: str, rt: ResourceType,
                         notes: list[Note]) -> dict[str, Any]:
    schema = rt.schema_for(urn)
    assert schema is not None
    out: dict[str, Any] = {}
    for key, value in obj.items():
        attr = schema.attribute(key)
        if urn == ENTERPRISE_URN and key.lower() == "manager":
            keep, value = manager_value(value, notes)
            if not keep:
                continue
        elif attr is not None:
            value = coerce_booleans(attr, value, key, notes)
        out[key] = value
    return out


# -- PATCH -------------------------------------------------------------------------------

def normalize_patch(body: Any, rt: ResourceType) -> tuple[Any, list[Note]]:
    notes: list[Note] = []
    if not isinstance(body, dict):
        return body, notes
    out = dict(body)
    for key, raw_ops in body.items():
        if key.lower() != "operations" or not isinstance(raw_ops, list):
            continue
        ops: list[Any] = []
        for raw in raw_ops:
            ops.extend(_normalize_op(raw, rt, notes))
        out[key] = ops
    return out, notes


def _normalize_op(raw: Any, rt: ResourceType, notes: list[Note]) -> list[Any]:
    if not isinstance(raw, dict):
        return [raw]
    fields = {k.lower(): k for k in raw}
    op = raw.get(fields.get("op", "op"))
    if isinstance(op, str) and op != op.lower() and op.lower() in ("add", "replace", "remove"):
        notes.append(Note("op-case", f"operation '{op}' read as '{op.lower()}'"))
        op = op.lower()
    path = raw.get(fields["path"]) if "path" in fields else None
    has_value = "value" in fields
    value = raw.get(fields["value"]) if has_value else None
    if isinstance(path, str) and path.strip():
        path = _qualify(path.strip(), rt, notes)
        if path.lower().startswith(MANAGER_PATH.lower() + "["):
            notes.append(Note("manager-filter-remove", f"'{path}' read as '{MANAGER_PATH}'"))
            path = MANAGER_PATH
        if path.lower() == MANAGER_PATH.lower() and op in ("add", "replace"):
            keep, value = manager_value(value, notes)
            if not keep:
                return [{"op": "remove", "path": MANAGER_PATH}]
        else:
            value = _coerce_at(path, value, rt, notes) if has_value else value
    elif isinstance(value, dict) and op in ("add", "replace"):
        value, clears = _normalize_pathless(value, rt, notes)
        op_out = {"op": op, "value": value}
        result: list[Any] = [op_out] if value else []
        if clears:
            result.append({"op": "remove", "path": MANAGER_PATH})
        return result
    out: dict[str, Any] = {"op": op}
    if path is not None:
        out["path"] = path
    if has_value:
        out["value"] = value
    return [out]


def _qualify(path: str, rt: ResourceType, notes: list[Note]) -> str:
    """`manager` → `urn:…:enterprise:2.0:User:manager` when only an extension defines it."""
    head = re.split(r"[.\[]", path, maxsplit=1)[0]
    if head.lower().startswith("urn:") or rt.core.attribute(head) is not None or (
            rt.common is not None and rt.common.attribute(head) is not None):
        return path
    owners = [ext for ext in rt.extensions if ext.attribute(head) is not None]
    if len(owners) != 1:
        return path
    qualified = f"{owners[0].id}:{path}"
    notes.append(Note("unqualified-extension-path", f"'{path}' read as '{qualified}'"))
    return qualified


def _coerce_at(path: str, value: Any, rt: ResourceType, notes: list[Note]) -> Any:
    """Coerce boolean strings at a PATCH path (`active`, `emails[type eq "work"].primary`)."""
    bracket = path.find("[")
    base = path if bracket < 0 else path[:bracket]
    resolved = rt.resolve(base)
    if resolved is None:
        return value
    target: Attribute = resolved.target
    if bracket >= 0:
        tail = path[path.rfind("]") + 1:]
        if tail.startswith("."):
            sub = resolved.attr.sub(tail[1:])
            if sub is None:
                return value
            target = sub
        else:
            target = _single(resolved.attr)
    elif resolved.attr.multi_valued and not isinstance(value, list) and resolved.sub is None:
        target = _single(resolved.attr)
    return coerce_booleans(target, value, path, notes)


def _normalize_pathless(value: dict[str, Any], rt: ResourceType,
                        notes: list[Note]) -> tuple[dict[str, Any], bool]:
    """The value object of a path-less add/replace, and whether it clears the manager."""
    out: dict[str, Any] = {}
    clears = False
    for key, v in value.items():
        qualified = _qualify(key, rt, notes) if not key.lower().startswith("urn:") else key
        if qualified.lower() == MANAGER_PATH.lower():
            keep, v = manager_value(v, notes)
            if not keep:
                clears = True
                continue
        elif rt.schema_for(qualified) is not None and isinstance(v, dict):
            ext = rt.schema_for(qualified)
            assert ext is not None
            if ext is not rt.core:
                v = _normalize_extension(v, ext.id, rt, notes)
                if not v:
                    continue
        else:
            v = _coerce_at(qualified, v, rt, notes)
        out[qualified] = v
    return out, clears


# -- queries -----------------------------------------------------------------------------

def normalize_query(params: dict[str, Any], rt: ResourceType) -> tuple[dict[str, Any], list[Note]]:
    notes: list[Note] = []
    for key, value in params.items():
        if key.lower() == "filter" and isinstance(value, str) and _VALUE_PATH_TAIL.search(value):
            notes.append(Note("entra-filter-value-path",
                              "'attr[filter].sub op value' read as 'attr[filter and sub op value]'"))
    return params, notes
