"""Users, groups and memberships of one organization: the SCIM resources' rows.

Every query is scoped by `org_id`; there is no method that reads across organizations.
Membership is one row per (organization, group, user): changes insert or delete exactly the
listed rows, so a group PATCH never loads the member list.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Sequence

from sqlalchemy import (
    Connection,
    Select,
    and_,
    bindparam,
    delete,
    func,
    insert,
    literal,
    null,
    select,
    tuple_,
    union_all,
    update,
)
import orjson
from sqlalchemy.dialects import postgresql, sqlite

from doorpost.scim.listing import ListQuery
from doorpost.scim.patch import MemberChange
from doorpost.scim.render import Meta
from doorpost.scim.definitions import USER_TYPE as USER
from doorpost.scim.schema import ResourceType
from doorpost.scim.text import fold
from doorpost.scim.values import from_us
from doorpost.store import membership_sql as ms, tables as t
from doorpost.store.database import Database, Prepared, refused_as
from doorpost.store.errors import Duplicate, UnknownMembers
from doorpost.store.storage import STORAGE, Storage, email_rows, storage
from doorpost.store.filter_sql import FilterSql, text_collation


@dataclass
class Stored:
    """A resource row: its document and metadata."""

    doc: dict[str, Any]
    meta: Meta
    created_us: int = 0  # exact keyset position (meta.created is rounded for display)
    # A small relation read with the row (a user's groups: (id, displayName) in their one
    # order), or None when the read did not bring it. Not part of equality: two reads of
    # the same row are equal whether or not they brought the relation.
    related: list[tuple[str, str]] | None = field(default=None, compare=False)


def _stored(row: Any) -> Stored:
    return Stored(dict(row.doc), Meta(row.id, from_us(row.created_us), from_us(row.modified_us),
                                      row.version), row.created_us)


def _readable(kept: Storage) -> Any:
    """A resource's row as reads need it (`Storage.readable`)."""
    return select(*kept.readable)


# Statements built once: they run on nearly every request.
_GET = {name: _readable(kept).where(kept.table.c.org_id == bindparam("org"),
                                    kept.table.c.id == bindparam("id"))
        for name, kept in STORAGE.items()}
_GET_FOR_UPDATE = {name: q.with_for_update() for name, q in _GET.items()}
# A write's statements, also built once per type (building and keying a statement costs
# more than SQLite takes to run it): the unique check, the related resources' touch, the
# side index's removal. A document's UPDATE is built once per set of columns (`_update`).
_TAKEN = {name: select(kept.table.c.id).where(kept.table.c.org_id == bindparam("org"),
                                              kept.unique == bindparam("value"))
          for name, kept in STORAGE.items()}
_TOUCH_RELATED = {
    name: update(kept.related).where(
        kept.related.c.org_id == bindparam("b_org"),
        kept.related.c.id.in_(select(kept.other).where(
            t.memberships.c.org_id == bindparam("b_org"), kept.own == bindparam("b_id"))))
    .values(version=kept.related.c.version + 1, modified_us=bindparam("b_at"))
    for name, kept in STORAGE.items()}
_TOUCH = {name: update(kept.table).where(
    kept.table.c.org_id == bindparam("b_org"), kept.table.c.id == bindparam("b_id")
).values(version=bindparam("b_version"), modified_us=bindparam("b_at"))
    for name, kept in STORAGE.items()}
_DROP_SIDE = {name: delete(kept.side.table).where(kept.side.table.c.org_id == bindparam("org"),
                                                  kept.side.owner == bindparam("id"))
              for name, kept in STORAGE.items() if kept.side is not None}
_INSERT = {name: insert(kept.table) for name, kept in STORAGE.items()}
_SIDE_INSERT = {name: insert(kept.side.table)
                for name, kept in STORAGE.items() if kept.side is not None}
_UPDATES: dict[tuple[str, tuple[str, ...]], Any] = {}
_EQ_PAGES: dict[tuple[str, str, str], Any] = {}


