"""Filter AST → SQL WHERE clause (RFC 7644 §3.4.2.2), executed by the database.

Attributes Doorpost looks up often are real, indexed columns (`userName` via a lower-cased
column, `externalId`, `id`, `active`, `meta.created`, group `displayName`); `emails` is a
side table with an index on the lower-cased address; `groups` / `members` are membership
rows. Every other attribute is read from the JSON document, so any attribute in the schema
can be filtered on. Comparisons on a multi-valued attribute match when any value matches;
a value path (`emails[type eq "work" and value co "@x"]`) requires one element to match
all of its conditions.

Values are always bound parameters; `LIKE` wildcards in values are escaped.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Callable

from sqlalchemy import (
    Column,
    ColumnElement,
    Float,
    Table,
    and_,
    cast,
    not_,
    or_,
    select,
    true,
)

from doorpost.scim.filter import And, Compare, Filter, Not, Or, Present, ValuePath
from doorpost.scim.text import fold
from doorpost.scim.values import instant_us
from doorpost.scim.schema import BOOLEAN, DATETIME, DECIMAL, INTEGER, ResolvedPath, ResourceType
from doorpost.store import tables as t
from doorpost.store.errors import Unfilterable, Unsortable
from doorpost.store.storage import storage
from doorpost.store.json_sql import JsonSql


def text_collation(backend: str) -> str | None:
    """The collation that orders text by code point, as Python and SQLite's BINARY do."""
    return "C" if backend == "postgresql" else None


def to_us(value: datetime) -> int:
    return instant_us(value)


@dataclass
class Operand:
    """Something a comparison can be made on, and how to compare it."""

    expr: ColumnElement[Any]
    kind: str  # text (exact) | text_ci (stored folded) | bool | number | time_us
    bool_is: Callable[[bool], ColumnElement[bool]] | None = None


def _like_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def compare(operand: Operand, op: str, value: Any, collation: str | None = None
            ) -> ColumnElement[bool]:
    """`operand op value` with SCIM semantics (caseExact through folding, types, `ne`
    including unassigned), the same as the in-memory `filter.matches`.

    Always two-valued: a comparison with an unassigned attribute is false, never SQL NULL,
    so `not (nickName sw "h")` includes users without a nickName, as RFC 7644 means.
    `collation` orders text by code point on PostgreSQL ("C"), as SQLite and Python do.
    """
    if op == "ne":
        return or_(operand.expr.is_(None), not_(_compare(operand, "eq", value, collation)))
    return and_(operand.expr.is_not(None), _compare(operand, op, value, collation))


def _compare(operand: Operand, op: str, value: Any, collation: str | None
             ) -> ColumnElement[bool]:
    expr = operand.expr
    if operand.kind == "bool":
        if operand.bool_is is not None:
            return operand.bool_is(bool(value))
        boolean: ColumnElement[bool] = expr == value
        return boolean
    if operand.kind == "time_us":
        value = to_us(value)
    elif operand.kind == "number":
        value = float(value) if isinstance(value, Decimal) else value
    elif operand.kind == "text_ci":
        value = fold(str(value))
    if op == "eq":
        equal: ColumnElement[bool] = expr == value
        return equal
    if op in ("co", "sw", "ew"):
        pattern = _like_escape(str(value))
        pattern = {"co": f"%{pattern}%", "sw": f"{pattern}%", "ew": f"%{pattern}"}[op]
        return expr.like(pattern, escape="\\")
    if collation is not None and operand.kind in ("text", "text_ci"):
        expr = expr.collate(collation)
    ordered: ColumnElement[bool] = {"gt": expr > value, "ge": expr >= value,
                                    "lt": expr < value, "le": expr <= value}[op]
    return ordered


