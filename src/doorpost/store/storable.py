"""Text both databases can store: no NUL (PostgreSQL refuses it in text and JSONB) and no
lone surrogate (not UTF-8). Anything a client sent that is kept verbatim, such as the audit
trail's paths, error details and diffs, goes through `storable` first, so one hostile
request can never make a batch of other people's records fail."""

from __future__ import annotations

from typing import Any

REPLACEMENT = "\ufffd"


def storable(value: Any) -> Any:
    """`value` (str, or JSON made of dicts, lists and scalars) with unstorable characters
    replaced by U+FFFD; everything else unchanged."""
    if isinstance(value, str):
        if value.isascii():
            return value.replace("\x00", REPLACEMENT) if "\x00" in value else value
        cleaned = value.encode("utf-8", "surrogatepass").decode("utf-8", "replace")
        return cleaned.replace("\x00", REPLACEMENT)
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [storable(v) for v in value]
    return value
