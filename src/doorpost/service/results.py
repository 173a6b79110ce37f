"""What SCIM use cases answer: domain results, which `http/` renders into status, headers
and bytes.

A use case reads and writes in short transactions and returns one of these after its
transaction has ended. The only thing still to be read is a large relation (a group's
`members`), given as batches that each read in a short transaction of their own when the
body is written, so no connection is held while a client reads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable

from doorpost.scim.notes import Note
from doorpost.scim.render import Meta, Projection
from doorpost.scim.schema import ResourceType

# One related resource as the relation shows it: (id, display).
Related = tuple[str, str]


@dataclass
class ResourceView:
    """A resource as answered: document, meta, the projection asked for, and its relation
    (`groups`, `members`) as batches of (id, display), in the relation's order."""

    rt: ResourceType
    doc: dict[str, Any]
    meta: Meta
    projection: Projection
    related: Iterable[list[Related]] = ()


@dataclass
class Page:
    """A list response (RFC 7644 §3.4.2): the resources of this page, and where it is.
    `total` and `start_index` are None on a cursor page (RFC 9865 lets it omit them)."""

    resources: list[ResourceView]
    total: int | None
    start_index: int | None
    next_cursor: str | None = None
    previous_cursor: str | None = None


@dataclass
class Answer:
    """A use case's answer: status, the resource or page to show (None: no body), the
    version for `ETag`, and for the activity log what it touched and normalized."""

    status: int
    body: ResourceView | Page | None = None
    etag: str | None = None
    resource_id: str | None = None
    notes: list[Note] = field(default_factory=list)
    changes: dict[str, Any] | None = None  # before/after of what a write changed
    recorded: bool = False  # its activity record committed with the write (`Audit`)

    @classmethod
    def of(cls, status: int, view: ResourceView, notes: list[Note] | None = None,
           changes: dict[str, Any] | None = None) -> Answer:
        return cls(status, view, view.meta.etag, view.meta.id, notes or [], changes)
