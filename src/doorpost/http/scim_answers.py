"""A SCIM use case's answer (`service/results.py`) as an HTTP response: status, headers
and bytes.

Everything here runs after the use case's transaction has ended. A body of one chunk is
sent whole; a larger one (a list page, a group with many members) streams, and a large
relation's batches each read in their own short transaction as the body is written.
"""

from __future__ import annotations

import itertools
from typing import Any, AsyncIterator, Iterable, Iterator

import orjson
from starlette.responses import Response

from doorpost.http import streaming
from doorpost.http.responses import SCIM_MEDIA_TYPE, scim_response, streamed_response
from doorpost.scim.listing import list_head
from doorpost.scim.render import project_relation, render
from doorpost.service.results import Answer, Page, Related, ResourceView


def answer_response(answer: Answer, base_url: str, *, produce_on_loop: bool) -> Response:
    """`produce_on_loop`: write a streamed body on the event loop's thread (SQLite; see
    `_on_loop`) rather than the thread pool."""
    headers: dict[str, str] = {}
    if answer.etag is not None:
        headers["ETag"] = answer.etag
    body = answer.body
    if body is None:
        return scim_response(answer.status, None, headers)
    if isinstance(body, ResourceView):
        headers["Location"] = f"{base_url}/{body.rt.endpoint}/{body.meta.id}"
        chunks = streaming.buffered(resource_pieces(body, base_url))
    else:
        chunks = page_chunks(body, base_url)
    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    if first is None or second is None:
        return Response(first or b"", status_code=answer.status, headers=headers,
                        media_type=SCIM_MEDIA_TYPE)
    rest = itertools.chain([first, second], chunks)
    return streamed_response(answer.status, _on_loop(rest) if produce_on_loop else rest,
                             headers)


def page_chunks(page: Page, base_url: str) -> Iterator[bytes]:
    head = list_head(page.total, page.start_index, len(page.resources), page.next_cursor,
                     page.previous_cursor)
    return streaming.list_body(head, (resource_pieces(v, base_url) for v in page.resources))


def resource_pieces(view: ResourceView, base_url: str) -> Iterator[bytes]:
    """One resource as JSON pieces: whole, or with a large relation streamed in batch by
    batch (`streaming.with_relation`)."""
    rt, relation = view.rt, view.rt.relation
    if relation is None:
        return iter([orjson.dumps(render(rt, view.doc, view.meta, base_url, None,
                                         view.projection))])

    def entries(rows: list[Related]) -> list[dict[str, Any]]:
        assert relation is not None
        return project_relation(rt, view.projection, relation.name, [
            {"value": id_, "$ref": f"{base_url}/{relation.endpoint}/{id_}",
             "display": display, "type": relation.entry_type} for id_, display in rows])

    batches: Iterable[list[Related]] = view.related
    if not relation.large:
        values = [e for rows in batches for e in entries(rows)]
        return iter([orjson.dumps(render(rt, view.doc, view.meta, base_url,
                                         {relation.name: values}, view.projection))])
    rendered = render(rt, view.doc, view.meta, base_url, {relation.name: []}, view.projection)
    return streaming.with_relation(rendered, relation.name,
                                   (entries(rows) for rows in batches))


async def _on_loop(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Produce a streamed body on the thread that started it (the event loop, for SQLite):
    sqlite3 reads resumed from another thread run about three times slower (measured)."""
    for chunk in chunks:
        yield chunk