def _eq_page(rt: ResourceType, column: str, backend: str) -> Any:
    """A list page of `column = :value`, in the order `list_statements` gives a selective
    filter (creation, hiding the (org, created) index, then id), with the type's small
    relation if it has one (an identity provider's match query is then one statement);
    built once per column."""
    key = (rt.name, column, backend)
    stmt = _EQ_PAGES.get(key)
    if stmt is None:
        kept = storage(rt)
        c = kept.table.c
        relation = _RELATION_COLUMN.get(rt.name)
        read = _readable(kept)
        stmt = _EQ_PAGES[key] = (
            (read.add_columns(relation(backend)) if relation is not None else read)
            .where(c.org_id == bindparam("org"), c[column].is_not(None),
                   c[column] == bindparam("value"))
            .order_by(c.created_us + 0, c.id)
            .limit(bindparam("limit")).offset(bindparam("offset")))
    return stmt


def _update(table: Any, columns: Sequence[str]) -> Any:
    """`UPDATE table SET <columns> WHERE org_id = :w_org AND id = :w_id`, built once."""
    key = (table.name, tuple(columns))
    stmt = _UPDATES.get(key)
    if stmt is None:
        stmt = _UPDATES[key] = update(table).where(
            table.c.org_id == bindparam("w_org"), table.c.id == bindparam("w_id")
        ).values({c: bindparam(f"v_{c}") for c in columns})
    return stmt


_m, _g, _u = t.memberships.c, t.groups.c, t.users.c
_USER_GROUPS = (select(_m.user_id, _g.id, _g.display_name, _g.display_name_ci)
                .join_from(t.memberships, t.groups,
                           and_(_g.org_id == _m.org_id, _g.id == _m.group_id))
                .where(_m.org_id == bindparam("org"),
                       _m.user_id.in_(bindparam("ids", expanding=True))))


def _user_groups_json(backend: str) -> Any:
    """A user row's groups, as a column: a JSON array of [id, displayName, folded name]
    (through the (org, user) index), so a read brings the user and its groups at once."""
    triple = (func.json_array if backend == "sqlite" else func.json_build_array)(
        _g.id, _g.display_name, _g.display_name_ci)
    aggregate = func.json_group_array(triple) if backend == "sqlite" else func.json_agg(triple)
    return (select(aggregate)
            .join_from(t.memberships, t.groups,
                       and_(_g.org_id == _m.org_id, _g.id == _m.group_id))
            .where(_m.org_id == _u.org_id, _m.user_id == _u.id)
            .correlate(t.users).scalar_subquery().label("groups_json"))


# For each type whose relation is small (a user's groups): that relation as a column.
_RELATION_COLUMN = {USER.name: _user_groups_json}


def _with_its_relation(name: str, backend: str) -> Any:
    """A resource by id and its small relation in one statement (a GET by id is then a
    single snapshot, with no BEGIN/COMMIT)."""
    table = STORAGE[name].table
    return _readable(STORAGE[name]).add_columns(_RELATION_COLUMN[name](backend)).where(
        table.c.org_id == bindparam("org"), table.c.id == bindparam("id"))


# For each type whose relation is small: the resource with it, by backend; and the same,
# locked for a write (SQLite's writers are serialized by BEGIN IMMEDIATE already).
_WITH_RELATION = {name: {backend: Prepared(_with_its_relation(name, backend))
                         for backend in ("sqlite", "postgresql")} for name in _RELATION_COLUMN}
_LOCKED_WITH_RELATION = {name: {
    "sqlite": _with_its_relation(name, "sqlite"),
    "postgresql": _with_its_relation(name, "postgresql").with_for_update(
        of=STORAGE[name].table)} for name in _RELATION_COLUMN}


def _in_group_order(groups: Iterable[Sequence[Any]]) -> list[tuple[str, str]]:
    """The one order of a user's groups: by folded displayName, code point by code point
    (the same on both databases, whatever their collation), then id."""
    return [(g[0], g[1]) for g in sorted(groups, key=lambda g: (g[2] or "", g[0]))]


