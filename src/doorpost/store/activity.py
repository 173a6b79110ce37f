"""The SCIM request log (`scim_requests`): what each request did and which normalizations fired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import Connection, case, delete, func, insert, select

from doorpost.store import tables as t
from doorpost.store.storable import storable


@dataclass(frozen=True)
class ActivityRow:
    org_id: int
    id: str
    time_us: int
    token_id: str | None
    method: str
    path: str
    status: int
    latency_us: int
    dialect: str | None
    resource_type: str | None
    resource_id: str | None
    notes: list[dict[str, str]]
    changes: dict[str, Any] | None = None
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "org_id"}


def _row(r: Any) -> ActivityRow:
    return ActivityRow(r.org_id, r.id, r.time_us, r.token_id, r.method, r.path, r.status,
                       r.latency_us, r.dialect, r.resource_type, r.resource_id,
                       list(r.notes or []), r.changes, r.error)


_INSERT = insert(t.scim_requests)  # built once: every write's record, every batch


class ActivityStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_many(self, rows: Sequence[ActivityRow]) -> None:
        if rows:
            self.conn.execute(_INSERT, [
                {k: storable(v) for k, v in {**r.__dict__, "notes": r.notes or None}.items()}
                for r in rows])

    def search(self, org_id: int, *, limit: int = 100, offset: int = 0,
               status: str | None = None, method: str | None = None,
               resource_type: str | None = None, resource_id: str | None = None,
               since_us: int | None = None, until_us: int | None = None,
               normalized_only: bool = False) -> tuple[int, list[ActivityRow]]:
        """Newest first, filtered; `status` is "2xx" / "4xx" / "5xx" or an exact code."""
        c = t.scim_requests.c
        where: list[Any] = [c.org_id == org_id]
        if any("\x00" in v for v in (status, method, resource_type, resource_id) if v):
            return 0, []  # no stored text holds a NUL (PostgreSQL cannot even compare one)
        if status:
            if len(status) == 3 and status.endswith("xx") and status[0] in "12345":
                low = int(status[0]) * 100
                where += [c.status >= low, c.status < low + 100]
            elif status.isascii() and status.isdigit() and len(status) <= 3:
                where.append(c.status == int(status))
        if method:
            where.append(c.method == method.upper())
        if resource_type:
            where.append(c.resource_type == resource_type)
        if resource_id:
            where.append(c.resource_id == resource_id)
        if since_us is not None:
            where.append(c.time_us >= since_us)
        if until_us is not None:
            where.append(c.time_us < until_us)
        if normalized_only:
            where.append(c.notes.is_not(None))
        total = self.conn.execute(select(func.count()).select_from(t.scim_requests)
                                  .where(*where)).scalar_one()
        q = select(t.scim_requests).where(*where).order_by(c.time_us.desc()).limit(limit) \
            .offset(offset)
        return total, [_row(r) for r in self.conn.execute(q)]

    def one(self, org_id: int, id_: str) -> ActivityRow | None:
        if "\x00" in id_:
            return None
        c = t.scim_requests.c
        r = self.conn.execute(select(t.scim_requests).where(c.org_id == org_id, c.id == id_)
                              ).first()
        return _row(r) if r else None

    def hourly(self, org_id: int, since_us: int) -> list[tuple[int, str | None, int, int]]:
        """(hour start in µs, dialect, requests, errors) for the chart, oldest first."""
        c = t.scim_requests.c
        hour = c.time_us // 3_600_000_000  # floor division on both databases (PostgreSQL
        # rounded a cast of true division, moving the second half of each hour to the next)
        q = (select(hour, c.dialect, func.count(),
                    func.sum(case((c.status >= 400, 1), else_=0)))
             .where(c.org_id == org_id, c.time_us >= since_us)
             .group_by(hour, c.dialect).order_by(hour))
        return [(int(h) * 3_600_000_000, d, int(n), int(e or 0))
                for h, d, n, e in self.conn.execute(q)]

    def last_error(self, org_id: int) -> ActivityRow | None:
        c = t.scim_requests.c
        r = self.conn.execute(select(t.scim_requests).where(c.org_id == org_id, c.status >= 400)
                              .order_by(c.time_us.desc()).limit(1)).first()
        return _row(r) if r else None

    def recent(self, org_id: int, limit: int, *, normalized_only: bool = False
               ) -> list[ActivityRow]:
        return self.search(org_id, limit=limit, normalized_only=normalized_only)[1]

    def prune(self, before_us: int) -> int:
        c = t.scim_requests.c
        return int(self.conn.execute(delete(t.scim_requests).where(
            c.time_us < before_us)).rowcount or 0)
