"""The change feed's writer: every write announces what it changed in its own transaction.

A write opens an `Announcer` on its transaction, tells it whose doors the write may change
(`watch`, before changing anything), says what it changed (`emit`), and calls `commit` just
before its transaction commits. `commit` reads the watched people again, derives the
consequences (`membership.added` / `.removed`, and per (person, door) `access.granted` /
`access.revoked`, from `access_rule.doors_open_to`, the one rule) and appends everything to
the outbox with the organization's next sequence numbers. So nothing is announced that did
not commit, and nothing that committed goes unannounced; a controller can drop a credential
on `access.revoked` without recomputing anything.

Writes that can change access hold the organization's write lock (`serialize_writes`)
before `watch`, so two of them cannot each miss the other's half of a change.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, replace
from typing import Any, Iterable

from sqlalchemy import Connection

from doorpost.scim.patch import MemberChange
from doorpost.service.access_rule import (document_changes_access, doors_open_to,
                                          granted_reason, opens_doors, shut_reason)
from doorpost.store.changes import ChangeStore, DoorRow, Standing
from doorpost.store.database import after_commit

NEW_EVENTS = threading.Event()  # set when this process commits events: workers wake at once


@dataclass(frozen=True)
class EventType:
    name: str
    description: str
    set_uri: str  # its RFC 9967 event URI in a Security Event Token


_DP = "urn:doorpost:params:event:"
_PROV = "urn:ietf:params:scim:event:prov:"
EVENT_TYPES: dict[str, EventType] = {e.name: e for e in [
    EventType("user.created", "The identity provider created a person.", _PROV + "create:notice"),
    EventType("user.updated", "A person's attributes changed.", _PROV + "patch:notice"),
    EventType("user.deactivated", "The identity provider set active to false.",
              _PROV + "deactivate"),
    EventType("user.activated", "The identity provider set active to true.", _PROV + "activate"),
    EventType("user.deleted", "The identity provider deleted a person.", _PROV + "delete"),
    EventType("group.created", "A group was created.", _PROV + "create:notice"),
    EventType("group.updated", "A group's attributes changed.", _PROV + "patch:notice"),
    EventType("group.deleted", "A group was deleted.", _PROV + "delete"),
    EventType("membership.added", "A person joined a group.", _DP + "membership:added"),
    EventType("membership.removed", "A person left a group.", _DP + "membership:removed"),
    EventType("place.created", "An owner created a place.", _DP + "place:created"),
    EventType("door.created", "An owner created a door.", _DP + "door:created"),
    EventType("grant.added", "A group may now open a door.", _DP + "grant:added"),
    EventType("grant.removed", "A group may no longer open a door.", _DP + "grant:removed"),
    EventType("member.suspended", "An owner suspended a person.", _DP + "member:suspended"),
    EventType("member.unsuspended", "An owner lifted a suspension.", _DP + "member:unsuspended"),
    EventType("access.granted", "A person may now open a door.", _DP + "access:granted"),
    EventType("access.revoked", "A person may no longer open a door: drop their credential.",
              _DP + "access:revoked"),
]}


def matches(patterns: Iterable[str], event_type: str) -> bool:
    """Does a subscription's list of types (`access.*`, `user.deleted`, `*`) take this one?"""
    for pattern in patterns:
        if pattern in ("*", event_type) or (
                pattern.endswith(".*") and event_type.startswith(pattern[:-1])):
            return True
    return False


def valid_pattern(pattern: str) -> bool:
    return pattern == "*" or pattern in EVENT_TYPES or (
        pattern.endswith(".*") and any(t.startswith(pattern[:-1]) for t in EVENT_TYPES))


def person(user_id: str, standing: Standing | None) -> dict[str, Any]:
    return {"id": user_id, "userName": standing.user_name if standing else None,
            "externalId": standing.external_id if standing else None}


def door_ref(door: DoorRow | None, door_id: str) -> dict[str, Any]:
    return {"id": door_id, "name": door.name if door else None,
            "place": door.place_id if door else None}