def get_with_relation(db: Database, org_id: int, rt: ResourceType, id_: str
                      ) -> Stored | None:
    """A resource with a small relation, and that relation in `related`, in one prepared
    statement (a user and its groups; see `Directory.user_groups`): a GET by id is then a
    single snapshot, with no BEGIN/COMMIT."""
    if "\x00" in id_:
        return None  # no id holds a NUL (and PostgreSQL cannot compare one)
    row = db.first(_WITH_RELATION[rt.name][db.backend], {"org": org_id, "id": id_})
    return None if row is None else _with_relation(row)


def _with_relation(row: Any) -> Stored:
    groups = row.groups_json
    if isinstance(groups, str):  # SQLite answers JSON as text
        groups = orjson.loads(groups)
    stored = _stored(row)
    stored.related = _in_group_order(groups or [])
    return stored


class Directory:
    """Repository for one organization's users and groups, inside one transaction."""

    def __init__(self, conn: Connection, org_id: int, backend: str) -> None:
        self.conn = conn
        self.org_id = org_id
        self.backend = backend

    @staticmethod
    def _table(rt: ResourceType) -> Any:
        return storage(rt).table

    # -- reads -------------------------------------------------------------------------
    def get(self, rt: ResourceType, id_: str, *, for_update: bool = False) -> Stored | None:
        if "\x00" in id_:
            return None  # no id holds a NUL (and PostgreSQL cannot compare one)
        q = _GET_FOR_UPDATE[rt.name] if for_update and self.backend == "postgresql" \
            else _GET[rt.name]
        row = self.conn.execute(q, {"org": self.org_id, "id": id_}).first()
        return _stored(row) if row else None

    def locked_with_relation(self, rt: ResourceType, id_: str) -> Stored | None:
        """A resource with a small relation, locked for this write, and that relation in
        `related` (as `get_with_relation`): a PUT or PATCH of a user reads both at once, so
        its answer and its touch of the related resources need no further read."""
        if "\x00" in id_:
            return None
        row = self.conn.execute(_LOCKED_WITH_RELATION[rt.name][self.backend],
                                {"org": self.org_id, "id": id_}).first()
        return None if row is None else _with_relation(row)

    def get_many(self, rt: ResourceType, ids: Sequence[str]) -> list[Stored]:
        """Resources by id in one query, in the order of `ids` (unknown ids are skipped)."""
        table = self._table(rt)
        ids = [i for i in ids if "\x00" not in i]
        rows = {r.id: _stored(r) for r in self.conn.execute(_readable(storage(rt)).where(
            table.c.org_id == self.org_id, table.c.id.in_(list(ids))))} if ids else {}
        return [rows[i] for i in ids if i in rows]

    def user_signing_in(self, identities: Sequence[str]) -> Stored | None:
        """The user a sign-in names: each identity (already `fold`ed) as a userName first,
        then as an email; the first that matches exactly one user wins."""
        users, emails = t.users, t.user_emails
        for key in [i for i in identities if i and "\x00" not in i]:
            row = self.conn.execute(_readable(STORAGE[USER.name]).where(
                users.c.org_id == self.org_id, users.c.user_name_ci == key)).first()
            if row is not None:
                return _stored(row)
        for key in [i for i in identities if i and "\x00" not in i]:
            ids = {r.user_id for r in self.conn.execute(select(emails.c.user_id).where(
                emails.c.org_id == self.org_id, emails.c.value_ci == key))}
            if len(ids) == 1:
                return self.get(USER, ids.pop())
        return None

    def _matching(self, rt: ResourceType, query: ListQuery
                  ) -> tuple[Any, FilterSql, list[Any]]:
        """The table, the filter translator and the WHERE clause of a list query: this
        organization's rows that match its filter."""
        table = self._table(rt)
        translate = FilterSql(rt, self.backend, self.org_id)
        where: list[Any] = [table.c.org_id == self.org_id]
        if query.filter is not None:
            where.append(translate.where(query.filter))
        return table, translate, where

    def list_statements(self, rt: ResourceType, query: ListQuery) -> tuple[Select[Any], Select[Any]]:
        """The count and page queries of a list request (also what the query-plan tests check)."""
        table, translate, where = self._matching(rt, query)
        count = select(func.count()).select_from(table).where(*where)
        order = []
        if query.sort_by is not None:
            # RFC 7644 §3.4.2.3: resources without a value sort last ascending, first
            # descending, on both databases.
            key = translate.sort_key(query.sort_by)
            order.append(key.desc().nulls_first() if query.descending
                         else key.asc().nulls_last())
        created: Any = table.c.created_us
        if query.filter is not None and translate.selective(query.filter):
            # `+ 0` hides the (org, created) index from the ORDER BY, so the planner cannot
            # walk every row of the organization in list order looking for the few matches.
            created = created + 0
        order += [created, table.c.id]
        page = (_readable(storage(rt)).where(*where).order_by(*order)
                .limit(query.count).offset(query.start_index - 1))
        return count, page

    def page(self, rt: ResourceType, query: ListQuery) -> tuple[int, list[Stored]]:
        """A page and the exact total. When the page itself shows where the results end
        (fewer rows than asked for), the total follows from it and is not counted again:
        an identity provider's match query costs one query, not two."""
        eq = FilterSql(rt, self.backend, self.org_id).column_eq(query.filter) \
            if query.filter is not None and query.sort_by is None else None
        statements = None  # the general translation, built only when it is needed
        if not query.count:
            rows = []
        elif eq is not None:  # the identity provider's lookup: a statement built once
            decode = _with_relation if rt.name in _RELATION_COLUMN else _stored
            rows = [decode(r) for r in self.conn.execute(_eq_page(rt, eq[0], self.backend), {
                "org": self.org_id, "value": eq[1], "limit": query.count,
                "offset": query.start_index - 1})]
        else:
            statements = self.list_statements(rt, query)
            rows = [_stored(r) for r in self.conn.execute(statements[1])]
        if query.count and len(rows) < query.count and (rows or query.start_index == 1):
            return query.start_index - 1 + len(rows), rows
        count = (statements or self.list_statements(rt, query))[0]
        return self.conn.execute(count).scalar_one(), rows

    def search_page(self, parts: Sequence[tuple[ResourceType, ListQuery]], start: int,
                    count: int, sorted_by_key: bool, descending: bool
                    ) -> tuple[int, list[tuple[ResourceType, Stored]]]:
        """One page across resource types (the root `/.search`): every type's matches in one
        ordered union, by the sort key when there is one (a type without the attribute has
        no value: last ascending, first descending), then by type, creation and id."""
        selects = []
        total = 0
        for rank, (rt, query) in enumerate(parts):
            table, translate, where = self._matching(rt, query)
            key = translate.sort_key(query.sort_by) if query.sort_by is not None else null()
            selects.append(select(literal(rank).label("rank"), table.c.id.label("id"),
                                  table.c.created_us.label("created"), key.label("key"))
                           .where(*where))
            total += self.conn.execute(
                select(func.count()).select_from(table).where(*where)).scalar_one()
        both = union_all(*selects).subquery()
        order: list[Any] = []
        if sorted_by_key:
            order.append(both.c.key.desc().nulls_first() if descending
                         else both.c.key.asc().nulls_last())
        order += [both.c.rank, both.c.created, both.c.id]
        picked = self.conn.execute(select(both.c.rank, both.c.id).order_by(*order)
                                   .limit(count).offset(start - 1)).all() if count else []
        found = {(rank, s.meta.id): s for rank, (rt, _) in enumerate(parts)
                 for s in self.get_many(rt, [i for r, i in picked if r == rank])}
        return total, [(parts[r][0], found[(r, i)]) for r, i in picked if (r, i) in found]

    def keyset_page(self, rt: ResourceType, query: ListQuery, after: tuple[int, str] | None,
                    forward: bool, count: int) -> tuple[list[Stored], bool]:
        """One cursor page in (created, id) order: the rows, and whether more rows lie beyond
        them in the direction of travel (RFC 9865). Nothing is counted: a page costs the
        same at the start and at the end of a million users."""
        table, _, where = self._matching(rt, query)
        key = tuple_(table.c.created_us, table.c.id)
        if after is not None:
            where.append(key > tuple_(*after) if forward else key < tuple_(*after))
        order = [table.c.created_us, table.c.id] if forward else \
            [table.c.created_us.desc(), table.c.id.desc()]
        rows = [_stored(r) for r in self.conn.execute(
            _readable(storage(rt)).where(*where).order_by(*order).limit(count + 1))]
        more = len(rows) > count
        rows = rows[:count]
        if not forward:
            rows.reverse()
        return rows, more

    @staticmethod
    def position(stored: Stored) -> tuple[int, str]:
        """The keyset position of a row: (created microseconds, id)."""
        return stored.created_us, stored.meta.id

    def user_groups(self, user_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """(group id, displayName) of each user's groups, read through the (org, user) index."""
        found: dict[str, list[tuple[str, str, str]]] = {u: [] for u in user_ids}
        if not user_ids:
            return {}
        for user_id, group_id, name, name_ci in self.conn.execute(
                _USER_GROUPS, {"org": self.org_id, "ids": list(user_ids)}):
            found[user_id].append((group_id, name, name_ci))
        out = {u: _in_group_order(groups) for u, groups in found.items()}
        return out

    def group_members(self, group_ids: Sequence[str]) -> dict[str, list[str]]:
        """The member user ids of each group, from the membership rows alone."""
        out: dict[str, list[str]] = {g: [] for g in group_ids}
        if not group_ids:
            return out
        m = t.memberships.c
        q = (select(m.group_id, m.user_id)
             .where(m.org_id == self.org_id, m.group_id.in_(list(group_ids)))
             .order_by(m.group_id, m.user_id))
        for group_id, user_id in self.conn.execute(q):
            out[group_id].append(user_id)
        return out

    def member_counts(self, group_ids: Sequence[str]) -> dict[str, int]:
        """How many members each group has (groups without any are left out)."""
        if not group_ids:
            return {}
        m = t.memberships.c
        rows = self.conn.execute(select(m.group_id, func.count()).where(
            m.org_id == self.org_id, m.group_id.in_(list(group_ids))).group_by(m.group_id))
        return {g: int(n) for g, n in rows}

    def iter_members(self, group_id: str, batch: int = 2000
                     ) -> Iterator[list[tuple[str, str]]]:
        """A group's members as (user id, display) in batches on this connection (see
        `members_after`)."""
        last = ""
        while True:
            rows = self.members_after(group_id, last, batch)
            if not rows:
                return
            yield rows
            if len(rows) < batch:
                return
            last = rows[-1][0]

    def members_after(self, group_id: str, after: str, limit: int) -> list[tuple[str, str]]:
        """One batch of a group's members, (user id, display), after user id `after`, by
        keyset on the primary key (org, group, user): a batch costs the same in a group of
        10 or 100,000, and each batch may be read in its own short transaction. `display`
        is the member's displayName (else userName), read with the row."""
        m, u = t.memberships.c, t.users.c
        return [(r.user_id, r.display_name or r.user_name) for r in self.conn.execute(
            select(m.user_id, u.display_name, u.user_name)
            .join_from(t.memberships, t.users, and_(u.org_id == m.org_id, u.id == m.user_id))
            .where(m.org_id == self.org_id, m.group_id == group_id, m.user_id > after)
            .order_by(m.user_id).limit(limit))]

    # -- writes ------------------------------------------------------------------------
    def serialize_writes(self) -> None:
        """Hold this organization's write lock until the transaction ends. SQLite's writers
        are serialized already (BEGIN IMMEDIATE); on PostgreSQL a transaction advisory lock
        per organization does the same, so writes that touch each other's rows (a group
        change touching its members, a member's rename touching its groups) queue instead
        of deadlocking. Other organizations are not held up."""
        if self.backend == "postgresql":
            self.conn.execute(select(func.pg_advisory_xact_lock(
                (WRITE_LOCK_SPACE << 32) | self.org_id)))

    # A resource's version and lastModified follow its representation, and the
    # representation includes the relations: a user's `groups` (with each group's name) and
    # a group's `members` (with each member's display). So a write also touches the related
    # resources whose representation it changes: the users added to or removed from a
    # group, a renamed or deleted group's members, a renamed or deleted user's groups.
    # Each of these is one statement over an index; only renaming or deleting a group
    # costs in proportion to its size.
    def insert(self, rt: ResourceType, id_: str, doc: dict[str, Any], at_us: int) -> Meta:
        """A new resource. Its row's only unique key besides its new id is the type's unique
        attribute, so the unique index alone refuses a taken one (no read first)."""
        with refused_as(_taken(rt, doc)):
            self.conn.execute(_INSERT[rt.name], {
                "org_id": self.org_id, "id": id_, "doc": doc, "version": 1,
                "created_us": at_us, "modified_us": at_us, **storage(rt).columns(rt, doc)})
        self._write_side_index(rt, id_, doc, replace=False)
        return Meta(id_, from_us(at_us), from_us(at_us), 1)

    def insert_users(self, users: Sequence[tuple[str, dict[str, Any]]], at_us: int) -> set[str]:
        """Many new users at once (bulk import; validated by the caller). The unique index
        decides: a userName already taken is skipped, not an error. Returns the ids written."""
        rows = [{"org_id": self.org_id, "id": id_, "doc": doc, "version": 1,
                 "created_us": at_us + i, "modified_us": at_us + i,
                 **STORAGE[USER.name].columns(USER, doc)}
                for i, (id_, doc) in enumerate(users)]
        dialect_insert = postgresql.insert if self.backend == "postgresql" else sqlite.insert
        stmt = (dialect_insert(t.users).values(rows)
                .on_conflict_do_nothing(index_elements=["org_id", "user_name_ci"])
                .returning(t.users.c.id))
        written = set(self.conn.execute(stmt).scalars())
        emails = [row for id_, doc in users if id_ in written
                  for row in email_rows(self.org_id, id_, doc)]
        if emails:
            self.conn.execute(insert(t.user_emails), emails)
        return written

    def update(self, rt: ResourceType, current: Stored, doc: dict[str, Any], at_us: int) -> Meta:
        """Write a new document; bumps the version by one, and touches the related resources
        whose representation shows what changed (a group's name, a member's display); none
        when `current` was read with its relation and it is empty."""
        kept = storage(rt)
        if fold(doc[rt.unique]) != fold(current.doc[rt.unique]):
            self._check_unique(rt, doc, current.meta.id)
        version = current.meta.version + 1
        values = {"doc": doc, "version": version, "modified_us": at_us,
                  **kept.columns(rt, doc)}
        self.conn.execute(_update(kept.table, list(values)), {
            "w_org": self.org_id, "w_id": current.meta.id,
            **{f"v_{k}": v for k, v in values.items()}})
        if kept.side is not None and current.doc.get(kept.side.attr) != doc.get(kept.side.attr):
            self._write_side_index(rt, current.meta.id, doc, replace=True)
        if (current.related is None or current.related) and any(
                current.doc.get(k) != doc.get(k) for k in kept.shown_by_related):
            self.touch_related(rt, current.meta.id, at_us)
        return Meta(current.meta.id, current.meta.created, from_us(at_us), version)

    def touch(self, rt: ResourceType, current: Stored, at_us: int) -> Meta:
        """Bump version and lastModified without a new document (membership changed)."""
        version = current.meta.version + 1
        self.conn.execute(_TOUCH[rt.name], {"b_org": self.org_id, "b_id": current.meta.id,
                                            "b_version": version, "b_at": at_us})
        return Meta(current.meta.id, current.meta.created, from_us(at_us), version)

    def touch_related(self, rt: ResourceType, id_: str, at_us: int) -> int:
        """Bump the version of every resource on the other side of `id_`'s memberships."""
        return int(self.conn.execute(_TOUCH_RELATED[rt.name], {
            "b_org": self.org_id, "b_id": id_, "b_at": at_us}).rowcount)

    def delete(self, rt: ResourceType, id_: str, at_us: int) -> bool:
        table = self._table(rt)
        self.touch_related(rt, id_, at_us)  # their `members` / `groups` lose this resource
        # Dependent rows first: SQLite honours ON DELETE CASCADE only with foreign_keys=ON.
        for column in storage(rt).dependents:
            self.conn.execute(delete(column.table).where(
                column.table.c.org_id == self.org_id, column == id_))
        result = self.conn.execute(delete(table).where(table.c.org_id == self.org_id,
                                                       table.c.id == id_))
        return bool(result.rowcount)

    def _check_unique(self, rt: ResourceType, doc: dict[str, Any], own_id: str | None) -> None:
        """Refuse a taken unique value before the unique index would (it stays the backstop)."""
        found = self.conn.execute(_TAKEN[rt.name], {
            "org": self.org_id, "value": fold(doc[rt.unique])}).scalar_one_or_none()
        if found is not None and found != own_id:
            raise _taken(rt, doc)

    def _write_side_index(self, rt: ResourceType, id_: str, doc: dict[str, Any], *,
                          replace: bool) -> None:
        side = storage(rt).side
        if side is None:
            return
        if replace:
            self.conn.execute(_DROP_SIDE[rt.name], {"org": self.org_id, "id": id_})
        rows = side.rows(self.org_id, id_, doc)
        if rows:
            self.conn.execute(_SIDE_INSERT[rt.name], rows)

    # -- membership ----------------------------------------------------------------------
    def missing_users(self, ids: Iterable[str]) -> list[str]:
        """The ids in `ids` that are not users of this organization."""
        wanted = list(dict.fromkeys(ids))
        found: set[str] = set()
        for chunk in _chunks(wanted, 500):
            found |= set(self.conn.execute(ms.MISSING, {"org": self.org_id, "ids": chunk})
                         .scalars())
        return [i for i in wanted if i not in found]

    def apply_member_changes(self, group_id: str, changes: Sequence[MemberChange],
                             at_us: int) -> int:
        """Apply membership deltas in order; returns how many rows changed (0: nothing did).
        Each user whose membership changed is touched: their `groups` changed."""
        m = t.memberships
        changed = 0
        for change in changes:
            if change.kind == "add":
                missing = self.missing_users(change.ids)
                if missing:
                    raise UnknownMembers(f"No user with id '{missing[0]}' in this "
                                         "organization; members must be users of the same "
                                         "organization.")
                changed += self._insert_members(group_id, change.ids, at_us)
                continue
            if change.kind == "remove":  # the common case: statements built once
                for chunk in _chunks(list(change.ids), 500):
                    listed = {"b_org": self.org_id, "b_group": group_id, "b_ids": chunk,
                              "b_at": at_us}
                    self.conn.execute(ms.TOUCH_LEAVING, listed)
                    changed += self.conn.execute(ms.REMOVE_MEMBERS, listed).rowcount
                continue
            conditions: list[Any] = []
            if change.kind == "remove_all":
                conditions = [m.c.org_id == self.org_id]
            elif change.kind == "remove_where":
                assert change.where is not None
                from doorpost.store.member_filter import member_condition
                conditions = [member_condition(change.where, text_collation(self.backend))]
            for cond in conditions:
                scope = and_(m.c.org_id == self.org_id, m.c.group_id == group_id, cond)
                self.conn.execute(update(t.users).where(  # the leaving users' `groups`
                    _u.org_id == self.org_id, _u.id.in_(select(m.c.user_id).where(scope))
                ).values(version=_u.version + 1, modified_us=at_us))
                changed += self.conn.execute(delete(m).where(scope)).rowcount
        return changed

    def _insert_members(self, group_id: str, ids: Sequence[str], at_us: int) -> int:
        rows = [{"org_id": self.org_id, "group_id": group_id, "user_id": i} for i in ids]
        if not rows:
            return 0
        total = 0
        for chunk in _chunks(rows, 500):  # rowcount is unreliable here: RETURNING counts
            added = list(self.conn.execute(ms.ADD_MEMBERS[self.backend], chunk).scalars())
            if added:
                self.conn.execute(ms.TOUCH_USERS, {"b_org": self.org_id, "b_ids": added,
                                                   "b_at": at_us})
            total += len(added)
        return total


def _taken(rt: ResourceType, doc: dict[str, Any]) -> Duplicate:
    return Duplicate(f"{rt.unique} '{doc[rt.unique]}' is already taken in this organization.")


WRITE_LOCK_SPACE = 0x5C1  # the advisory-lock namespace of SCIM writes (key: organization id)


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]

