"""Places, doors, which groups open them, owners' suspensions, and the access decision's
one query."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, and_, delete, insert, or_, select

from doorpost.store import tables as t
from doorpost.store.storable import storable


@dataclass(frozen=True)
class Place:
    id: str
    name: str


@dataclass(frozen=True)
class Door:
    id: str
    name: str
    place_id: str | None = None


@dataclass(frozen=True)
class Suspension:
    user_id: str
    at_us: int
    by: str
    reason: str


@dataclass(frozen=True)
class AccessEvent:
    """One access decision Doorpost was asked for (member page, access API, CLI)."""

    id: str
    time_us: int
    user_id: str
    door_id: str
    allowed: bool
    reason: str
    source: str


class DoorStore:
    def __init__(self, conn: Connection, org_id: int) -> None:
        self.conn = conn
        self.org_id = org_id

    # -- places ----------------------------------------------------------------------
    def create_place(self, place_id: str, name: str, at_us: int) -> Place:
        self.conn.execute(insert(t.places).values(org_id=self.org_id, id=place_id, name=name,
                                                  created_us=at_us))
        return Place(place_id, name)

    def places(self) -> list[Place]:
        p = t.places.c
        return [Place(r.id, r.name) for r in self.conn.execute(
            select(p.id, p.name).where(p.org_id == self.org_id).order_by(p.name))]

    def place(self, key: str) -> Place | None:
        p = t.places.c
        row = self.conn.execute(select(p.id, p.name).where(
            p.org_id == self.org_id, (p.id == key) | (p.name == key))).first()
        return Place(row.id, row.name) if row else None

    # -- doors -----------------------------------------------------------------------
    def create(self, door_id: str, name: str, at_us: int, place_id: str | None = None) -> Door:
        self.conn.execute(insert(t.doors).values(org_id=self.org_id, id=door_id, name=name,
                                                 created_us=at_us, place_id=place_id))
        return Door(door_id, name, place_id)

    def all(self) -> list[Door]:
        d = t.doors.c
        return [Door(r.id, r.name, r.place_id) for r in self.conn.execute(
            select(d.id, d.name, d.place_id).where(d.org_id == self.org_id).order_by(d.name))]

    def by_id_or_name(self, key: str) -> Door | None:
        d = t.doors.c
        row = self.conn.execute(select(d.id, d.name, d.place_id).where(
            d.org_id == self.org_id, (d.id == key) | (d.name == key))).first()
        return Door(row.id, row.name, row.place_id) if row else None

    def grant(self, door_id: str, group_id: str) -> bool:
        """True if the grant is new."""
        g = t.door_grants.c
        exists = self.conn.execute(select(g.door_id).where(
            g.org_id == self.org_id, g.door_id == door_id, g.group_id == group_id)).first()
        if not exists:
            self.conn.execute(insert(t.door_grants).values(
                org_id=self.org_id, door_id=door_id, group_id=group_id))
        return not exists

    def revoke(self, door_id: str, group_id: str) -> bool:
        g = t.door_grants.c
        return bool(self.conn.execute(delete(t.door_grants).where(
            g.org_id == self.org_id, g.door_id == door_id, g.group_id == group_id)).rowcount)

    def grants(self) -> list[tuple[str, str, str]]:
        """Every grant: (door id, group id, group displayName), by group name."""
        g, gr = t.door_grants.c, t.groups.c
        return [(r.door_id, r.group_id, r.display_name) for r in self.conn.execute(
            select(g.door_id, g.group_id, gr.display_name)
            .join_from(t.door_grants, t.groups,
                       and_(gr.org_id == g.org_id, gr.id == g.group_id))
            .where(g.org_id == self.org_id).order_by(gr.display_name_ci))]

    def group_choices(self, limit: int = 200) -> list[tuple[str, str]]:
        """Groups to grant a door to: (id, displayName), by name."""
        gr = t.groups.c
        return [(r.id, r.display_name) for r in self.conn.execute(
            select(gr.id, gr.display_name).where(gr.org_id == self.org_id)
            .order_by(gr.display_name_ci).limit(limit))]

    def granting_groups(self, user_id: str, door_id: str
                        ) -> tuple[bool | None, str | None, list[str]] | None:
        """(the user's stored `active`, who suspended them or None, names of their groups
        that open the door), or None if there is no such user. What these mean for access
        is `service.access_rule`'s call."""
        u, m, g, gr, s = (t.users.c, t.memberships.c, t.door_grants.c, t.groups.c,
                          t.member_suspensions.c)
        row = self.conn.execute(
            select(u.active, s.by)
            .outerjoin_from(t.users, t.member_suspensions,
                            and_(s.org_id == u.org_id, s.user_id == u.id))
            .where(u.org_id == self.org_id, u.id == user_id)).first()
        if row is None:
            return None
        names = self.conn.execute(
            select(gr.display_name)
            .join_from(t.memberships, t.door_grants,
                       and_(g.org_id == m.org_id, g.group_id == m.group_id))
            .join(t.groups, and_(gr.org_id == m.org_id, gr.id == m.group_id))
            .where(m.org_id == self.org_id, m.user_id == user_id, g.door_id == door_id)
            .order_by(gr.display_name)).scalars().all()
        return row.active, row.by, list(names)

    # -- owners' suspensions ---------------------------------------------------------
    def suspend(self, suspension: Suspension) -> bool:
        """True if the person was not suspended before."""
        if self.suspension(suspension.user_id) is not None:
            return False
        self.conn.execute(insert(t.member_suspensions).values(
            org_id=self.org_id, user_id=suspension.user_id, at_us=suspension.at_us,
            by=suspension.by, reason=suspension.reason))
        return True

    def unsuspend(self, user_id: str) -> bool:
        s = t.member_suspensions.c
        return bool(self.conn.execute(delete(t.member_suspensions).where(
            s.org_id == self.org_id, s.user_id == user_id)).rowcount)

    def suspension(self, user_id: str) -> Suspension | None:
        s = t.member_suspensions.c
        row = self.conn.execute(select(s.user_id, s.at_us, s.by, s.reason).where(
            s.org_id == self.org_id, s.user_id == user_id)).first()
        return Suspension(row.user_id, row.at_us, row.by, row.reason) if row else None

    # -- access events ---------------------------------------------------------------
    def record_access(self, event: AccessEvent) -> None:
        self.conn.execute(insert(t.access_events).values(
            org_id=self.org_id, **{k: storable(v) for k, v in event.__dict__.items()}))

    def access_events(self, limit: int = 50) -> list[AccessEvent]:
        """The newest first."""
        c = t.access_events.c
        rows = self.conn.execute(select(t.access_events).where(c.org_id == self.org_id)
                                 .order_by(c.time_us.desc(), c.id.desc()).limit(limit))
        return [_event(r) for r in rows]

    def access_log(self, door_id: str | None = None, allowed: bool | None = None,
                   user_id: str | None = None, limit: int = 200
                   ) -> list[tuple[AccessEvent, str | None, str | None, str | None]]:
        """The newest decisions first, filtered, each with (userName, displayName, door
        name) where the person and the door still exist."""
        c, u, d = t.access_events.c, t.users.c, t.doors.c
        q = (select(t.access_events, u.user_name, u.display_name,
                    d.name.label("door_name"))
             .outerjoin_from(t.access_events, t.users,
                             and_(u.org_id == c.org_id, u.id == c.user_id))
             .outerjoin(t.doors, and_(d.org_id == c.org_id, d.id == c.door_id))
             .where(c.org_id == self.org_id))
        if door_id:
            q = q.where(c.door_id == door_id)
        if allowed is not None:
            q = q.where(c.allowed == allowed)
        if user_id:
            q = q.where(c.user_id == user_id)
        rows = self.conn.execute(q.order_by(c.time_us.desc(), c.id.desc()).limit(limit))
        return [(_event(r), r.user_name, r.display_name, r.door_name) for r in rows]

    def events_after(self, after: tuple[int, str] | None, limit: int) -> list[AccessEvent]:
        """Oldest first, after the (time, id) keyset position: a feed a controller pages."""
        c = t.access_events.c
        q = select(t.access_events).where(c.org_id == self.org_id)
        if after is not None:
            q = q.where(or_(c.time_us > after[0], and_(c.time_us == after[0], c.id > after[1])))
        return [_event(r) for r in self.conn.execute(q.order_by(c.time_us, c.id).limit(limit))]


def _event(r: object) -> AccessEvent:
    return AccessEvent(r.id, r.time_us, r.user_id, r.door_id, r.allowed,  # type: ignore[attr-defined]
                       r.reason, r.source)  # type: ignore[attr-defined]
