"""Doors, which groups open them, and the access decision's one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, insert, select

from doorpost.store import tables as t


@dataclass(frozen=True)
class Door:
    id: str
    name: str


class DoorStore:
    def __init__(self, conn: Connection, org_id: int) -> None:
        self.conn = conn
        self.org_id = org_id

    def create(self, door_id: str, name: str, at_us: int) -> Door:
        self.conn.execute(insert(t.doors).values(org_id=self.org_id, id=door_id, name=name,
                                                 created_us=at_us))
        return Door(door_id, name)

    def all(self) -> list[Door]:
        d = t.doors.c
        return [Door(r.id, r.name) for r in self.conn.execute(
            select(d.id, d.name).where(d.org_id == self.org_id).order_by(d.name))]

    def by_id_or_name(self, key: str) -> Door | None:
        d = t.doors.c
        row = self.conn.execute(select(d.id, d.name).where(
            d.org_id == self.org_id, (d.id == key) | (d.name == key))).first()
        return Door(row.id, row.name) if row else None

    def grant(self, door_id: str, group_id: str) -> None:
        g = t.door_grants.c
        exists = self.conn.execute(select(g.door_id).where(
            g.org_id == self.org_id, g.door_id == door_id, g.group_id == group_id)).first()
        if not exists:
            self.conn.execute(insert(t.door_grants).values(
                org_id=self.org_id, door_id=door_id, group_id=group_id))

    def revoke(self, door_id: str, group_id: str) -> bool:
        g = t.door_grants.c
        return bool(self.conn.execute(delete(t.door_grants).where(
            g.org_id == self.org_id, g.door_id == door_id, g.group_id == group_id)).rowcount)

    def granting_groups(self, user_id: str, door_id: str
                        ) -> tuple[bool | None, list[str]] | None:
        """(the user's stored `active`, names of its groups that open the door), or None if
        there is no such user. What `active` means for access is `service.access`'s call."""
        u, m, g, gr = t.users.c, t.memberships.c, t.door_grants.c, t.groups.c
        row = self.conn.execute(select(u.active).where(
            u.org_id == self.org_id, u.id == user_id)).first()
        if row is None:
            return None
        active: bool | None = row.active
        names = self.conn.execute(
            select(gr.display_name)
            .join_from(t.memberships, t.door_grants,
                       and_(g.org_id == m.org_id, g.group_id == m.group_id))
            .join(t.groups, and_(gr.org_id == m.org_id, gr.id == m.group_id))
            .where(m.org_id == self.org_id, m.user_id == user_id, g.door_id == door_id)
            .order_by(gr.display_name)).scalars().all()
        return active, list(names)
