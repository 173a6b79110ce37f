"""Read models for the owner console: members and groups as an owner sees them.

Searches are SCIM filter trees run by the same SQL translation, so the console and the API
find exactly the same people.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.scim.filter import And, Compare, Filter, Not, Or, parse_filter
from doorpost.scim.listing import ListQuery
from doorpost.scim.render import Projection
from doorpost.scim.schema import ResourceType
from doorpost.service.access import opens_doors
from doorpost.service.profile import Field, manager_id, profile
from doorpost.store.activity import ActivityRow, ActivityStore
from doorpost.store.database import Database
from doorpost.store.directory import Directory, Stored

PAGE = 50


@dataclass(frozen=True)
class Member:
    stored: Stored
    groups: list[tuple[str, str]]
    manager_name: str | None = None
    deactivated_us: int | None = None  # when the identity provider set active to false

    @property
    def raw(self) -> dict[str, Any]:
        """The stored document for whoever asks, without the password's digest."""
        return {k: v for k, v in self.stored.doc.items() if k != "password"}

    @property
    def fields(self) -> list[Field]:
        """The document as labeled fields (`service/profile.py`)."""
        manager = manager_id(self.stored.doc)
        return profile(self.stored.doc, {manager: self.manager_name}
                       if manager and self.manager_name else None)

    @property
    def id(self) -> str:
        return self.stored.meta.id

    @property
    def active(self) -> bool:
        """May this person open doors? The access decision's own rule."""
        return opens_doors(self.stored.doc.get("active"))

    @property
    def status(self) -> str:
        """Why this person may or may not open doors, in an owner's words."""
        active = self.stored.doc.get("active")
        if opens_doors(active):
            return "active"
        if active is False:
            return "suspended by identity provider"
        return "not active: the identity provider has not set 'active'"

    @property
    def email(self) -> str:
        emails = self.stored.doc.get("emails") or []
        primary = [e for e in emails if e.get("primary")] or emails
        return str(primary[0].get("value", "")) if primary else ""

    @property
    def name(self) -> str:
        return person_name(self.stored.doc)


def person_name(doc: dict[str, Any]) -> str:
    """The one way a person is named in the console and on `/me`: displayName, else
    name.formatted, else given and family name, else userName."""
    raw = doc.get("name")
    name: dict[str, Any] = raw if isinstance(raw, dict) else {}
    parts = " ".join(str(p) for p in (name.get("givenName"), name.get("familyName")) if p)
    return str(doc.get("displayName") or name.get("formatted") or parts or
               doc.get("userName", ""))


@dataclass(frozen=True)
class GroupRow:
    stored: Stored
    member_count: int

    @property
    def id(self) -> str:
        return self.stored.meta.id


MEMBER_SEARCH = ("userName", "displayName", "emails.value", "name.formatted")
GROUP_SEARCH = ("displayName",)


def _contains(rt: ResourceType, paths: tuple[str, ...], text: str) -> Filter | None:
    """`a co text or b co text …`, built as a filter tree (never as filter text), so the
    console's search means exactly what the same SCIM filter means: the same folding, on
    both databases. None when there is nothing to search for."""
    text = text.strip()
    if not text:
        return None
    items: list[Filter] = []
    for name in paths:
        path = rt.resolve(name)
        assert path is not None, name
        items.append(Compare(path, "co", text))
    return items[0] if len(items) == 1 else Or(tuple(items))


def _all_of(*parts: Filter | None) -> Filter | None:
    kept = tuple(p for p in parts if p is not None)
    return None if not kept else kept[0] if len(kept) == 1 else And(kept)


def _query(node: Filter | None, page: int) -> ListQuery:
    return ListQuery(node, (page - 1) * PAGE + 1, PAGE, None, False, Projection())


_ACTIVE = parse_filter("active eq true", USER_TYPE)  # `opens_doors`: only true is active
STATUS_FILTERS: dict[str, Filter] = {"active": _ACTIVE, "suspended": Not(_ACTIVE)}


class DirectoryView:
    def __init__(self, db: Database) -> None:
        self.db = db

    def members(self, org_id: int, search: str = "", status: str = "", page: int = 1
                ) -> tuple[int, list[Member]]:
        if "\x00" in search:
            return 0, []  # nothing stored holds a NUL
        node = _all_of(_contains(USER_TYPE, MEMBER_SEARCH, search), STATUS_FILTERS.get(status))
        with self.db.read() as conn:
            directory = Directory(conn, org_id, self.db.backend)
            total, items = directory.page(USER_TYPE, _query(node, page))
            groups = directory.user_groups([s.meta.id for s in items])
        return total, [Member(s, groups[s.meta.id]) for s in items]

    def member(self, org_id: int, user_id: str) -> tuple[Member, list[ActivityRow]] | None:
        with self.db.read() as conn:
            directory = Directory(conn, org_id, self.db.backend)
            stored = directory.get(USER_TYPE, user_id)
            if stored is None:
                return None
            groups = directory.user_groups([user_id])[user_id]
            _, history = ActivityStore(conn).search(org_id, resource_id=user_id, limit=100)
            boss = manager_id(stored.doc)
            found = directory.get(USER_TYPE, boss) if boss else None
        when = next((r.time_us for r in history if r.changes and r.status < 400
                     and (r.changes.get("after") or {}).get("active") is False), None)
        return Member(stored, groups, person_name(found.doc) if found else None,
                      when if stored.doc.get("active") is False else None), history

    def groups(self, org_id: int, search: str = "", page: int = 1
               ) -> tuple[int, list[GroupRow]]:
        if "\x00" in search:
            return 0, []
        with self.db.read() as conn:
            directory = Directory(conn, org_id, self.db.backend)
            total, items = directory.page(GROUP_TYPE, _query(
                _contains(GROUP_TYPE, GROUP_SEARCH, search), page))
            counts = directory.member_counts([s.meta.id for s in items])
        return total, [GroupRow(s, counts.get(s.meta.id, 0)) for s in items]

    def group(self, org_id: int, group_id: str, page: int = 1, search: str = ""
              ) -> tuple[GroupRow, int, list[Member]] | None:
        """The group, how many of its members match `search`, and that page of them (by
        name, email or userName, as on the Members page)."""
        if "\x00" in search:
            search = ""
        in_group = Compare(USER_TYPE.resolve("groups.value"), "eq", group_id)  # type: ignore[arg-type]
        node = _all_of(in_group, _contains(USER_TYPE, MEMBER_SEARCH, search))
        with self.db.read() as conn:
            directory = Directory(conn, org_id, self.db.backend)
            stored = directory.get(GROUP_TYPE, group_id)
            if stored is None:
                return None
            count = directory.member_counts([group_id]).get(group_id, 0)
            matched, members = directory.page(USER_TYPE, _query(node, page))
        return GroupRow(stored, count), matched, [Member(s, []) for s in members]
