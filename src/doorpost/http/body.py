"""Request bodies: media type (RFC 7644 §3.8), size limit, JSON syntax."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.requests import Request

from doorpost.scim.errors import (
    InvalidSyntax,
    PayloadTooLarge,
    ScimError,
    UnsupportedMediaType,
)

ACCEPTED_TYPES = ("application/scim+json", "application/json")


class Body:
    """A request body read off the wire, checked only once the caller is authenticated:
    an unauthenticated request gets its 401 whatever it sent."""

    def __init__(self, raw: bytes | None, error: ScimError | None) -> None:
        self.raw = raw
        self.error = error

    def json(self) -> Any:
        if self.error is not None:
            raise self.error
        return parse_json(self.raw or b"")


async def read_body(request: Request, max_bytes: int) -> Body:
    try:
        return Body(await _read(request, max_bytes), None)
    except ScimError as exc:
        return Body(None, exc)


def parse_json(raw: bytes) -> Any:
    if not raw.strip():
        raise InvalidSyntax("The request needs a JSON body.")
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise InvalidSyntax(f"The body is not valid JSON: {exc}.") from exc


async def _read(request: Request, max_bytes: int) -> bytes:
    """The raw body; 415 for another media type, 413 past the limit."""
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
    return b"".join(chunks)