class Announcer:
    """One write transaction's events, appended to the outbox by `commit`."""

    def __init__(self, conn: Connection, org_id: int, at_us: int) -> None:
        self.store = ChangeStore(conn, org_id)
        self.at_us = at_us
        self.events: list[tuple[str, dict[str, Any]]] = []
        self._before: dict[str, Standing] = {}
        self._watched: set[str] = set()
        self._grants_before: dict[str, frozenset[str]] | None = None
        self._grants_changed = False
        self._documents_only: set[str] = set()
        self._documents: dict[str, dict[str, Any]] = {}
        self._group_names: dict[str, str] = {}  # groups whose document this write holds

    # -- before the change -----------------------------------------------------------
    def watch(self, user_ids: Iterable[str], only_their_documents: bool = False) -> None:
        """These people's doors may change: remember their standing now.

        `only_their_documents`: the write changes nothing but these people's own SCIM
        documents (a PUT or PATCH of a User), so their groups and suspensions stay as they
        are and their new `active` is the document's. Their standing after the write is
        then known without reading it again, and when no group opens any door, such a
        write cannot change anyone's access, so nothing needs reading at all."""
        new = set(user_ids) - self._watched
        if not new:
            return
        if self._grants_before is None:
            self._grants_before = self.store.grants()
        self._watched |= new
        if only_their_documents:
            self._documents_only |= new
            if not self._grants_before:
                return
        self._before.update(self.store.standings(new))

    def grants_changed(self) -> None:
        """This write adds or removes a grant: read them again before deriving."""
        self._grants_changed = True

    def watch_group(self, group_id: str, changes: Iterable[MemberChange] = (),
                    everyone: bool = False) -> None:
        """A group change: the people it names, or all its members when it removes by
        filter, removes everyone, is deleted, or gains or loses a door."""
        changes = list(changes)
        ids = {i for c in changes if c.kind in ("add", "remove") for i in c.ids}
        if everyone or any(c.kind not in ("add", "remove") for c in changes):
            ids |= set(self.store.member_ids(group_id))
        self.watch(ids)

    def watch_write(self, kind: str, id_: str, changes: Iterable[MemberChange] = (),
                    deleting: bool = False,
                    documents: tuple[dict[str, Any], dict[str, Any]] | None = None) -> None:
        """Whose doors a SCIM PUT, PATCH or DELETE of a resource may change: a group's
        members it names (all of them when it goes), or a user, whose own document is all
        the write changes unless the user goes (their memberships go too). `documents`:
        the user's document before and after; when the rule says the change cannot open or
        shut a door (`document_changes_access`), nobody is watched and nothing is read."""
        if kind == "group":
            self.watch_group(id_, changes, everyone=deleting)
        elif deleting or documents is None or document_changes_access(*documents):
            self.watch([id_], only_their_documents=not deleting)

    # -- the change itself -----------------------------------------------------------
    def emit(self, type_: str, data: dict[str, Any]) -> None:
        assert type_ in EVENT_TYPES, type_
        self.events.append((type_, data))

    def resource(self, kind: str, id_: str, before: dict[str, Any] | None,
                 after: dict[str, Any] | None) -> None:
        """A SCIM resource was created, changed or deleted (kind: "user" or "group")."""
        doc = after if after is not None else before or {}
        ref: dict[str, Any] = {"id": id_, "externalId": doc.get("externalId")}
        if kind == "user":
            ref |= {"userName": doc.get("userName"), "active": doc.get("active")}
        else:
            ref |= {"displayName": doc.get("displayName")}
        old, new = before or {}, after or {}
        if kind == "user" and after is not None:
            self._documents[id_] = after
        elif kind == "group" and after is not None and isinstance(after.get("displayName"), str):
            self._group_names[id_] = after["displayName"]  # as it commits
        changed = sorted(k for k in {*old, *new} if old.get(k) != new.get(k))
        if before is None:
            self.emit(f"{kind}.created", {kind: ref, "attributes": changed})
        elif after is None:
            self.emit(f"{kind}.deleted", {kind: ref})
        elif changed:
            self.emit(f"{kind}.updated", {kind: ref, "attributes": changed})
            if kind == "user" and document_changes_access(old, new):
                self.emit("user.activated" if opens_doors(new.get("active"))
                          else "user.deactivated", {kind: ref})

    # -- just before the transaction commits ------------------------------------------
    def commit(self) -> int | None:
        """Derive the consequences and append every event; the last sequence number."""
        self._derive()
        if not self.events:
            return None
        after_commit(self.store.conn, NEW_EVENTS.set)
        return self.store.append([(uuid.uuid4().hex, type_, self.at_us, data)
                                  for type_, data in self.events])

    def _derive(self) -> None:
        if not self._watched:
            return
        read_again = self._watched - self._documents_only
        after = self.store.standings(read_again) if read_again else {}
        for user_id in self._documents_only & self._before.keys():
            doc = self._documents.get(user_id)
            if doc is not None:  # the stored columns, as Directory derives them
                after[user_id] = replace(self._before[user_id], user_name=doc["userName"],
                                         external_id=doc.get("externalId"),
                                         active=doc.get("active"))
        grants_before = self._grants_before or {}
        grants_after = self.store.grants() if self._grants_changed else grants_before
        joined: dict[tuple[str, str], bool] = {}
        access: list[tuple[str, str, bool]] = []  # (user, door, granted)
        for user_id in sorted(self._watched):
            if user_id in self._documents_only and user_id not in self._before:
                continue  # not read: no group opens a door, so nothing can follow
            was, now = self._before.get(user_id), after.get(user_id)
            for group in sorted((was.groups if was else frozenset())
                                ^ (now.groups if now else frozenset())):
                joined[(user_id, group)] = bool(now and group in now.groups)
            open_before = _doors(was, grants_before)
            open_after = _doors(now, grants_after)
            for door in sorted(open_before ^ open_after):
                access.append((user_id, door, door in open_after))
        if not joined and not access:
            return
        wanted = {g for _, g in joined} | (set(grants_after) if access else set())
        names = {**self._group_names, **self._deleted_group_names()}
        unknown = wanted - names.keys()
        names.update(self.store.group_names(unknown) if unknown else {})
        doors = self.store.doors() if access else {}
        for (user_id, group), added in joined.items():
            standing = after.get(user_id) or self._before.get(user_id)
            self.emit("membership.added" if added else "membership.removed", {
                "group": {"id": group, "displayName": names.get(group)},
                "user": person(user_id, standing)})
        for user_id, door, granted in access:
            was, now = self._before.get(user_id), after.get(user_id)
            self.emit("access.granted" if granted else "access.revoked", {
                "user": person(user_id, now or was),
                "door": door_ref(doors.get(door), door),
                "reason": _why(granted, was, now, door, grants_after, names)})

    def _deleted_group_names(self) -> dict[str, str]:
        """Names of groups this write deleted, from its own `group.deleted` event."""
        return {d["group"]["id"]: d["group"]["displayName"]
                for type_, d in self.events if type_ == "group.deleted"}


def _doors(standing: Standing | None, grants: dict[str, frozenset[str]]) -> frozenset[str]:
    if standing is None:
        return frozenset()
    return doors_open_to(standing.active, standing.suspended, standing.groups, grants)


def _why(granted: bool, was: Standing | None, now: Standing | None, door: str,
         grants: dict[str, frozenset[str]], names: dict[str, str]) -> str:
    """Why this person's access to this door changed, in words."""
    if granted:
        assert now is not None
        return granted_reason(sorted(names.get(g, g) for g in now.groups
                                     if door in grants.get(g, ())))
    if now is None:
        return "the person was deleted"
    return shut_reason(now.active, now.suspended) or \
        "no group of this person opens the door any more"
