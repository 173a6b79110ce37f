"""Attribute values: parsing, formatting and comparing RFC 7643 §2.3 data types.

`comparable` is the one rule for "equal" and "ordered" values of an attribute: the filter
evaluator, "the same value" in multi-valued attributes and the folded document the database
filters on all use it, so the API, PATCH and SQL cannot disagree about what matches.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from doorpost.scim.schema import DATETIME, DECIMAL, INTEGER, Attribute
from doorpost.scim.text import fold

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_US = timedelta(microseconds=1)


def parse_datetime(text: str) -> datetime | None:
    """Parse an xsd:dateTime (RFC 3339 profile); naive values are taken as UTC. More than
    six fractional digits are cut to microseconds, the precision Doorpost stores."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    dot = candidate.find(".")
    if dot > 0:
        end = dot + 1
        while end < len(candidate) and candidate[end].isascii() and candidate[end].isdigit():
            end += 1
        if end - dot - 1 > 6:
            candidate = candidate[:dot + 7] + candidate[end:]
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def format_datetime(value: datetime) -> str:
    """UTC at the precision Doorpost stores (microseconds), `Z` suffix: a rendered time parses
    back to exactly the stored instant, so `meta.lastModified gt "<rendered>"` excludes it."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def instant_us(value: datetime) -> int:
    """Microseconds since the epoch, exactly (no float rounding)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return (value - EPOCH) // _US


def from_us(us: int) -> datetime:
    """The UTC datetime of `instant_us`, exactly."""
    return EPOCH + timedelta(microseconds=us)


def is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def comparable(attr: Attribute, value: Any) -> Any:
    """The form in which values of `attr` are compared: folded text for case-insensitive
    strings (`text.fold`), exact text otherwise, instants (microseconds) for dateTimes,
    Decimals for numbers; None for unassigned or unreadable values."""
    if value is None:
        return None
    if attr.type == DATETIME:
        parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
        return instant_us(parsed) if parsed is not None else None
    if attr.type in (INTEGER, DECIMAL):
        if isinstance(value, bool):
            return None
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    if attr.string_like:
        return fold(str(value)) if attr.folds else str(value)
    return value


def folded_document(doc: dict[str, Any], rt: Any) -> dict[str, Any]:
    """The document as the database compares it: every case-insensitive string folded,
    every other value as it is, `returned: never` values (password digests) left out.
    Stored beside the document, so SQL filters on both databases compare folded text with
    folded literals and never depend on the database's own idea of case."""
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if key.startswith("urn:"):
            schema = rt.schema_for(key)
            if schema is not None and isinstance(value, dict):
                out[key] = {k: _folded(a, v) for k, v in value.items()
                            if (a := schema.attribute(k)) is not None and a.returned != "never"}
            continue
        attr = rt.core.attribute(key) or (rt.common.attribute(key) if rt.common else None)
        if attr is not None and attr.returned != "never":
            out[key] = _folded(attr, value)
    return out


def _folded(attr: Attribute, value: Any) -> Any:
    if isinstance(value, list):
        return [_folded(attr, v) for v in value]
    if isinstance(value, dict):
        return {k: _folded(sub, v) if (sub := attr.sub(k)) is not None else v
                for k, v in value.items()}
    if isinstance(value, str) and attr.folds:
        return fold(value)
    return value
