"""The keys that sign an organization's Security Event Tokens."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select

from doorpost.store import tables as t


class EventKeyStore:
    def __init__(self, conn: Connection, org_id: int) -> None:
        self.conn = conn
        self.org_id = org_id

    def all(self) -> list[tuple[str, str]]:
        """(kid, private PEM), newest first: the first one signs."""
        k = t.event_keys.c
        return [(r.kid, r.private_pem) for r in self.conn.execute(
            select(k.kid, k.private_pem).where(k.org_id == self.org_id)
            .order_by(k.created_us.desc()))]

    def add(self, kid: str, pem: str, at_us: int) -> None:
        self.conn.execute(insert(t.event_keys).values(org_id=self.org_id, kid=kid,
                                                      private_pem=pem, created_us=at_us))
