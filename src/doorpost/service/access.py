"""Places, doors, grants and suspensions: the owner's side of who may open which door.

The rule itself is `access_rule` (active at the identity provider, not suspended here, and
a group that opens the door). `active: false` closes every door on the very next decision,
while the record and memberships stay, so re-activation restores access exactly as it was.
Decisions read the database each time: there is no cache to go stale. Every change here is
announced on the change feed in its own transaction (`changes.Announcer`), with the access
consequences derived from the same rule.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Connection

from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.service.access_rule import AtDoor, Decision, decision, opens_doors
from doorpost.service.changes import Announcer, door_ref, person
from doorpost.service.organizations import organization
from doorpost.service.errors import AdminError, NotFoundError, admin_write
from doorpost.store.changes import ChangeStore, DoorRow
from doorpost.store.database import Database
from doorpost.store.directory import Directory
from doorpost.service.clock import now_us
from doorpost.store.doors import AccessEvent, Door, DoorStore, Place, Suspension
from doorpost.store.orgs import Organization

__all__ = ["Decision", "Doors", "opens_doors"]


def _name(name: str, what: str) -> str:
    name = name.strip()
    if not name or len(name) > 200 or "\x00" in name:
        raise AdminError(f"A {what} needs a name of 1 to 200 characters.")
    return name


class Doors:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _org(self, conn: Connection, slug: str) -> Organization:
        return organization(conn, slug)

    def _writing(self, conn: Connection, slug: str) -> tuple[Organization, DoorStore,
                                                             Announcer]:
        """A write that may change access: the organization's write lock first (the one
        SCIM writes take), so the change feed's before/after comparison cannot interleave."""
        org = self._org(conn, slug)
        Directory(conn, org.id, self.db.backend).serialize_writes()
        return org, DoorStore(conn, org.id), Announcer(conn, org.id, now_us())

    # -- places and doors ------------------------------------------------------------
    def create_place(self, slug: str, name: str) -> Place:
        name = _name(name, "place")
        with admin_write(self.db) as conn:
            _, store, feed = self._writing(conn, slug)
            if store.place(name) is not None:
                raise AdminError(f"A place named '{name}' already exists.")
            place = store.create_place(str(uuid.uuid4()), name, feed.at_us)
            feed.emit("place.created", {"place": {"id": place.id, "name": place.name}})
            feed.commit()
            return place

    def places(self, slug: str) -> list[Place]:
        with self.db.read() as conn:
            return DoorStore(conn, self._org(conn, slug).id).places()

    def create(self, slug: str, name: str, place: str | None = None) -> Door:
        name = _name(name, "door")
        with admin_write(self.db) as conn:
            _, store, feed = self._writing(conn, slug)
            place_id = None
            if place:
                found = store.place(place)
                if found is None:
                    raise NotFoundError(f"No place '{place}' in '{slug}'.")
                place_id = found.id
            if store.by_id_or_name(name) is not None:
                raise AdminError(f"A door named '{name}' already exists.")
            door = store.create(str(uuid.uuid4()), name, feed.at_us, place_id)
            feed.emit("door.created", {"door": door_ref(DoorRow(door.id, door.name,
                                                                 place_id), door.id)})
            feed.commit()
            return door

    def all(self, slug: str) -> list[Door]:
        with self.db.read() as conn:
            return DoorStore(conn, self._org(conn, slug).id).all()

    def _door(self, store: DoorStore, slug: str, door: str) -> Door:
        found = store.by_id_or_name(door)
        if found is None:
            raise NotFoundError(f"No door '{door}' in '{slug}'.")
        return found

    def grant(self, slug: str, door: str, group_id: str) -> Door:
        """Let members of `group_id` (a SCIM group id) open `door` (its id or name)."""
        return self._change_grant(slug, door, group_id, adding=True)

    def revoke(self, slug: str, door: str, group_id: str) -> Door:
        """Stop `group_id` from opening `door`; its members lose it on the next decision,
        and the change feed says `access.revoked` for each of them."""
        return self._change_grant(slug, door, group_id, adding=False)

    def _change_grant(self, slug: str, door: str, group_id: str, adding: bool) -> Door:
        with admin_write(self.db) as conn:
            org, store, feed = self._writing(conn, slug)
            found = self._door(store, slug, door)
            group = Directory(conn, org.id, self.db.backend).get(GROUP_TYPE, group_id)
            if group is None:
                raise NotFoundError(f"No group '{group_id}' in '{slug}'.")
            feed.watch_group(group_id, everyone=True)
            feed.grants_changed()
            changed = store.grant(found.id, group_id) if adding else \
                store.revoke(found.id, group_id)
            if not changed and not adding:
                raise NotFoundError(f"Group '{group_id}' does not open '{found.name}'.")
            if changed:
                feed.emit("grant.added" if adding else "grant.removed", {
                    "door": door_ref(DoorRow(found.id, found.name, found.place_id), found.id),
                    "group": {"id": group_id, "displayName": group.doc.get("displayName")}})
            feed.commit()
            return found

    # -- an owner's suspension -------------------------------------------------------
    def suspend(self, slug: str, user_id: str, by: str, reason: str = "") -> Suspension:
        """Close every door for this person until an owner lifts it, whatever the identity
        provider says; the record stays visible to the identity provider as it was."""
        with admin_write(self.db) as conn:
            org, store, feed = self._writing(conn, slug)
            self._person(conn, org, user_id)
            feed.watch([user_id])
            suspension = Suspension(user_id, feed.at_us, by, reason.strip()[:500])
            if not store.suspend(suspension):
                raise AdminError("This person is suspended already.")
            standing = ChangeStore(conn, org.id).standings([user_id]).get(user_id)
            feed.emit("member.suspended", {"user": person(user_id, standing), "by": by,
                                           "reason": suspension.reason})
            feed.commit()
            return suspension

    def unsuspend(self, slug: str, user_id: str, by: str) -> None:
        with admin_write(self.db) as conn:
            org, store, feed = self._writing(conn, slug)
            self._person(conn, org, user_id)
            feed.watch([user_id])
            if not store.unsuspend(user_id):
                raise AdminError("This person is not suspended.")
            standing = ChangeStore(conn, org.id).standings([user_id]).get(user_id)
            feed.emit("member.unsuspended", {"user": person(user_id, standing), "by": by})
            feed.commit()

    def suspension(self, org_id: int, user_id: str) -> Suspension | None:
        with self.db.read() as conn:
            return DoorStore(conn, org_id).suspension(user_id)

    def _person(self, conn: Connection, org: Organization, user_id: str) -> None:
        if Directory(conn, org.id, self.db.backend).get(USER_TYPE, user_id) is None:
            raise NotFoundError(f"No user '{user_id}' in '{org.slug}'.")

    # -- what the console shows ------------------------------------------------------
    def overview(self, slug: str) -> tuple[list[tuple[Door, list[tuple[str, str]]]],
                                            list[tuple[str, str]]]:
        """Each door with the groups that open it, and the groups one could grant."""
        with self.db.read() as conn:
            store = DoorStore(conn, self._org(conn, slug).id)
            grants: dict[str, list[tuple[str, str]]] = {}
            for door_id, group_id, name in store.grants():
                grants.setdefault(door_id, []).append((group_id, name))
            return [(d, grants.get(d.id, [])) for d in store.all()], store.group_choices()

    def group_doors(self, org_id: int, group_id: str) -> list[Door]:
        """The doors a group opens (for the group page)."""
        with self.db.read() as conn:
            store = DoorStore(conn, org_id)
            ids = {d for d, g, _ in store.grants() if g == group_id}
            return [d for d in store.all() if d.id in ids]

    def access_log(self, org_id: int, door_id: str | None = None, result: str = "",
                   user_id: str | None = None, limit: int = 200
                   ) -> list[tuple[AccessEvent, str | None, str | None, str | None]]:
        """Recorded decisions, newest first; `result` is "allowed", "denied" or ""."""
        allowed = {"allowed": True, "denied": False}.get(result)
        with self.db.read() as conn:
            return DoorStore(conn, org_id).access_log(door_id or None, allowed,
                                                      user_id or None, limit)

    # -- decisions -------------------------------------------------------------------
    def decide(self, slug: str, user_id: str, door: str) -> Decision:
        with self.db.read() as conn:
            store = DoorStore(conn, self._org(conn, slug).id)
            found = self._door(store, slug, door)
            return _decided(found, store, user_id)

    def member_doors(self, org_id: int, user_id: str) -> list[tuple[Door, Decision]]:
        """Every door of the organization and what the decision for this person is now."""
        with self.db.read() as conn:
            store = DoorStore(conn, org_id)
            return [(d, _decided(d, store, user_id)) for d in store.all()]

    def unlock(self, org_id: int, user_id: str, door_id: str, source: str
               ) -> tuple[Decision, str]:
        """Ask the decision for an unlock and record it (the door hardware comes later):
        the decision and the id of its access event."""
        with admin_write(self.db) as conn:
            store = DoorStore(conn, org_id)
            found = store.by_id_or_name(door_id)
            if found is None or found.id != door_id:
                raise NotFoundError("No such door.")
            result = _decided(found, store, user_id)
            event_id = uuid.uuid4().hex
            store.record_access(AccessEvent(event_id, now_us(), user_id, found.id,
                                            result.allowed, result.reason, source))
            return result, event_id


def _decided(door: Door, store: DoorStore, user_id: str) -> Decision:
    found = store.granting_groups(user_id, door.id)
    return decision(door.name, AtDoor(*found) if found is not None else None)
