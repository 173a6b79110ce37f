"""List and search requests (RFC 7644 §3.4.2, §3.4.3): query parameters → `ListQuery`.

GET query strings and POST `/.search` bodies produce the same `ListQuery`, so both paths
filter, sort, page and project identically.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping

from doorpost.scim.errors import InvalidSyntax, InvalidValue
from doorpost.scim.filter import Filter, parse_filter
from doorpost.scim.render import Projection
from doorpost.scim.schema import ResolvedPath, ResourceType

LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_REQUEST = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
SEARCH_FIELDS = {"schemas", "filter", "startindex", "count", "sortby", "sortorder",
                 "attributes", "excludedattributes", "cursor"}


@dataclass(frozen=True)
class ListQuery:
    filter: Filter | None
    start_index: int
    count: int
    sort_by: ResolvedPath | None
    descending: bool
    projection: Projection
    cursor: str | None = None  # RFC 9865: "" asks for the first page of a cursor walk
    filter_text: str | None = None


# The largest startIndex honoured as given: beyond it every page is empty anyway, and the
# offset still fits the databases' 64-bit integers.
MAX_START_INDEX = 2**53
_INTEGER = re.compile(r"[+-]?[0-9]{1,30}")


def _int(raw: Any, name: str) -> int:
    """A decimal integer (ASCII digits, optional sign), as JSON or query text."""
    if isinstance(raw, bool) or (not isinstance(raw, (int, str))):
        raise InvalidValue(f"'{name}' must be an integer.")
    if isinstance(raw, int):
        return raw
    text = raw.strip()
    if not _INTEGER.fullmatch(text):
        raise InvalidValue(f"'{name}' must be an integer.")
    return int(text)


def _sort_path(rt: ResourceType, raw: Any) -> ResolvedPath:
    """`sortBy` bound to the schema (RFC 7644 §3.4.2.3): a single-valued attribute, a
    sub-attribute, or a multi-valued attribute (sorted by its primary, else first, value)."""
    if not isinstance(raw, str):
        raise InvalidValue("'sortBy' must be an attribute name.")
    path = rt.resolve(raw.strip())
    if path is None:
        raise InvalidValue(f"Cannot sort by unknown attribute '{raw}'.")
    if path.target.returned == "never" or (not path.extension and rt.is_relation(path.attr.name)):
        raise InvalidValue(f"Cannot sort by '{path.dotted}'.")
    if path.target.is_complex and not (path.attr.multi_valued and path.attr.sub("value")):
        raise InvalidValue(f"Cannot sort by '{path.dotted}': name a sub-attribute, e.g. "
                           f"{path.attr.name}.{path.attr.sub_attributes[0].name}.")
    return path


def parse_list_query(params: Mapping[str, Any], rt: ResourceType, *, default_count: int,
                     max_count: int) -> ListQuery:
    """Read list parameters (names ignore case); RFC 7644 §3.4.2.4 clamps start and count."""
    p = {k.lower(): v for k, v in params.items()}
    text = p.get("filter")
    filter_ = None
    if text is not None:
        if not isinstance(text, str):
            raise InvalidValue("'filter' must be a string.")
        filter_ = parse_filter(text, rt)
    start = _int(p["startindex"], "startIndex") if p.get("startindex") not in (None, "") else 1
    start = min(max(1, start), MAX_START_INDEX)
    count = _int(p["count"], "count") if p.get("count") not in (None, "") else default_count
    count = min(max(0, count), max_count)
    sort_by = _sort_path(rt, p["sortby"]) if p.get("sortby") not in (None, "") else None
    order = p.get("sortorder") or "ascending"
    order = order.lower() if isinstance(order, str) else order
    if order not in ("ascending", "descending"):
        raise InvalidValue("'sortOrder' must be 'ascending' or 'descending'.")
    projection = Projection.parse(rt, p.get("attributes"), p.get("excludedattributes"))
    cursor = p.get("cursor")
    if cursor is not None:
        if not isinstance(cursor, str):
            raise InvalidValue("'cursor' must be a string.")
        if p.get("startindex") not in (None, ""):
            raise InvalidValue("Use either 'cursor' or 'startIndex', not both (RFC 9865).")
        if sort_by is not None:
            raise InvalidValue("Cursor pages follow the server's stable order; 'sortBy' works "
                               "with index paging (startIndex) only.")
    return ListQuery(filter_, start, count, sort_by, order == "descending", projection,
                     cursor, text)


def parse_search_body(body: Any) -> dict[str, Any]:
    """Validate a SearchRequest body (RFC 7644 §3.4.3) and return its parameters."""
    if not isinstance(body, dict):
        raise InvalidSyntax("A search body must be a SearchRequest JSON object.")
    lowered = {k.lower(): v for k, v in body.items()}
    schemas = lowered.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_REQUEST.lower() not in
                                {s.lower() for s in schemas if isinstance(s, str)}):
        raise InvalidValue(f"A search body must list '{SEARCH_REQUEST}' in 'schemas'.")
    unknown = set(lowered) - SEARCH_FIELDS
    if unknown:
        raise InvalidValue(f"Unknown SearchRequest member(s): {', '.join(sorted(unknown))}.")
    return lowered


def list_response(resources: list[dict[str, Any]], total: int | None, start: int | None,
                  next_cursor: str | None = None, previous_cursor: str | None = None
                  ) -> dict[str, Any]:
    """A ListResponse; with cursors (RFC 9865) it carries next/previousCursor, no startIndex."""
    out = list_head(total, start, len(resources), next_cursor, previous_cursor)
    out["Resources"] = resources
    return out


def list_head(total: int | None, start: int | None, items: int,
              next_cursor: str | None = None, previous_cursor: str | None = None
              ) -> dict[str, Any]:
    """Everything of a ListResponse but `Resources` (which may be streamed after it).
    `total` is None for cursor pages, which omit totalResults (RFC 9865)."""
    out: dict[str, Any] = {"schemas": [LIST_RESPONSE]}
    if total is not None:
        out["totalResults"] = total
    if start is not None:
        out["startIndex"] = start
    out["itemsPerPage"] = items
    if next_cursor:
        out["nextCursor"] = next_cursor
    if previous_cursor:
        out["previousCursor"] = previous_cursor
    return out
