"""Schemas as data (RFC 7643 §2, §7): attribute definitions compiled once into lookups.

Everything that needs to know about an attribute (validation, PATCH, filters, projection,
discovery) asks these objects, so the server enforces exactly what `/Schemas` advertises.
Attribute names and schema URNs are case-insensitive (RFC 7643 §2.1): every lookup is by
lower-cased key and answers with the canonical spelling.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STRING = "string"
BOOLEAN = "boolean"
DECIMAL = "decimal"
INTEGER = "integer"
DATETIME = "dateTime"
BINARY = "binary"
REFERENCE = "reference"
COMPLEX = "complex"


@dataclass(frozen=True)
class Attribute:
    """One attribute definition (RFC 7643 §7)."""

    name: str
    type: str = STRING
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"  # readOnly | readWrite | immutable | writeOnly
    returned: str = "default"  # always | never | default | request
    uniqueness: str = "none"  # none | server | global
    description: str = ""
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()
    max_length: int | None = None  # characters; set on values the database indexes
    _subs: dict[str, Attribute] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for sub in self.sub_attributes:
            self._subs[sub.name.lower()] = sub

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called `name` (any case), or None."""
        return self._subs.get(name.lower())

    @property
    def is_complex(self) -> bool:
        return self.type == COMPLEX

    @property
    def string_like(self) -> bool:
        """Types compared as strings in filters (RFC 7644 §3.4.2.2)."""
        return self.type in (STRING, REFERENCE, BINARY, DATETIME)

    @property
    def folds(self) -> bool:
        """Compared ignoring case (`text.fold`): strings and references that are not
        caseExact. Binary values and dateTimes are never folded."""
        return self.type in (STRING, REFERENCE) and not self.case_exact

    def to_scim(self) -> dict[str, Any]:
        """The `/Schemas` representation of this attribute."""
        out: dict[str, Any] = {
            "name": self.name,
            "type": self.type,
            "multiValued": self.multi_valued,
            "description": self.description,
            "required": self.required,
            "mutability": self.mutability,
            "returned": self.returned,
        }
        if self.type in (STRING, REFERENCE, BINARY):
            out["caseExact"] = self.case_exact
        if self.type != COMPLEX:
            out["uniqueness"] = self.uniqueness
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        if self.sub_attributes:
            out["subAttributes"] = [s.to_scim() for s in self.sub_attributes]
        return out


@dataclass(frozen=True)
class Schema:
    """A schema: a URN and its attributes."""

    id: str
    name: str
    description: str
    attributes: tuple[Attribute, ...]
    _attrs: dict[str, Attribute] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for attr in self.attributes:
            self._attrs[attr.name.lower()] = attr

    def attribute(self, name: str) -> Attribute | None:
        """The attribute called `name` (any case), or None."""
        return self._attrs.get(name.lower())

    def to_scim(self, base_url: str) -> dict[str, Any]:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Schema"],
            "id": self.id,
            "name": self.name,
            "description": self.description,
            "attributes": [a.to_scim() for a in self.attributes],
            "meta": {"resourceType": "Schema", "location": f"{base_url}/Schemas/{self.id}"},
        }


@dataclass(frozen=True, repr=False)
class ResolvedPath:
    """An attribute path bound to the schema: `urn:…:attr.sub`, with its definitions.

    `schema` is the URN the attribute belongs to; `extension` tells whether the attribute
    lives under the extension's URN key in the resource document.
    """

    schema: Schema
    extension: bool
    attr: Attribute
    sub: Attribute | None = None

    def __repr__(self) -> str:
        return f"ResolvedPath({self.dotted!r})"

    @property
    def target(self) -> Attribute:
        """The attribute the path finally selects (the sub-attribute when there is one)."""
        return self.sub or self.attr

    @property
    def dotted(self) -> str:
        base = self.attr.name + (f".{self.sub.name}" if self.sub else "")
        return f"{self.schema.id}:{base}" if self.extension else base


