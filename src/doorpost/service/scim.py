"""SCIM use cases: create, read, replace, patch, delete and list Users and Groups.

Each write runs in one database transaction (`Database.write`) with the row locked, checks
`If-Match` against the locked version, and either commits completely or not at all. The core
does the protocol work (validation, PATCH, rendering); the `Directory` does the rows.
"""

from __future__ import annotations

import functools
import itertools
import random
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping, TypeVar

import orjson

from doorpost.scim import cursor as cursors
from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.scim.dialects import RFC, Reading
from doorpost.scim.discovery import Limits
from doorpost.scim.errors import (
    InvalidFilter,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    ScimError,
    Unavailable,
)
from doorpost.scim.listing import ListQuery, list_head, parse_list_query
from doorpost.scim.notes import Note
from doorpost.scim.patch import MemberChange, apply_patch, parse_patch_request
from doorpost.scim.render import Meta, Projection, project_relation, render
from doorpost.scim.resource import parse_resource
from doorpost.scim.schema import ResourceType
from doorpost.service.activity import Audit
from doorpost.service.auth import Caller
from doorpost.service.changes import Announcer
from doorpost.service import streaming
from doorpost.service.passwords import StoredPassword, hash_password
from doorpost.store.database import Database, TransientConflict
from doorpost.store.directory import Directory, Stored, now_us


