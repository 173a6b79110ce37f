"""How each resource type is kept in rows: one descriptor per type, read by every query.

The directory, the filter translator and the membership code never ask "is this a User?":
they ask the type's `Storage` for its table, the columns its filters may use, the side table
that indexes a multi-valued attribute, the membership column on its side of the relation,
and the rows that go when it goes. A new resource type is a new entry here, not a new
branch in each of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Mapping

from sqlalchemy import Column, Table

from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.scim.schema import ResourceType
from doorpost.scim.text import fold
from doorpost.scim.values import folded_document
from doorpost.store import tables as t

Row = dict[str, Any]


@dataclass(frozen=True)
class SideIndex:
    """A multi-valued attribute indexed in its own table (a user's `emails`): filters on the
    listed sub-attributes search that table's index and join back by id."""

    attr: str
    table: Table
    owner: Column[Any]  # the column naming the resource
    fields: Mapping[str, Column[Any]]  # sub-attribute → its folded column
    rows: Callable[[int, str, dict[str, Any]], list[Row]]  # the index rows of a document


@dataclass(frozen=True)
class Storage:
    table: Table
    unique: Column[Any]  # the folded column behind `ResourceType.unique`
    # Filterable attributes with a column of their own (lower-cased path → column name and
    # how it compares); the rest are read from the folded document.
    indexed: Mapping[str, tuple[str, str]]
    derived: Callable[[dict[str, Any]], Row]  # the indexed columns of a document
    shown_by_related: tuple[str, ...]  # what the other side shows of this resource
    own: Column[Any]  # the membership column naming this side
    other: Column[Any]  # the membership column naming the related resource
    related: Table  # the related resources' table
    dependents: tuple[Column[Any], ...]  # rows that go with the resource, by the column naming it
    side: SideIndex | None = None
    readable: tuple[Column[Any], ...] = field(init=False)

    def __post_init__(self) -> None:
        # Everything but `doc_ci`, which only filters use (reading it would parse a second
        # copy of every document).
        object.__setattr__(self, "readable",
                           tuple(c for c in self.table.c if c.name != "doc_ci"))

    def columns(self, rt: ResourceType, doc: dict[str, Any]) -> Row:
        """Every column a document derives: the indexed ones and the folded document."""
        return {"doc_ci": folded_document(doc, rt), "external_id": doc.get("externalId"),
                **self.derived(doc)}


def email_rows(org_id: int, user_id: str, doc: dict[str, Any]) -> list[Row]:
    """The `user_emails` index rows of a user: folded address and type, in list order."""
    return [{"org_id": org_id, "user_id": user_id, "position": i,
             "type_ci": fold(item["type"]) if item.get("type") else None,
             "value_ci": fold(str(item["value"]))}
            for i, item in enumerate(doc.get("emails") or []) if item.get("value")]


_m = t.memberships.c
STORAGE: dict[str, Storage] = {
    USER_TYPE.name: Storage(
        t.users, t.users.c.user_name_ci,
        {"username": ("user_name_ci", "text_ci"), "active": ("active", "bool")},
        lambda doc: {"user_name": doc["userName"], "user_name_ci": fold(doc["userName"]),
                     "display_name": doc.get("displayName"), "active": doc.get("active")},
        ("displayName", "userName"), _m.user_id, _m.group_id, t.groups,
        (t.user_emails.c.user_id, _m.user_id, t.member_suspensions.c.user_id),
        SideIndex("emails", t.user_emails, t.user_emails.c.user_id,
                  {"value": t.user_emails.c.value_ci, "type": t.user_emails.c.type_ci},
                  email_rows)),
    GROUP_TYPE.name: Storage(
        t.groups, t.groups.c.display_name_ci,
        {"displayname": ("display_name_ci", "text_ci")},
        lambda doc: {"display_name": doc["displayName"],
                     "display_name_ci": fold(doc["displayName"])},
        ("displayName",), _m.group_id, _m.user_id, t.users,
        (_m.group_id, t.door_grants.c.group_id)),
}


def storage(rt: ResourceType) -> Storage:
    return STORAGE[rt.name]
