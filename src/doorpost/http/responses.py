"""SCIM responses: `application/scim+json`, serialized with orjson; errors rendered here only."""

from __future__ import annotations

from typing import Any, AsyncIterator, Iterator, Mapping

import orjson
from starlette.responses import Response, StreamingResponse

from doorpost.scim.errors import ScimError

SCIM_MEDIA_TYPE = "application/scim+json"


def scim_response(status: int, body: Any = None, headers: Mapping[str, str] | None = None
                  ) -> Response:
    content = b"" if body is None else orjson.dumps(body)
    return Response(content, status_code=status, headers=dict(headers or {}),
                    media_type=SCIM_MEDIA_TYPE if body is not None else None)


def streamed_response(status: int, chunks: Iterator[bytes] | AsyncIterator[bytes],
                      headers: Mapping[str, str] | None = None) -> StreamingResponse:
    """A body written chunk by chunk (list pages, large groups): never held whole."""
    return StreamingResponse(chunks, status_code=status, headers=dict(headers or {}),
                             media_type=SCIM_MEDIA_TYPE)


def error_response(error: ScimError) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="doorpost"'} if error.status == 401 else {}
    if error.retry_after_s is not None:
        headers["Retry-After"] = str(error.retry_after_s)
    return scim_response(error.status, error.to_body(), headers)
