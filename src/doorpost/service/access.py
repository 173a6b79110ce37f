"""Who may open which door: the decision deprovisioning must change at once.

A person may open a door when they are `active` and at least one of their groups opens it
(groups combine permissively). `active: false` from the identity provider closes every door
for that person on the very next decision, while their record and group memberships stay,
so re-activation restores access exactly as it was. The decision reads the database each
time: there is no cache to go stale.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Connection

from doorpost.scim.definitions import GROUP_TYPE
from doorpost.service.errors import AdminError, NotFoundError
from doorpost.store.database import Database
from doorpost.store.directory import Directory, now_us
from doorpost.store.doors import AccessEvent, Door, DoorStore
from doorpost.store.orgs import Organization, OrgStore


def opens_doors(active: object) -> bool:
    """THE rule: only a user whose `active` is, positively, `true` may open a door.

    `false` (deactivated by the identity provider) and unassigned (a client removed
    `active`) both keep every door shut, and so does anything unreadable: the decision
    fails closed. Every place that shows or decides access asks this function."""
    return active is True


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


class Doors:
    def __init__(self, db: Database) -> None:
        self.db = db

    def _org(self, conn: Connection, slug: str) -> Organization:
        org = OrgStore(conn).by_slug(slug)
        if org is None:
            raise NotFoundError(f"No organization with slug '{slug}'.")
        return org

    def create(self, slug: str, name: str) -> Door:
        name = name.strip()
        if not name or len(name) > 200:
            raise AdminError("A door needs a name of 1 to 200 characters.")
        with self.db.write() as conn:
            store = DoorStore(conn, self._org(conn, slug).id)
            if store.by_id_or_name(name) is not None:
                raise AdminError(f"A door named '{name}' already exists.")
            return store.create(str(uuid.uuid4()), name, now_us())

    def all(self, slug: str) -> list[Door]:
        with self.db.read() as conn:
            return DoorStore(conn, self._org(conn, slug).id).all()

    def grant(self, slug: str, door: str, group_id: str) -> Door:
        """Let members of `group_id` (a SCIM group id) open `door` (its id or name)."""
        with self.db.write() as conn:
            org = self._org(conn, slug)
            store = DoorStore(conn, org.id)
            found = store.by_id_or_name(door)
            if found is None:
                raise NotFoundError(f"No door '{door}' in '{slug}'.")
            if Directory(conn, org.id, self.db.backend).get(GROUP_TYPE, group_id) is None:
                raise NotFoundError(f"No group '{group_id}' in '{slug}'.")
            store.grant(found.id, group_id)
            return found

    def revoke(self, slug: str, door: str, group_id: str) -> Door:
        """Stop `group_id` from opening `door`; its members lose it on the next decision."""
        with self.db.write() as conn:
            store = DoorStore(conn, self._org(conn, slug).id)
            found = store.by_id_or_name(door)
            if found is None:
                raise NotFoundError(f"No door '{door}' in '{slug}'.")
            if not store.revoke(found.id, group_id):
                raise NotFoundError(f"Group '{group_id}' does not open '{found.name}'.")
            return found

    def overview(self, slug: str) -> tuple[list[tuple[Door, list[tuple[str, str]]]],
                                            list[tuple[str, str]]]:
        """Each door with the groups that open it, and the groups one could grant."""
        with self.db.read() as conn:
            store = DoorStore(conn, self._org(conn, slug).id)
            grants: dict[str, list[tuple[str, str]]] = {}
            for door_id, group_id, name in store.grants():
                grants.setdefault(door_id, []).append((group_id, name))
            return [(d, grants.get(d.id, [])) for d in store.all()], store.group_choices()

    def decide(self, slug: str, user_id: str, door: str) -> Decision:
        with self.db.read() as conn:
            store = DoorStore(conn, self._org(conn, slug).id)
            found = store.by_id_or_name(door)
            if found is None:
                raise NotFoundError(f"No door '{door}' in '{slug}'.")
            return decision(found, store.granting_groups(user_id, found.id))

    def member_doors(self, org_id: int, user_id: str) -> list[tuple[Door, Decision]]:
        """Every door of the organization and what the decision for this person is now."""
        with self.db.read() as conn:
            store = DoorStore(conn, org_id)
            return [(d, decision(d, store.granting_groups(user_id, d.id))) for d in store.all()]

    def unlock(self, org_id: int, user_id: str, door_id: str, source: str
               ) -> tuple[Decision, str]:
        """Ask the decision for an unlock and record it (the door hardware comes later):
        the decision and the id of its access event."""
        with self.db.write() as conn:
            store = DoorStore(conn, org_id)
            found = store.by_id_or_name(door_id)
            if found is None or found.id != door_id:
                raise NotFoundError("No such door.")
            result = decision(found, store.granting_groups(user_id, found.id))
            event_id = uuid.uuid4().hex
            store.record_access(AccessEvent(event_id, now_us(), user_id, found.id,
                                            result.allowed, result.reason, source))
            return result, event_id


def decision(door: Door, user: tuple[bool | None, list[str]] | None) -> Decision:
    """The access decision from what the store read: fails closed at every step."""
    if user is None:
        return Decision(False, "no such user in this organization")
    active, groups = user
    if not opens_doors(active):
        return Decision(False, "deactivated by the identity provider (active: false)"
                        if active is False else "not active (active is unassigned)")
    if not groups:
        return Decision(False, f"no group of this person opens '{door.name}'")
    return Decision(True, f"member of {', '.join(groups)}")
