"""SCIM use cases: create, read, replace, patch, delete and list Users and Groups.

Each write runs in one database transaction (`Database.write`) with the row locked, checks
`If-Match` against the locked version, and either commits completely or not at all. The core
does the protocol work (validation, PATCH); the `Directory` does the rows. Every use case
returns a domain result (`service/results.py`) after its transaction has ended, and `http/`
renders it: no transaction is open while a body is written.
"""

from __future__ import annotations

import contextlib
import functools
import random
import time
import uuid
from typing import Any, Callable, Iterable, Iterator, Mapping, TypeVar

import orjson

from doorpost.scim import cursor as cursors
from doorpost.scim.definitions import RESOURCE_TYPES
from doorpost.scim.dialects import RFC, Reading
from doorpost.scim.discovery import Limits
from doorpost.scim.errors import (
    InvalidFilter,
    InvalidPath,
    InvalidValue,
    NotFound,
    PreconditionFailed,
    ScimError,
    Uniqueness,
    Unavailable,
)
from doorpost.scim.listing import ListQuery, parse_list_query
from doorpost.scim.notes import Note
from doorpost.scim.patch import MemberChange, apply_patch, parse_patch_request
from doorpost.scim.render import Meta, Projection
from doorpost.scim.resource import parse_resource
from doorpost.scim.schema import ResourceType
from doorpost.service.activity import Audit
from doorpost.service.auth import Caller
from doorpost.service.changes import Announcer
from doorpost.service.clock import now_us
from doorpost.service.passwords import StoredPassword, hash_password
from doorpost.service.results import Answer, Page, Related, ResourceView
from doorpost.store import errors as refused
from doorpost.store.database import Database, TransientConflict
from doorpost.store.directory import Directory, Stored, get_with_relation

# What the store's refusals mean to a SCIM client (RFC 7644 §3.12).
SCIM_TERMS: dict[type[refused.Refused], Callable[[str], ScimError]] = {
    refused.Duplicate: Uniqueness,
    refused.UnknownMembers: InvalidValue,
    refused.Unfilterable: InvalidFilter,
    refused.Unsortable: InvalidValue,
    refused.BadMemberSelection: InvalidPath,
}


@contextlib.contextmanager
def _in_scim_terms() -> Iterator[None]:
    try:
        yield
    except refused.Refused as exc:
        raise SCIM_TERMS[type(exc)](exc.detail) from exc


def _check_if_match(if_match: str | None, meta: Meta) -> None:
    """RFC 7644 §3.14: a stale version answers 412 and nothing is written."""
    if if_match is not None and not _etag_matches(if_match, meta):
        raise PreconditionFailed(f"The resource has changed: its version is {meta.etag}.")


WRITE_ATTEMPTS = 3
MEMBER_BATCH = 2000
T = TypeVar("T")


def _scim_use_case(use_case: Callable[..., T]) -> Callable[..., T]:
    """Speak SCIM for the store (`SCIM_TERMS`)."""
    @functools.wraps(use_case)
    def run(*args: Any, **kwargs: Any) -> T:
        with _in_scim_terms():
            return use_case(*args, **kwargs)
    return run


def _retried(write: Callable[..., T]) -> Callable[..., T]:
    """A write use case, run again when the database rolled it back to break a deadlock
    (a group change touches its members while a member's rename touches its groups): the
    transaction wrote nothing, so the same request can simply run again. If it keeps
    losing, the client gets a 503 with Retry-After, never a 500."""
    @functools.wraps(write)
    def run(*args: Any, **kwargs: Any) -> T:
        for attempt in range(WRITE_ATTEMPTS):
            try:
                with _in_scim_terms():
                    return write(*args, **kwargs)
            except TransientConflict:
                time.sleep(0.005 * (attempt + 1) + random.random() * 0.005)
        raise Unavailable("The resource is being changed by another request; try again.")
    return run


