"""Attribute values: parsing and formatting of RFC 7643 §2.3 data types."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime, timezone


def parse_datetime(text: str) -> datetime | None:
    """Parse an xsd:dateTime (RFC 3339 profile); naive values are taken as UTC."""
    candidate = text.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(candidate)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed


def format_datetime(value: datetime) -> str:
    """UTC, millisecond precision, `Z` suffix: sorts lexically in time order."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + \
        f"{value.astimezone(timezone.utc).microsecond // 1000:03d}Z"


def is_base64(text: str) -> bool:
    try:
        base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True