@dataclass(frozen=True)
class Relation:
    """A multi-valued attribute whose values are the membership rows that join two resource
    types (a group's `members`, a user's `groups`): it is never stored in the document, and
    renders each row as `{value, $ref, display, type}`."""

    name: str  # `members`, `groups`
    endpoint: str  # where a value's `$ref` points: `Users`, `Groups`
    entry_type: str  # each value's `type`: `User`; `direct` (RFC 7643 §4.1.2)
    writable: bool  # clients write it (members); else the other side's writes derive it
    large: bool = False  # may hold 100,000 values: read in batches, never whole


@dataclass(frozen=True, eq=False)
class ResourceType:
    """A resource type (RFC 7643 §6): a core schema plus extensions, at an endpoint."""

    name: str
    endpoint: str
    description: str
    core: Schema
    extensions: tuple[Schema, ...] = ()
    common: Schema | None = None
    # What differs between resource types is data, read by the one code path that uses it:
    relation: Relation | None = None  # the attribute kept as membership rows, not in the document
    unique: str = ""  # the attribute unique per organization (`uniqueness: server`)
    defaults: tuple[tuple[str, Any], ...] = ()  # assigned at creation when the client did not
    kept_on_put: tuple[str, ...] = ()  # kept when a PUT omits them (RFC 7644 §3.5.1)
    _by_urn: dict[str, Schema] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_urn[self.core.id.lower()] = self.core
        for ext in self.extensions:
            self._by_urn[ext.id.lower()] = ext

    @property
    def written_relation(self) -> str | None:
        """The relation clients write as a delta of rows (`members`), if this type has one."""
        return self.relation.name if self.relation is not None and self.relation.writable \
            else None

    def is_relation(self, name: str) -> bool:
        """Is `name` (any case) this type's relation, whose values live in membership rows?"""
        return self.relation is not None and name.lower() == self.relation.name.lower()

    def schema_for(self, urn: str) -> Schema | None:
        """The core or extension schema with this URN (any case), or None."""
        return self._by_urn.get(urn.lower())

    def is_extension(self, schema: Schema) -> bool:
        return schema is not self.core

    def split_urn(self, text: str) -> tuple[Schema | None, str]:
        """Split `urn:…:attr[.sub]` at the schema URN we know (the last colon, RFC 7644 §3.10).

        Returns (schema, rest); schema is None when `text` does not start with a known URN.
        A URN contains dots (`…:2.0:User`), so it must be matched whole, never split at `.`.
        """
        lowered = text.lower()
        for urn, schema in self._by_urn.items():
            if lowered.startswith(urn + ":"):
                return schema, text[len(urn) + 1 :]
        return None, text

    def resolve(self, text: str) -> ResolvedPath | None:
        """Bind `[urn:]attr[.sub]` to its definitions; None if unknown."""
        schema: Schema | None
        schema, rest = self.split_urn(text) if text.lower().startswith("urn:") else (None, text)
        if text.lower().startswith("urn:") and schema is None:
            return None
        name, _, sub_name = rest.partition(".")
        candidates = [schema] if schema else [self.core]
        if self.common is not None and schema in (None, self.core):
            candidates.append(self.common)
        for cand in candidates:
            attr = cand.attribute(name)
            if attr is None:
                continue
            sub = None
            if sub_name:
                sub = attr.sub(sub_name)
                if sub is None:
                    return None
            owner = self.core if cand is self.common else cand
            return ResolvedPath(owner, self.is_extension(owner), attr, sub)
        return None

    def to_scim(self, base_url: str) -> dict[str, Any]:
        return {
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"],
            "id": self.name,
            "name": self.name,
            "endpoint": f"/{self.endpoint}",
            "description": self.description,
            "schema": self.core.id,
            "schemaExtensions": [{"schema": e.id, "required": False} for e in self.extensions],
            "meta": {
                "resourceType": "ResourceType",
                "location": f"{base_url}/ResourceTypes/{self.name}",
            },
        }
