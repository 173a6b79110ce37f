"""Request bodies: media type (RFC 7644 §3.8), size limit, JSON syntax."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from doorpost.scim.errors import InvalidSyntax, PayloadTooLarge, UnsupportedMediaType

ACCEPTED_TYPES = ("application/scim+json", "application/json")


async def read_json(request: Request, max_bytes: int) -> Any:
    """The parsed JSON body; 415 for another media type, 413 past the limit, 400 if malformed."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media_type and media_type not in ACCEPTED_TYPES:
        raise UnsupportedMediaType(f"Send the body as application/scim+json "
                                   f"(or application/json), not '{media_type}'.")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise PayloadTooLarge(f"The request body exceeds the {max_bytes}-byte limit.")
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_bytes:
            raise PayloadTooLarge(f"The request body exceeds the {max_bytes}-byte limit.")
        chunks.append(chunk)
    raw = b"".join(chunks)
    if not raw.strip():
        raise InvalidSyntax("The request needs a JSON body.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntax(f"The body is not valid JSON: {exc}.") from exc