class FilterSql:
    """Translates filters for one resource type on one backend."""

    def __init__(self, rt: ResourceType, backend: str, org_id: int) -> None:
        self.rt = rt
        self.json = JsonSql(backend)
        self.org_id = org_id
        self.kept = storage(rt)
        self.table: Table = self.kept.table
        # Text ordered by code point on both databases (SQLite's BINARY already is).
        self.collation = text_collation(backend)
        self.doc = self.table.c.doc_ci  # every JSON read: case-insensitive text is folded

    # -- entry -------------------------------------------------------------------------
    def where(self, node: Filter) -> ColumnElement[bool]:
        if isinstance(node, And):
            return and_(*(self.where(i) for i in node.items))
        if isinstance(node, Or):
            return or_(*(self.where(i) for i in node.items))
        if isinstance(node, Not):
            return not_(self.where(node.item))
        if isinstance(node, ValuePath):
            return self.value_path(node.path, node.filter)
        path = node.path
        if isinstance(node, Present) and path.sub is None and path.attr.is_complex:
            return self.complex_present(path)
        if path.attr.multi_valued:
            if isinstance(node, Compare) and node.op == "ne":
                # `emails.value ne "x"` is `not (emails.value eq "x")` (RFC 7644 §3.4.2.2:
                # a multi-valued comparison matches when any value does).
                return not_(self.value_path(path, Compare(path, "eq", node.value)))
            return self.value_path(path, node)
        operand = self.operand(path)
        if isinstance(node, Present):
            return self.present(operand)
        return compare(operand, node.op, node.value, self.collation)

    def complex_present(self, path: ResolvedPath) -> ColumnElement[bool]:
        """`name pr`, `emails pr`: some part of the complex attribute has a value (empty
        objects and lists are never stored, so presence of the key is enough)."""
        if path.attr.multi_valued:
            return self.value_path(path, None)
        if path.attr.mutability == "readOnly":
            return true()  # `meta`: the server assigns it to every resource
        return self.json.text(self.doc, self.keys(path)).is_not(None)

    def selective(self, node: Filter) -> bool:
        """Does an index narrow this filter to a handful of rows (an identity provider's
        lookup)? Then the WHERE clause must drive the plan, not the list order."""
        if isinstance(node, And):
            return any(self.selective(i) for i in node.items)
        if isinstance(node, Or):
            return all(self.selective(i) for i in node.items)
        if isinstance(node, ValuePath):
            return self.selective(node.filter) if f"{node.path.attr.name.lower()}.value" \
                in self.selective_paths else False
        if not isinstance(node, Compare) or node.op != "eq":
            return False
        return node.path.dotted.lower() in self.selective_paths

    @functools.cached_property
    def selective_paths(self) -> frozenset[str]:
        """The lower-cased paths an `eq` on which an index answers."""
        side = self.kept.side
        relation = self.rt.relation
        return frozenset({"id", "externalid", self.rt.unique.lower(),
                          *([f"{side.attr}.value"] if side else []),
                          *([f"{relation.name}.value"] if relation else [])})

    def column_eq(self, node: Filter) -> tuple[str, str] | None:
        """For `attr eq "text"` on a column of the resource's own row (an identity
        provider's lookup: userName, externalId, id, displayName): that column's name and
        the value as the column holds it (folded where the column is); else None. The
        same operand and value `where` would compare, so both read the same rows."""
        if not isinstance(node, Compare) or node.op != "eq" or not isinstance(node.value, str) \
                or node.path.attr.multi_valued:
            return None
        try:
            operand = self.operand(node.path)
        except Unfilterable:
            return None
        column = operand.expr
        if operand.kind not in ("text", "text_ci") or not isinstance(column, Column) \
                or column.table is not self.table:
            return None
        return column.name, fold(node.value) if operand.kind == "text_ci" else node.value

    # -- single-valued attributes ------------------------------------------------------
    def operand(self, path: ResolvedPath) -> Operand:
        c = self.table.c
        name = path.dotted.lower()
        columns: dict[str, Operand] = {
            "id": Operand(c.id, "text"),
            "externalid": Operand(c.external_id, "text"),
            "meta.created": Operand(c.created_us, "time_us"),
            "meta.lastmodified": Operand(c.modified_us, "time_us"),
        }
        columns.update({attr: Operand(c[column], kind)
                        for attr, (column, kind) in self.kept.indexed.items()})
        if name in columns:
            return columns[name]
        if name.startswith("meta."):
            raise Unfilterable(f"'{path.dotted}' cannot be used in a filter.")
        keys = self.keys(path)
        return self.json_operand(self.doc, keys, path)

    def json_operand(self, doc: Any, keys: tuple[str, ...], path: ResolvedPath) -> Operand:
        attr = path.target
        if attr.type == BOOLEAN:
            return Operand(self.json.text(doc, keys), "bool",
                           bool_is=lambda v: self.json.boolean_is(doc, keys, v))
        if attr.type in (INTEGER, DECIMAL):
            return Operand(self.json.number(doc, keys), "number")
        if attr.type == DATETIME:
            raise Unfilterable(f"'{path.dotted}' cannot be used in a filter.")
        return Operand(self.json.text(doc, keys), "text_ci" if attr.folds else "text")

    @staticmethod
    def keys(path: ResolvedPath) -> tuple[str, ...]:
        keys: tuple[str, ...] = (path.attr.name,)
        if path.extension:
            keys = (path.schema.id, *keys)
        if path.sub is not None:
            keys = (*keys, path.sub.name)
        return keys

    # -- multi-valued attributes ---------------------------------------------------------
    def value_path(self, path: ResolvedPath, inner: Filter | None) -> ColumnElement[bool]:
        """EXISTS one value of `path.attr` for which `inner` (bound to the element) holds;
        `inner` None: any value at all."""
        attr = path.attr.name
        subs = _subs_used(inner) if inner is not None else set()
        c = self.table.c
        # Relations are searched from their own index and joined back by id (`id IN (…)`),
        # so `emails.value eq` or `members[value eq]` never scans the resource table.
        side = self.kept.side
        if side is not None and attr == side.attr and subs and subs <= set(side.fields):
            fields = {name: Operand(column, "text_ci") for name, column in side.fields.items()}
            assert inner is not None
            cond = self.element_where(inner, lambda s: fields[s])
            return c.id.in_(select(side.owner).where(side.table.c.org_id == self.org_id, cond))
        if self.rt.is_relation(attr):
            m = t.memberships.c
            own, other = self.kept.own, self.kept.other
            if not subs <= {"value"}:
                raise Unfilterable(f"Only '{attr}.value' can be used in a filter.")
            cond = self.element_where(inner, lambda s: Operand(other, "text")) \
                if inner is not None else m.org_id == self.org_id
            return c.id.in_(select(own).where(m.org_id == self.org_id, cond))
        keys = self.keys(ResolvedPath(path.schema, path.extension, path.attr))
        if inner is None:
            return self.json.exists_element(self.doc, keys, None)

        def condition(element: Any) -> ColumnElement[bool]:
            def field(sub_name: str) -> Operand:
                sub = path.attr.sub(sub_name)
                assert sub is not None
                sub_path = ResolvedPath(path.schema, path.extension, path.attr, sub)
                return self.json_operand(element, (sub.name,), sub_path)
            assert inner is not None
            return self.element_where(inner, field)

        return self.json.exists_element(self.doc, keys, condition)

    def element_where(self, node: Filter, field: Callable[[str], Operand]) -> ColumnElement[bool]:
        if isinstance(node, And):
            return and_(*(self.element_where(i, field) for i in node.items))
        if isinstance(node, Or):
            return or_(*(self.element_where(i, field) for i in node.items))
        if isinstance(node, Not):
            return not_(self.element_where(node.item, field))
        if isinstance(node, ValuePath):
            raise Unfilterable("Value paths cannot be nested.")
        sub = node.path.sub.name if node.path.sub else "value"
        operand = field(sub)
        if isinstance(node, Present):
            return self.present(operand)
        return compare(operand, node.op, node.value, self.collation)

    # -- ordering ----------------------------------------------------------------------
    def sort_key(self, path: ResolvedPath) -> ColumnElement[Any]:
        """What `sortBy` orders by (RFC 7644 §3.4.2.3; `listing` has checked that the path
        can be sorted by): the attribute's value, compared as filters compare it (folded
        unless caseExact, by code point); for a multi-valued attribute the primary value's,
        or else the first's."""
        if path.attr.multi_valued:
            sub = path.sub or path.attr.sub("value")
            assert sub is not None
            keys = self.keys(ResolvedPath(path.schema, path.extension, path.attr))
            key = self.json.first_element_text(self.doc, keys, sub.name)
            if sub.type in (INTEGER, DECIMAL):
                key = cast(key, Float)
            return key.collate(self.collation) if self.collation and sub.string_like else key
        try:
            operand = self.operand(path)
        except Unfilterable as exc:  # meta.location, meta.version: nothing to order by
            raise Unsortable(f"Cannot sort by '{path.dotted}'.") from exc
        if operand.kind in ("text", "text_ci") and self.collation:
            return operand.expr.collate(self.collation)
        return operand.expr

    @staticmethod
    def present(operand: Operand) -> ColumnElement[bool]:
        if operand.kind in ("text", "text_ci"):
            return and_(operand.expr.is_not(None), operand.expr != "")
        return operand.expr.is_not(None)


def _subs_used(node: Filter) -> set[str]:
    if isinstance(node, (And, Or)):
        out: set[str] = set()
        for i in node.items:
            out |= _subs_used(i)
        return out
    if isinstance(node, Not):
        return _subs_used(node.item)
    if isinstance(node, ValuePath):
        return {"<nested>"}
    return {node.path.sub.name if node.path.sub else "value"}


__all__ = ["FilterSql", "Operand", "compare", "text_collation", "to_us"]
