"""Outgoing resources (RFC 7643 §3.1, RFC 7644 §3.4.2.5): document + meta → JSON, projected.

`Projection.selects` decides what a response carries: `never` attributes (password) never
leave, `always` attributes (id) survive any projection, `request` attributes need to be
asked for, and `attributes`/`excludedAttributes` (schema URNs included) trim the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from doorpost.scim.errors import InvalidValue
from doorpost.scim.schema import Attribute, ResolvedPath, ResourceType, Schema
from doorpost.scim.values import format_datetime


@dataclass(frozen=True)
class Meta:
    """What the store knows about a resource beyond its document."""

    id: str
    created: datetime
    last_modified: datetime
    version: int

    @property
    def etag(self) -> str:
        return f'W/"{self.version}"'


@dataclass(frozen=True)
class Projection:
    """`attributes` / `excludedAttributes` of a request, bound to the schema.

    `selects` is the one projection rule (RFC 7644 §3.4.2.5, §3.9); everything that trims a
    response (the document, the relations the store reads, their sub-attributes) asks it.
    """

    attributes: tuple[ResolvedPath | Schema, ...] = ()
    excluded: tuple[ResolvedPath | Schema, ...] = ()
    only: bool = False  # `attributes` was given: only what it names (unknown names: nothing)

    @classmethod
    def parse(cls, rt: ResourceType, attributes: Any, excluded: Any) -> Projection:
        named = _bind_list(rt, attributes)
        return cls(named, _bind_list(rt, excluded), bool(named) or bool(_names_in(attributes)))

    @property
    def trims(self) -> bool:
        return bool(self.only or self.excluded)

    def selects(self, schema: Schema, attr: Attribute, sub: Attribute | None = None) -> bool:
        """Is `attr` (of `schema`; common attributes count as the core schema's), or its
        sub-attribute `sub`, in the response?

        - `returned: never` is never returned, `returned: always` always is;
        - with `attributes`, only what is named: a schema URN names all of that schema's
          attributes (and only that schema's), `emails` names all of emails, `emails.value`
          names emails with only its `value`;
        - else everything `returned: default`, less what `excludedAttributes` names the same
          way (excluding `emails.value` keeps the rest of emails).
        """
        returned = {attr.returned, sub.returned if sub is not None else "default"}
        if "never" in returned:
            return False
        if "always" in returned:
            return True
        if self.only:
            return any(_names(p, schema, attr, sub, including=True) for p in self.attributes)
        if "request" in returned:
            return False
        return not any(_names(p, schema, attr, sub, including=False) for p in self.excluded)

    def wants(self, rt: ResourceType, name: str) -> bool:
        """Will attribute `name` of the core schema appear? (Lets the store skip relations.)"""
        attr = rt.core.attribute(name)
        return attr is not None and self.selects(rt.core, attr)


def _names(p: ResolvedPath | Schema, schema: Schema, attr: Attribute, sub: Attribute | None,
           *, including: bool) -> bool:
    """Does the projection item `p` name `attr` (or `attr.sub`)?

    Asked for `attributes` (`including`), a path to one sub-attribute names its parent too
    (the parent is returned, trimmed to that sub); asked for `excludedAttributes`, only a
    path to the attribute itself, or to exactly `sub`, names it."""
    if isinstance(p, Schema):
        return p is schema
    if p.schema is not schema or p.attr is not attr:
        return False
    if p.sub is None:
        return True
    if sub is None:
        return including
    return p.sub is sub


def _names_in(raw: Any) -> list[str]:
    """`attributes` / `excludedAttributes` as names: a comma-separated string (query) or a
    list of strings (SearchRequest); anything else is refused."""
    if raw is None or raw == "":
        return []
    if isinstance(raw, str):
        names = raw.split(",")
    elif isinstance(raw, list) and all(isinstance(n, str) for n in raw):
        names = raw
    else:
        raise InvalidValue("'attributes' and 'excludedAttributes' take attribute names: a "
                           "comma-separated string, or a list of strings.")
    return [n for n in (name.strip() for name in names) if n]


def _bind_list(rt: ResourceType, raw: Any) -> tuple[ResolvedPath | Schema, ...]:
    bound: list[ResolvedPath | Schema] = []
    for name in _names_in(raw):
        schema = rt.schema_for(name)
        if schema is not None:
            bound.append(schema)
            continue
        resolved = rt.resolve(name)
        if resolved is not None:  # unknown names select nothing (RFC 7644 is silent)
            bound.append(resolved)
    return tuple(bound)


def render(rt: ResourceType, doc: dict[str, Any], meta: Meta, base_url: str,
           relations: dict[str, list[dict[str, Any]]] | None = None,
           projection: Projection | None = None) -> dict[str, Any]:
    """The full wire form of a resource, then projected."""
    out: dict[str, Any] = {"schemas": [rt.core.id], "id": meta.id}
    if "externalId" in doc:
        out["externalId"] = doc["externalId"]
    for attr in rt.core.attributes:
        if attr.returned == "never":
            continue
        if relations is not None and attr.name in relations:
            if relations[attr.name]:
                out[attr.name] = relations[attr.name]
            continue
        if attr.name in doc:
            out[attr.name] = doc[attr.name]
    for ext in rt.extensions:
        if ext.id in doc:
            out["schemas"].append(ext.id)
            out[ext.id] = {k: v for k, v in doc[ext.id].items()
                           if (a := ext.attribute(k)) is not None and a.returned != "never"}
    location = f"{base_url}/{rt.endpoint}/{meta.id}"
    out["meta"] = {
        "resourceType": rt.name,
        "created": format_datetime(meta.created),
        "lastModified": format_datetime(meta.last_modified),
        "location": location,
        "version": meta.etag,
    }
    if projection is not None and projection.trims:
        out = _project(rt, out, projection)
    return out


def project_relation(rt: ResourceType, projection: Projection, name: str,
                     values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply a projection's sub-attribute selection (`members.value`) to relation values."""
    attr = rt.core.attribute(name)
    if not projection.trims or attr is None:
        return values
    return list(_project_value(projection, rt.core, attr, values))


def _project(rt: ResourceType, full: dict[str, Any], projection: Projection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in full.items():
        if key == "schemas":
            out[key] = value
            continue
        schema = rt.schema_for(key) if key.startswith("urn:") else None
        if schema is not None:
            kept = {k: _project_value(projection, schema, a, v) for k, v in value.items()
                    if (a := schema.attribute(k)) is not None and projection.selects(schema, a)}
            kept = {k: v for k, v in kept.items() if v not in ({}, [])}
            if kept:
                out[key] = kept
            continue
        attr = rt.core.attribute(key) or (rt.common.attribute(key) if rt.common else None)
        if attr is None or not projection.selects(rt.core, attr):
            continue
        projected = _project_value(projection, rt.core, attr, value)
        if projected not in ({}, []):
            out[key] = projected
    out["schemas"] = [s for s in out["schemas"] if s == rt.core.id or s in out]
    return out


def _project_value(projection: Projection, schema: Schema, attr: Attribute, value: Any) -> Any:
    """A complex value (or each value of a multi-valued one) trimmed to the selected
    sub-attributes; elements left empty are dropped."""
    if not attr.is_complex:
        return value

    def trim(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        return {k: v for k, v in item.items()
                if (sub := attr.sub(k)) is not None and projection.selects(schema, attr, sub)}

    if isinstance(value, list):
        return [t for t in (trim(v) for v in value) if t]
    return trim(value)