@dataclass
class Outcome:
    """What a use case answers: status, body, headers, and what it touched and normalized."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    resource_id: str | None = None
    notes: list[Note] = field(default_factory=list)
    changes: dict[str, Any] | None = None  # before/after of what a write changed
    raw: bytes | None = None  # the body, already serialized
    stream: Iterator[bytes] | None = None  # the body, written chunk by chunk
    recorded: bool = False  # its activity record committed with the write (`Audit`)


def _opened(outcome: Outcome, body: Iterator[bytes]) -> Outcome:
    """Attach a body to its Outcome. It is called after the read transaction has ended:
    what remains of `body` reads nothing but group members, each batch in its own short
    read (`ScimService._member_batches`), so no connection or transaction is held while
    a client reads. A body of one chunk is kept whole; a larger one streams."""
    first = next(body, None)
    second = next(body, None) if first is not None else None
    if second is None:
        outcome.raw = first
        return outcome
    outcome.stream = itertools.chain([first, second], body)  # type: ignore[list-item]
    return outcome


def _check_if_match(if_match: str | None, meta: Meta) -> None:
    """RFC 7644 §3.14: a stale version answers 412 and nothing is written."""
    if if_match is not None and not _etag_matches(if_match, meta):
        raise PreconditionFailed(f"The resource has changed: its version is {meta.etag}.")


WRITE_ATTEMPTS = 3
MEMBER_BATCH = 2000
T = TypeVar("T")


def _retried(write: Callable[..., T]) -> Callable[..., T]:
    """Run a write use case again when the database rolled it back to break a deadlock
    (a group change touches its members while a member's rename touches its groups): the
    transaction wrote nothing, so the same request can simply run again. If it keeps
    losing, the client gets a 503 with Retry-After, never a 500."""
    @functools.wraps(write)
    def run(*args: Any, **kwargs: Any) -> T:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                return write(*args, **kwargs)
            except TransientConflict:
                time.sleep(0.005 * (attempt + 1) + random.random() * 0.005)
        raise Unavailable("The resource is being changed by another request; try again.")
    return run


class ScimService:
    def __init__(self, db: Database, limits: Limits) -> None:
        self.db = db
        self.limits = limits

    # -- rendering -------------------------------------------------------------------
    def _render_one(self, directory: Directory, rt: ResourceType, stored: Stored,
                    projection: Projection, base_url: str) -> bytes:
        """One resource as JSON, through the same pieces as reads and lists, read whole in
        the write's own transaction (so the answer shows what this write committed)."""
        return b"".join(self._pieces(directory, rt, [stored], projection, base_url)[0])

    def _single(self, status: int, rt: ResourceType, raw: bytes | None, meta: Meta,
                base_url: str, notes: list[Note]) -> Outcome:
        headers = {"ETag": meta.etag, "Location": f"{base_url}/{rt.endpoint}/{meta.id}"}
        return Outcome(status, headers, meta.id, notes, raw=raw)

    @staticmethod
    def _prepare(rt: ResourceType, doc: dict[str, Any], *, creating: bool = False
                 ) -> dict[str, Any]:
        return prepare_document(rt, doc, creating=creating)

    def _directory(self, conn: Any, caller: Caller) -> Directory:
        return Directory(conn, caller.org.id, self.db.backend)

    def _writer(self, conn: Any, caller: Caller) -> Directory:
        """The directory for a write, with the organization's writes serialized first: a
        write may touch related resources (a group its members, a user its groups), and
        two such writes would otherwise lock rows in opposite orders."""
        directory = self._directory(conn, caller)
        directory.serialize_writes()
        return directory

    @staticmethod
    def _audited(conn: Any, audit: Audit | None, outcome: Outcome) -> Outcome:
        """Store the write's activity record in the write's transaction, before it commits."""
        if audit is not None:
            audit.store(conn, outcome.status, outcome.resource_id,
                        [n.to_json() for n in outcome.notes], outcome.changes)
            outcome.recorded = True
        return outcome

    # -- use cases -------------------------------------------------------------------
    @_retried
    def create(self, caller: Caller, rt: ResourceType, body: Any, base_url: str,
               dialect: Reading | None = None, params: Mapping[str, Any] | None = None,
               audit: Audit | None = None) -> Outcome:
        dialect = dialect or Reading(RFC)
        body, notes = dialect.normalize_resource(body, rt)
        parsed = parse_resource(body, rt)
        notes += _ignored_schema_notes(parsed.ignored_schemas)
        doc = self._prepare(rt, parsed.doc, creating=True)
        new_id = str(uuid.uuid4())
        with self.db.write() as conn:
            directory = self._writer(conn, caller)
            at = now_us()
            feed = Announcer(conn, caller.org.id, at)
            feed.watch(parsed.members or ())
            meta = directory.insert(rt, new_id, doc, at)
            if rt is GROUP_TYPE and parsed.members:
                directory.apply_member_changes(
                    new_id, [MemberChange("add", tuple(parsed.members))], at)
            feed.resource(_kind(rt), new_id, None, doc)
            feed.commit()
            stored = Stored(doc, meta)
            out = self._render_one(directory, rt, stored, _projection(rt, params or {}),
                                   base_url)
            result = self._single(201, rt, out, meta, base_url, notes)
            result.changes = changes_between(
                None, doc, [MemberChange("add", tuple(parsed.members))] if parsed.members
                else [])
            return self._audited(conn, audit, result)

    def get(self, caller: Caller, rt: ResourceType, id_: str, params: Mapping[str, Any],
            base_url: str, if_none_match: str | None = None) -> Outcome:
        projection = _projection(rt, params)
        if rt is USER_TYPE:  # the hot path: one statement, its own snapshot
            return self._get_user(caller, id_, projection, base_url, if_none_match)
        with self.db.read() as conn:
            directory = self._directory(conn, caller)
            stored = directory.get(rt, id_)
            if stored is None:
                raise NotFound(f"{rt.name} '{id_}' not found.")
            if _etag_matches(if_none_match, stored.meta):  # RFC 7232 §3.2, RFC 7644 §3.14
                return Outcome(304, {"ETag": stored.meta.etag}, stored.meta.id)
            outcome = self._single(200, rt, None, stored.meta, base_url, [])
            body = self._pieces(directory, rt, [stored], projection, base_url,
                                detached=True)[0]
        return _opened(outcome, streaming.buffered(body))

    def _get_user(self, caller: Caller, id_: str, projection: Projection, base_url: str,
                  if_none_match: str | None) -> Outcome:
        with self.db.single_read() as conn:
            found = self._directory(conn, caller).user_with_groups(id_)
        if found is None:
            raise NotFound(f"User '{id_}' not found.")
        stored, groups = found
        if _etag_matches(if_none_match, stored.meta):
            return Outcome(304, {"ETag": stored.meta.etag}, stored.meta.id)
        relation = {"groups": _group_refs(groups, base_url)
                    if projection.wants(USER_TYPE, "groups") else []}
        body = orjson.dumps(render(USER_TYPE, stored.doc, stored.meta, base_url, relation,
                                   projection))
        return _opened(self._single(200, USER_TYPE, None, stored.meta, base_url, []),
                       iter([body]))

    def _pieces(self, directory: Directory, rt: ResourceType, items: list[Stored],
                projection: Projection, base_url: str, *, detached: bool = False
                ) -> list[Iterator[bytes]]:
        """Each resource as a stream of JSON pieces. Everything is read now, in the caller's
        transaction, except a group's members, read batch by batch as the body is written:
        in this transaction for a write's answer, or `detached` (each batch in its own
        short read, after this transaction ends) for a read's."""
        if rt is GROUP_TYPE and projection.wants(rt, "members"):
            def group(stored: Stored) -> Iterator[bytes]:
                out = render(rt, stored.doc, stored.meta, base_url, {"members": []}, projection)
                rows_of = self._member_batches(directory.org_id, stored.meta.id) if detached \
                    else directory.iter_members(stored.meta.id, MEMBER_BATCH)
                batches = (project_relation(rt, projection, "members", [
                    {"value": u, "$ref": f"{base_url}/Users/{u}", "type": "User",
                     "display": display} for u, display in rows])
                    for rows in rows_of)
                return streaming.with_relation(out, "members", batches)
            return [group(s) for s in items]
        relations = self._user_groups(directory, rt, items, projection, base_url)
        return [iter([orjson.dumps(render(rt, s.doc, s.meta, base_url, r, projection))])
                for s, r in zip(items, relations)]

    def _member_batches(self, org_id: int, group_id: str) -> Iterator[list[tuple[str, str]]]:
        """A group's members, each batch read in its own short transaction: a client that
        reads slowly holds no connection between batches. (A group changed while its body
        is written shows each member at most once, in user-id order.)"""
        last = ""
        while True:
            with self.db.read() as conn:
                rows = Directory(conn, org_id, self.db.backend).members_after(
                    group_id, last, MEMBER_BATCH)
            if rows:
                yield rows
            if len(rows) < MEMBER_BATCH:
                return
            last = rows[-1][0]

    @staticmethod
    def _user_groups(directory: Directory, rt: ResourceType, items: list[Stored],
                     projection: Projection, base_url: str
                     ) -> list[dict[str, list[dict[str, Any]]]]:
        """Each user's `groups`, read for the whole page at once (a group's members are
        streamed by `_pieces` instead, so here a group's relation stays empty)."""
        name = "groups" if rt is USER_TYPE else "members"
        if rt is not USER_TYPE or not projection.wants(rt, "groups"):
            return [{name: []} for _ in items]
        ids = [s.meta.id for s in items]
        groups = directory.user_groups(ids)
        return [{"groups": _group_refs(groups[i], base_url)} for i in ids]

    @_retried
    def replace(self, caller: Caller, rt: ResourceType, id_: str, body: Any,
                if_match: str | None, base_url: str, dialect: Reading | None = None,
                params: Mapping[str, Any] | None = None, audit: Audit | None = None
                ) -> Outcome:
        """PUT (RFC 7644 §3.5.1): never creates; omitted readWrite attributes are cleared."""
        dialect = dialect or Reading(RFC)
        body, notes = dialect.normalize_resource(body, rt)
        parsed = parse_resource(body, rt)
        notes += _ignored_schema_notes(parsed.ignored_schemas)
        doc = self._prepare(rt, parsed.doc)
        with self.db.write() as conn:
            directory = self._writer(conn, caller)
            current = _locked(directory, rt, id_, if_match)
            notes += kept_on_put(rt, current.doc, doc)
            delta: list[MemberChange] = []
            at = now_us()
            if rt is GROUP_TYPE:
                if parsed.members is None:
                    notes.append(Note("put-without-members", "PUT omitted 'members': the group "
                                      "now has no members (RFC 7644 §3.5.1)"))
                delta = _member_delta(directory, id_, parsed.members or [])
            feed = Announcer(conn, caller.org.id, at)
            feed.watch_write(_kind(rt), id_, delta)
            changed = directory.apply_member_changes(id_, delta, at)  # none for a user
            meta = _save(directory, rt, current, doc, changed, at)
            feed.resource(_kind(rt), id_, current.doc, doc)
            feed.commit()
            out = self._render_one(directory, rt, Stored(doc, meta),
                                   _projection(rt, params or {}), base_url)
            result = self._single(200, rt, out, meta, base_url, notes)
            result.changes = changes_between(current.doc, doc, delta)
            return self._audited(conn, audit, result)

    @_retried
    def patch(self, caller: Caller, rt: ResourceType, id_: str, body: Any, if_match: str | None,
              params: Mapping[str, Any], base_url: str, dialect: Reading | None = None,
              audit: Audit | None = None) -> Outcome:
        """PATCH (RFC 7644 §3.5.2): atomic; a no-op keeps version and lastModified."""
        dialect = dialect or Reading(RFC)
        body, notes = dialect.normalize_patch(body, rt)
        ops = parse_patch_request(body)
        projection = _projection(rt, params)
        with self.db.write() as conn:
            directory = self._writer(conn, caller)
            current = _locked(directory, rt, id_, if_match)
            secret = StoredPassword.take(current.doc)
            result = apply_patch(secret.working, ops, rt, dialect.policy, resource_id=id_)
            notes += result.notes
            doc = secret.restore(result.doc)
            at = now_us()
            feed = Announcer(conn, caller.org.id, at)
            feed.watch_write(_kind(rt), id_, result.member_changes)
            changed = directory.apply_member_changes(id_, result.member_changes, at)
            meta = _save(directory, rt, current, doc, changed, at)
            feed.resource(_kind(rt), id_, current.doc, doc)
            feed.commit()
            wants_body = rt is USER_TYPE or projection.only
            out = (self._render_one(directory, rt, Stored(doc, meta), projection, base_url)
                   if wants_body else None)
            changes = changes_between(current.doc, doc, result.member_changes) \
                if meta.version != current.meta.version else None
            if out is None:
                outcome = Outcome(204, {"ETag": meta.etag}, meta.id, notes, changes)
            else:
                outcome = self._single(200, rt, out, meta, base_url, notes)
                outcome.changes = changes
            return self._audited(conn, audit, outcome)

    @_retried
    def delete(self, caller: Caller, rt: ResourceType, id_: str, if_match: str | None,
               audit: Audit | None = None) -> Outcome:
        with self.db.write() as conn:
            directory = self._writer(conn, caller)
            current = _locked(directory, rt, id_, if_match)
            feed = Announcer(conn, caller.org.id, now_us())
            feed.watch_write(_kind(rt), id_, deleting=True)
            directory.delete(rt, id_, feed.at_us)
            feed.resource(_kind(rt), id_, current.doc, None)
            feed.commit()
            return self._audited(conn, audit, Outcome(
                204, {}, id_, changes=changes_between(current.doc, None, [])))

    def list_resources(self, caller: Caller, rt: ResourceType, params: Mapping[str, Any], base_url: str,
             dialect: Reading | None = None) -> Outcome:
        dialect = dialect or Reading(RFC)
        params, notes = dialect.normalize_query(dict(params), rt)
        query = parse_list_query(params, rt, default_count=self.limits.default_page_size,
                                 max_count=self.limits.max_page_size)
        body = self._cursor_page(caller, rt, query, base_url) if query.cursor is not None \
            else self._index_page(caller, rt, query, base_url)
        return _opened(Outcome(200, notes=notes), body)

    def _index_page(self, caller: Caller, rt: ResourceType, query: ListQuery,
                    base_url: str) -> Iterator[bytes]:
        with self.db.read() as conn:
            directory = self._directory(conn, caller)
            total, items = directory.page(rt, query)
            head = list_head(total, query.start_index, len(items))
            pieces = self._pieces(directory, rt, items, query.projection, base_url,
                                  detached=True)
        return streaming.list_body(head, pieces)

    def _cursor_page(self, caller: Caller, rt: ResourceType, query: ListQuery,
                     base_url: str) -> Iterator[bytes]:
        """RFC 9865: keyset pages in (created, id) order, walking forward or back. The page
        omits totalResults (RFC 9865 allows it): counting would make every page O(N)."""
        key = bytes.fromhex(caller.org.cursor_key)
        bound = cursors.fingerprint(rt.name, query.filter_text)
        now_s = int(time.time())
        position = None
        if query.cursor:
            position = cursors.decode(key, bound, query.cursor, now_s,
                                      self.limits.cursor_timeout_s)
        forward = position.forward if position else True
        with self.db.read() as conn:
            directory = self._directory(conn, caller)
            items, more = directory.keyset_page(
                rt, query, position.key if position else None, forward, query.count)
            has_next = more if forward else position is not None
            has_previous = (position is not None) if forward else more

            def mint(stored: Stored, fwd: bool) -> str:
                return cursors.encode(key, bound,
                                      cursors.Position(Directory.position(stored), fwd), now_s)
            next_cursor = mint(items[-1], True) if items and has_next else None
            previous_cursor = mint(items[0], False) if items and has_previous else None
            head = list_head(None, None, len(items), next_cursor, previous_cursor)
            pieces = self._pieces(directory, rt, items, query.projection, base_url,
                                  detached=True)
        return streaming.list_body(head, pieces)

    def search_all(self, caller: Caller, params: Mapping[str, Any], base_url: str,
                   dialect: Reading | None = None) -> Outcome:
        """`POST /.search` at the root (RFC 7644 §3.4.3): Users and Groups as one list.

        A filter that names an attribute only one type has matches nothing of the other type;
        so does `sortBy`: the type without the attribute has no value to sort by (last when
        ascending, first when descending). What neither type understands is an error.
        Cursors (RFC 9865) page one resource type; at the root they are refused.
        """
        dialect = dialect or Reading(RFC)
        lowered = {k.lower(): v for k, v in params.items()}
        if "cursor" in lowered:
            raise InvalidValue("Cursor pagination (RFC 9865) is offered on /Users and /Groups; "
                               "the root /.search pages with startIndex and count.")
        sort_text = lowered.get("sortby")
        queries: list[tuple[ResourceType, ListQuery]] = []
        error: ScimError | None = None
        notes: list[Note] = []
        for rt in (USER_TYPE, GROUP_TYPE):
            rt_params, rt_notes = dialect.normalize_query(dict(params), rt)
            if isinstance(sort_text, str) and rt.resolve(sort_text.strip()) is None:
                rt_params = {k: v for k, v in rt_params.items() if k.lower() != "sortby"}
            try:
                queries.append((rt, parse_list_query(
                    rt_params, rt, default_count=self.limits.default_page_size,
                    max_count=self.limits.max_page_size)))
                notes += rt_notes
            except InvalidFilter as exc:
                error = exc
        if not queries:
            assert error is not None
            raise error
        if sort_text not in (None, "") and all(q.sort_by is None for _, q in queries):
            raise InvalidValue(f"Cannot sort by unknown attribute '{sort_text}'.")
        first = queries[0][1]
        return _opened(Outcome(200, notes=notes), self._search_page(
            caller, queries, first, base_url, sort_text not in (None, "")))

    def _search_page(self, caller: Caller, queries: list[tuple[ResourceType, ListQuery]],
                     first: ListQuery, base_url: str, sorted_: bool) -> Iterator[bytes]:
        with self.db.read() as conn:
            directory = self._directory(conn, caller)
            total, found = directory.search_page(queries, first.start_index, first.count,
                                                 sorted_, first.descending)
            slots: list[Iterator[bytes] | None] = [None] * len(found)
            for rt, query in queries:  # rendered per type, kept in the page's order
                mine = [i for i, (t, _) in enumerate(found) if t is rt]
                rendered = self._pieces(directory, rt, [found[i][1] for i in mine],
                                        query.projection, base_url, detached=True)
                for i, piece in zip(mine, rendered):
                    slots[i] = piece
            ordered = [p for p in slots if p is not None]
        return streaming.list_body(list_head(total, first.start_index, len(ordered)), ordered)


def _group_refs(groups: list[tuple[str, str]], base_url: str) -> list[dict[str, Any]]:
    """A user's `groups` as rendered (RFC 7643 §4.1.2: direct memberships only)."""
    return [{"value": g, "$ref": f"{base_url}/Groups/{g}", "display": label, "type": "direct"}
            for g, label in groups]


def changes_between(before: dict[str, Any] | None, after: dict[str, Any] | None,
                    members: list[MemberChange]) -> dict[str, Any]:
    """What a write changed, for the activity log: the attributes whose value differs
    (before and after), and the membership delta. Password digests are never shown."""
    old, new = before or {}, after or {}
    keys = [k for k in dict.fromkeys([*old, *new]) if old.get(k) != new.get(k)]

    def shown(doc: dict[str, Any], key: str) -> Any:
        return "(changed)" if key == "password" else doc[key]
    out: dict[str, Any] = {
        "before": {k: shown(old, k) for k in keys if k in old},
        "after": {k: shown(new, k) for k in keys if k in new},
    }
    if members:
        out["members"] = [{"change": c.kind, "ids": list(c.ids[:50]),
                           **({"more": len(c.ids) - 50} if len(c.ids) > 50 else {})}
                          for c in members if c.ids or c.kind != "add"]
    return out


def prepare_document(rt: ResourceType, doc: dict[str, Any], *, creating: bool = False
                     ) -> dict[str, Any]:
    """A POST or PUT body's document before it is stored: the password it carries is
    cleartext from the client (whatever it looks like) and is kept only as a digest; and,
    at creation only, `active: true` when the client did not say (a server default,
    RFC 7643 §2.2), stored and returned like any value."""
    if rt is USER_TYPE:
        if isinstance(doc.get("password"), str):
            doc["password"] = hash_password(doc["password"])
        if creating:
            doc.setdefault("active", True)
    return doc


def kept_on_put(rt: ResourceType, current: dict[str, Any], doc: dict[str, Any]) -> list[Note]:
    """What a PUT that omits them keeps (RFC 7644 §3.5.1 lets the server assign values to
    omitted attributes): the password digest (writeOnly: a client cannot echo it) and
    `active`, so a replace can neither deactivate nor reactivate anyone by omission."""
    notes: list[Note] = []
    if rt is not USER_TYPE:
        return notes
    if "password" not in doc and "password" in current:
        doc["password"] = current["password"]
    if "active" not in doc and "active" in current:
        doc["active"] = current["active"]
        notes.append(Note("put-keeps-active", f"PUT omitted 'active': kept the stored "
                          f"value ({str(current['active']).lower()})"))
    return notes


def _etag_matches(header: str | None, meta: Meta) -> bool:
    """Does an If-Match / If-None-Match list name the current version (weakly, or `*`)?"""
    if header is None:
        return False
    wanted = {v.strip() for v in header.split(",")}
    current = meta.etag
    bare = current[2:] if current.startswith("W/") else current
    return "*" in wanted or current in wanted or bare in wanted


def _kind(rt: ResourceType) -> str:
    """The change feed's name for a resource type: `user.updated`, `group.deleted`."""
    return rt.name.lower()


def _locked(directory: Directory, rt: ResourceType, id_: str, if_match: str | None) -> Stored:
    """The resource, locked for this write transaction; 404 if absent, 412 if stale."""
    current = directory.get(rt, id_, for_update=True)
    if current is None:
        raise NotFound(f"{rt.name} '{id_}' not found.")
    _check_if_match(if_match, current.meta)
    return current


def _save(directory: Directory, rt: ResourceType, current: Stored, doc: dict[str, Any],
          members_changed: int, at_us: int) -> Meta:
    """Write what changed: a new document, or only a version bump when just membership rows
    changed; nothing at all (same version, same lastModified) when nothing did."""
    if doc != current.doc:
        return directory.update(rt, current, doc, at_us)
    if members_changed:
        return directory.touch(rt, current, at_us)
    return current.meta


def _projection(rt: ResourceType, params: Mapping[str, Any]) -> Projection:
    lowered = {k.lower(): v for k, v in params.items()}
    return Projection.parse(rt, lowered.get("attributes"), lowered.get("excludedattributes"))


def _ignored_schema_notes(ignored: list[str]) -> list[Note]:
    return [Note("ignore-unknown-schema", f"ignored schema URI '{urn}' in 'schemas'")
            for urn in ignored]


def _member_delta(directory: Directory, group_id: str, wanted: list[str]) -> list[MemberChange]:
    """A PUT's member list as the delta from the current one: only changed rows are written."""
    current: set[str] = set(directory.group_members([group_id])[group_id])
    wanted_set = set(wanted)
    return [MemberChange("remove", tuple(sorted(current - wanted_set))),
            MemberChange("add", tuple(u for u in wanted if u not in current))]