class ScimService:
    def __init__(self, db: Database, limits: Limits) -> None:
        self.db = db
        self.limits = limits

    # -- what an answer shows --------------------------------------------------------
    def _views(self, directory: Directory, rt: ResourceType, items: list[Stored],
               projection: Projection, *, detached: bool) -> list[ResourceView]:
        """Each resource with its relation. A small relation (a user's `groups`) is read
        now, for the whole page in one query. A large one (a group's `members`) is read in
        batches: `detached`, each batch in its own short read after this transaction has
        ended (a read's answer, written while the client reads); else whole, now, in this
        transaction (a write's answer shows what the write committed)."""
        relation = rt.relation
        if relation is None or not projection.wants(rt, relation.name):
            related: list[Iterable[list[Related]]] = [() for _ in items]
        elif relation.large:
            related = [self._member_batches(directory.org_id, s.meta.id) if detached
                       else list(directory.iter_members(s.meta.id, MEMBER_BATCH))
                       for s in items]
        elif all(s.related is not None for s in items):  # read with the rows
            related = [[s.related or []] for s in items]
        else:
            found = directory.user_groups([s.meta.id for s in items])
            related = [[found[s.meta.id]] for s in items]
        return [ResourceView(rt, s.doc, s.meta, projection, r) for s, r in zip(items, related)]

    def _view(self, directory: Directory, rt: ResourceType, stored: Stored,
              projection: Projection) -> ResourceView:
        return self._views(directory, rt, [stored], projection, detached=False)[0]

    def _member_batches(self, org_id: int, group_id: str) -> Iterator[list[Related]]:
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
    def _audited(conn: Any, audit: Audit | None, answer: Answer) -> Answer:
        """Store the write's activity record in the write's transaction, before it commits."""
        if audit is not None:
            audit.store(conn, answer.status, answer.resource_id,
                        [n.to_json() for n in answer.notes], answer.changes)
            answer.recorded = True
        return answer

    # -- use cases -------------------------------------------------------------------
    @_retried
    def create(self, caller: Caller, rt: ResourceType, body: Any,
               dialect: Reading | None = None, params: Mapping[str, Any] | None = None,
               audit: Audit | None = None) -> Answer:
        dialect = dialect or Reading(RFC)
        body, notes = dialect.normalize_resource(body, rt)
        parsed = parse_resource(body, rt)
        notes += _ignored_schema_notes(parsed.ignored_schemas)
        doc = prepare_document(rt, parsed.doc, creating=True)
        new_id = str(uuid.uuid4())
        added = [MemberChange("add", tuple(parsed.members))] if parsed.members else []
        with self.db.write() as conn:
            directory = self._writer(conn, caller)
            at = now_us()
            feed = Announcer(conn, caller.org.id, at)
            feed.watch(parsed.members or ())
            meta = directory.insert(rt, new_id, doc, at)
            directory.apply_member_changes(new_id, added, at)
            feed.resource(_kind(rt), new_id, None, doc)
            feed.commit()
            projection = _projection(rt, params or {})
            # A new resource's relation holds only what this request wrote into it.
            view = self._view(directory, rt, Stored(doc, meta), projection) if added \
                else ResourceView(rt, doc, meta, projection)
            return self._audited(conn, audit, Answer.of(
                201, view, notes, changes_between(None, doc, added)))

    @_scim_use_case
    def get(self, caller: Caller, rt: ResourceType, id_: str, params: Mapping[str, Any],
            if_none_match: str | None = None) -> Answer:
        projection = _projection(rt, params)
        relation = rt.relation
        if relation is not None and not relation.large:
            # The hot path (a user): the resource and its relation in one statement, its
            # own snapshot, no BEGIN/COMMIT.
            stored = get_with_relation(self.db, caller.org.id, rt, id_)
            if stored is None:
                raise NotFound(f"{rt.name} '{id_}' not found.")
            if _etag_matches(if_none_match, stored.meta):  # RFC 7232 §3.2, RFC 7644 §3.14
                return Answer(304, etag=stored.meta.etag, resource_id=stored.meta.id)
            related = [stored.related or []] if projection.wants(rt, relation.name) else []
            return Answer.of(200, ResourceView(rt, stored.doc, stored.meta, projection,
                                               related))
        with self.db.read() as conn:
            directory = self._directory(conn, caller)
            current = directory.get(rt, id_)
            if current is None:
                raise NotFound(f"{rt.name} '{id_}' not found.")
            if _etag_matches(if_none_match, current.meta):
                return Answer(304, etag=current.meta.etag, resource_id=current.meta.id)
            view = self._views(directory, rt, [current], projection, detached=True)[0]
        return Answer.of(200, view)

    @_retried
    def replace(self, caller: Caller, rt: ResourceType, id_: str, body: Any,
                if_match: str | None, dialect: Reading | None = None,
                params: Mapping[str, Any] | None = None, audit: Audit | None = None
                ) -> Answer:
        """PUT (RFC 7644 §3.5.1): never creates; omitted readWrite attributes are cleared."""
        dialect = dialect or Reading(RFC)
        body, notes = dialect.normalize_resource(body, rt)
        parsed = parse_resource(body, rt)
        notes += _ignored_schema_notes(parsed.ignored_schemas)
        doc = prepare_document(rt, parsed.doc)
        with self.db.write() as conn:
            directory = self._writer(conn, caller)
            current = _locked(directory, rt, id_, if_match)
            notes += kept_on_put(rt, current.doc, doc)
            delta: list[MemberChange] = []
            at = now_us()
            if rt.written_relation is not None:
                if parsed.members is None:
                    notes.append(Note("put-without-members", f"PUT omitted "
                                      f"'{rt.written_relation}': the {rt.name.lower()} now "
                                      f"has none (RFC 7644 §3.5.1)"))
                delta = _member_delta(directory, id_, parsed.members or [])
            feed = Announcer(conn, caller.org.id, at)
            feed.watch_write(_kind(rt), id_, delta, documents=(current.doc, doc))
            changed = directory.apply_member_changes(id_, delta, at)
            meta = _save(directory, rt, current, doc, changed, at)
            feed.resource(_kind(rt), id_, current.doc, doc)
            feed.commit()
            view = self._view(directory, rt, Stored(doc, meta, related=current.related),
                              _projection(rt, params or {}))
            return self._audited(conn, audit, Answer.of(
                200, view, notes, changes_between(current.doc, doc, delta)))

    @_retried
    def patch(self, caller: Caller, rt: ResourceType, id_: str, body: Any, if_match: str | None,
              params: Mapping[str, Any], dialect: Reading | None = None,
              audit: Audit | None = None) -> Answer:
        """PATCH (RFC 7644 §3.5.2): atomic; a no-op keeps version and lastModified. The
        answer is the resource (200), except for a type with a large relation (a group),
        which answers 204 unless `attributes` asks for something: Entra sends thousands of
        member changes, and reading a 100,000-member group back for each would be waste."""
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
            feed.watch_write(_kind(rt), id_, result.member_changes,
                             documents=(current.doc, doc))
            changed = directory.apply_member_changes(id_, result.member_changes, at)
            meta = _save(directory, rt, current, doc, changed, at)
            feed.resource(_kind(rt), id_, current.doc, doc)
            feed.commit()
            changes = changes_between(current.doc, doc, result.member_changes) \
                if meta.version != current.meta.version else None
            large = rt.relation is not None and rt.relation.large
            if large and not projection.only:
                answer = Answer(204, None, meta.etag, meta.id, notes, changes)
            else:
                answer = Answer.of(200, self._view(
                    directory, rt, Stored(doc, meta, related=current.related), projection),
                    notes, changes)
            return self._audited(conn, audit, answer)

    @_retried
    def delete(self, caller: Caller, rt: ResourceType, id_: str, if_match: str | None,
               audit: Audit | None = None) -> Answer:
        with self.db.write() as conn:
            directory = self._writer(conn, caller)
            current = _locked(directory, rt, id_, if_match)
            feed = Announcer(conn, caller.org.id, now_us())
            feed.watch_write(_kind(rt), id_, deleting=True)
            directory.delete(rt, id_, feed.at_us)
            feed.resource(_kind(rt), id_, current.doc, None)
            feed.commit()
            return self._audited(conn, audit, Answer(
                204, resource_id=id_, changes=changes_between(current.doc, None, [])))

    @_scim_use_case
    def list_resources(self, caller: Caller, rt: ResourceType, params: Mapping[str, Any],
                       dialect: Reading | None = None) -> Answer:
        dialect = dialect or Reading(RFC)
        params, notes = dialect.normalize_query(dict(params), rt)
        query = parse_list_query(params, rt, default_count=self.limits.default_page_size,
                                 max_count=self.limits.max_page_size)
        page = self._cursor_page(caller, rt, query) if query.cursor is not None \
            else self._index_page(caller, rt, query)
        return Answer(200, page, notes=notes)

    def _index_page(self, caller: Caller, rt: ResourceType, query: ListQuery) -> Page:
        with self.db.read() as conn:
            directory = self._directory(conn, caller)
            total, items = directory.page(rt, query)
            views = self._views(directory, rt, items, query.projection, detached=True)
        return Page(views, total, query.start_index)

    def _cursor_page(self, caller: Caller, rt: ResourceType, query: ListQuery) -> Page:
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
            views = self._views(directory, rt, items, query.projection, detached=True)
        has_next = more if forward else position is not None
        has_previous = (position is not None) if forward else more

        def mint(stored: Stored, fwd: bool) -> str:
            return cursors.encode(key, bound,
                                  cursors.Position(Directory.position(stored), fwd), now_s)
        return Page(views, None, None,
                    mint(items[-1], True) if items and has_next else None,
                    mint(items[0], False) if items and has_previous else None)

    @_scim_use_case
    def search_all(self, caller: Caller, params: Mapping[str, Any],
                   dialect: Reading | None = None) -> Answer:
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
        for rt in RESOURCE_TYPES:
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
        with self.db.read() as conn:
            directory = self._directory(conn, caller)
            total, found = directory.search_page(queries, first.start_index, first.count,
                                                 sort_text not in (None, ""), first.descending)
            slots: list[ResourceView | None] = [None] * len(found)
            for rt, query in queries:  # read per type, kept in the page's order
                mine = [i for i, (t, _) in enumerate(found) if t is rt]
                views = self._views(directory, rt, [found[i][1] for i in mine],
                                    query.projection, detached=True)
                for i, view in zip(mine, views):
                    slots[i] = view
        return Answer(200, Page([v for v in slots if v is not None], total,
                                first.start_index), notes=notes)


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
    """A POST or PUT body's document before it is stored: a writeOnly value (the password)
    is cleartext from the client, whatever it looks like, and is kept only as a digest; and,
    at creation only, the type's server defaults (`active: true`) where the client said
    nothing, stored and returned like any value."""
    for attr in rt.core.attributes:
        if attr.mutability == "writeOnly" and isinstance(doc.get(attr.name), str):
            doc[attr.name] = hash_password(doc[attr.name])
    if creating:
        for name, value in rt.defaults:
            doc.setdefault(name, value)
    return doc


def kept_on_put(rt: ResourceType, current: dict[str, Any], doc: dict[str, Any]) -> list[Note]:
    """What a PUT that omits them keeps (RFC 7644 §3.5.1 lets the server assign values to
    omitted attributes): `rt.kept_on_put`, the password digest and `active`. A kept value
    the client can read (`active`) is noted; a writeOnly one says nothing."""
    notes: list[Note] = []
    for name in rt.kept_on_put:
        if name in doc or name not in current:
            continue
        doc[name] = current[name]
        attr = rt.core.attribute(name)
        if attr is not None and attr.returned != "never":
            shown = orjson.dumps(current[name]).decode()
            notes.append(Note(f"put-keeps-{name}", f"PUT omitted '{name}': kept the stored "
                              f"value ({shown})"))
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
    """The resource, locked for this write transaction; 404 if absent, 412 if stale. With
    it, in `related`, a small relation (a user's groups), read in the same statement: the
    write cannot change it (the organization's writes are serialized), and its answer shows
    it. A large one (a group's members) is not read."""
    relation = rt.relation
    current = directory.locked_with_relation(rt, id_) \
        if relation is not None and not relation.large \
        else directory.get(rt, id_, for_update=True)
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
