"""JSON access in SQL, per database: one scalar inside a document, or the elements of an array.

The only place that knows SQLite's `json_extract`/`json_each` from PostgreSQL's `#>>` and
`jsonb_array_elements`. Booleans come back as 1/0 from SQLite and 'true'/'false' text from
PostgreSQL; `boolean_is` hides that.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Text, cast, column, func, literal, select, true
from sqlalchemy.dialects.postgresql import ARRAY, JSONB


def _sqlite_path(keys: tuple[str, ...]) -> str:
    return "$" + "".join('."' + k.replace('"', '\\"') + '"' for k in keys)


class JsonSql:
    """Builds JSON expressions for one backend (`sqlite` or `postgresql`)."""

    def __init__(self, backend: str) -> None:
        self.backend = backend

    def text(self, doc: Any, keys: tuple[str, ...]) -> ColumnElement[Any]:
        """The value at `keys` as text (NULL when absent)."""
        if self.backend == "sqlite":
            return func.json_extract(doc, _sqlite_path(keys))
        extracted: ColumnElement[Any] = doc.op("#>>", return_type=Text)(_pg_path(keys))
        return extracted

    def number(self, doc: Any, keys: tuple[str, ...]) -> ColumnElement[Any]:
        from sqlalchemy import Float, cast
        return cast(self.text(doc, keys), Float)

    def boolean_is(self, doc: Any, keys: tuple[str, ...], value: bool) -> ColumnElement[bool]:
        raw = self.text(doc, keys)
        if self.backend == "sqlite":
            return raw == (1 if value else 0)
        return raw == ("true" if value else "false")

    def elements(self, doc: Any, keys: tuple[str, ...]) -> tuple[FromClause, ColumnElement[Any]]:
        """A FROM of the array's elements and the column holding one element."""
        if self.backend == "sqlite":
            each = func.json_each(doc, _sqlite_path(keys)).table_valued("value").alias("e")
            return each, each.c.value
        arr = doc.op("#>", return_type=JSONB)(_pg_path(keys))
        each = func.jsonb_array_elements(arr).table_valued(column("value", JSONB)).alias("e")
        return each, each.c.value

    def first_element_text(self, doc: Any, keys: tuple[str, ...], sub: str
                           ) -> ColumnElement[Any]:
        """`sub` of the array's primary element, or else of its first (RFC 7644 §3.4.2.3's
        sort value of a multi-valued attribute), as text; NULL when there is none."""
        if self.backend == "sqlite":
            each = func.json_each(doc, _sqlite_path(keys)).table_valued(
                "value", "key").alias("e")
            primary: ColumnElement[Any] = func.coalesce(
                func.json_extract(each.c.value, "$.primary") == 1, False)
            order = [primary.desc(), each.c.key]
            value: ColumnElement[Any] = func.json_extract(each.c.value, _sqlite_path((sub,)))
        else:
            arr = doc.op("#>", return_type=JSONB)(_pg_path(keys))
            each = func.jsonb_array_elements(arr).table_valued(
                column("value", JSONB), with_ordinality="n").render_derived().alias("e")
            primary = func.coalesce(
                each.c.value.op("->>", return_type=Text)("primary") == "true", False)
            order = [primary.desc(), each.c.n]
            value = each.c.value.op("->>", return_type=Text)(sub)
        return select(value).select_from(each).order_by(*order).limit(1).scalar_subquery()

    def exists_element(self, doc: Any, keys: tuple[str, ...],
                       condition: Any) -> ColumnElement[bool]:
        """EXISTS an element of the array at `keys` for which `condition(element)` holds."""
        from_, element = self.elements(doc, keys)
        where = condition(element) if condition is not None else true()
        return select(literal(1)).select_from(from_).where(where).exists()


def _pg_path(keys: tuple[str, ...]) -> ColumnElement[Any]:
    return cast(literal("{" + ",".join(_pg_key(k) for k in keys) + "}"), ARRAY(Text))


def _pg_key(key: str) -> str:
    return '"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'
