"""Outgoing resources (RFC 7643 §3.1, RFC 7644 §3.4.2.5): document + meta → JSON, projected.

`returned` is enforced here and only here: `never` attributes (password) never leave,
`always` attributes (id) survive any projection, `request` attributes need to be asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from doorpost.scim.schema import ResolvedPath, ResourceType, Schema
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
    """`attributes` / `excludedAttributes` of a request, bound to the schema."""

    attributes: tuple[ResolvedPath | Schema, ...] = ()
    excluded: tuple[ResolvedPath | Schema, ...] = ()

    @classmethod
    def parse(cls, rt: ResourceType, attributes: Any, excluded: Any) -> Projection:
        return cls(_bind_list(rt, attributes), _bind_list(rt, excluded))

    def wants(self, rt: ResourceType, name: str) -> bool:
        """Will attribute `name` of the core schema appear? (Lets the store skip relations.)"""
        attr = rt.core.attribute(name)
        if attr is None or attr.returned == "never":
            return False
        if self.attributes:
            return any(isinstance(p, ResolvedPath) and p.attr is attr for p in self.attributes)
        return not any(isinstance(p, ResolvedPath) and p.attr is attr and p.sub is None
                       for p in self.excluded)


def _bind_list(rt: ResourceType, raw: Any) -> tuple[ResolvedPath | Schema, ...]:
    if raw is None or raw == "":
        return ()
    names = raw if isinstance(raw, list) else str(raw).split(",")
    bound: list[ResolvedPath | Schema] = []
    for name in names:
        name = str(name).strip()
        if not name:
            continue
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
    if projection is not None and (projection.attributes or projection.excluded):
        out = _project(rt, out, projection)
    return out


def project_relation(rt: ResourceType, projection: Projection, name: str,
                     values: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Apply a projection's sub-attribute selection (`members.value`) to relation values."""
    if not (projection.attributes or projection.excluded):
        return values
    trimmed = _project_sub(projection, rt.core, name, values)
    return list(trimmed) if isinstance(trimmed, list) else values


def _project(rt: ResourceType, full: dict[str, Any], projection: Projection) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in full.items():
        if key in ("schemas", "id"):
            out[key] = value
            continue
        schema = rt.schema_for(key) if key.startswith("urn:") else None
        if schema is not None:
            kept = {k: v for k, v in value.items()
                    if _keep(rt, projection, schema, k, True)}
            kept = {k: _project_sub(projection, schema, k, v) for k, v in kept.items()}
            if kept:
                out[key] = kept
            continue
        owner = rt.core if rt.core.attribute(key) else rt.common
        if owner is None or not _keep(rt, projection, owner, key, False):
            continue
        out[key] = _project_sub(projection, owner, key, value)
    return out


def _matches(p: ResolvedPath | Schema, schema: Schema, name: str) -> bool:
    if isinstance(p, Schema):
        return p is schema
    owner_ok = p.schema is schema or (schema.id.endswith(":common") and not p.extension)
    return owner_ok and p.attr.name == name


def _keep(rt: ResourceType, projection: Projection, schema: Schema, name: str,
          extension: bool) -> bool:
    attr = schema.attribute(name)
    if attr is None:
        return False
    if attr.returned == "always":
        return True
    if projection.attributes:
        return any(_matches(p, schema, name) for p in projection.attributes)
    if attr.returned == "request":
        return False
    for p in projection.excluded:
        if isinstance(p, Schema) and p is schema and extension:
            return False
        if isinstance(p, ResolvedPath) and _matches(p, schema, name) and p.sub is None:
            return False
    return True


def _project_sub(projection: Projection, schema: Schema, name: str, value: Any) -> Any:
    """Keep only requested / drop excluded sub-attributes of a complex attribute."""
    subs_wanted = {p.sub.name for p in projection.attributes
                   if isinstance(p, ResolvedPath) and _matches(p, schema, name) and p.sub}
    whole = any(isinstance(p, Schema) or (_matches(p, schema, name) and p.sub is None)
                for p in projection.attributes)
    subs_excluded = {p.sub.name for p in projection.excluded
                     if isinstance(p, ResolvedPath) and _matches(p, schema, name) and p.sub}

    def trim(item: Any) -> Any:
        if not isinstance(item, dict):
            return item
        keep = {k: v for k, v in item.items()
                if (whole or not subs_wanted or k in subs_wanted) and k not in subs_excluded}
        return keep

    if not subs_wanted and not subs_excluded:
        return value
    if isinstance(value, list):
        return [t for t in (trim(v) for v in value) if t]
    return trim(value)
