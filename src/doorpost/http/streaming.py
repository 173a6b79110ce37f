"""Streamed JSON bodies: list pages and large groups written in chunks.

A response is produced as an iterator of byte chunks (about `CHUNK` bytes each), so the
server holds one page of rows and one batch of members at a time, never the whole body:
a group with 100,000 members costs the same memory as one with 100.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

import orjson

CHUNK = 64 * 1024


def buffered(pieces: Iterable[bytes]) -> Iterator[bytes]:
    """Coalesce small pieces into chunks of about CHUNK bytes."""
    buf: list[bytes] = []
    size = 0
    for piece in pieces:
        buf.append(piece)
        size += len(piece)
        if size >= CHUNK:
            yield b"".join(buf)
            buf, size = [], 0
    if buf:
        yield b"".join(buf)


def with_relation(rendered: dict[str, Any], name: str,
                  batches: Iterator[list[dict[str, Any]]]) -> Iterator[bytes]:
    """A rendered resource with the multi-valued `name` streamed in before `meta`.

    An empty relation is left out, as `render` does for an unassigned attribute.
    """
    non_empty = (b for b in batches if b)
    first = next(non_empty, None)
    if first is None:
        yield orjson.dumps(rendered)
        return
    meta = rendered.get("meta")
    head = {k: v for k, v in rendered.items() if k != "meta"}
    yield orjson.dumps(head)[:-1] + f',"{name}":['.encode()
    yield b",".join(orjson.dumps(v) for v in first)
    for batch in non_empty:
        yield b"," + b",".join(orjson.dumps(v) for v in batch)
    tail = b"]" + (b',"meta":' + orjson.dumps(meta) if meta is not None else b"") + b"}"
    yield tail


def list_body(head: dict[str, Any], resources: Iterable[Iterable[bytes]]) -> Iterator[bytes]:
    """`{...head, "Resources": [r1, r2, …]}` with each resource given as byte pieces."""
    def pieces() -> Iterator[bytes]:
        yield orjson.dumps(head)[:-1] + b',"Resources":['
        for i, resource in enumerate(resources):
            if i:
                yield b","
            yield from resource
        yield b"]}"
    return buffered(pieces())


