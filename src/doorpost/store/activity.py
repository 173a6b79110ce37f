"""The SCIM request log (`scim_requests`): what each request did and which normalizations fired."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

from sqlalchemy import Connection, delete, insert, select

from doorpost.store import tables as t


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

    def to_json(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "org_id"}


class ActivityStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def insert_many(self, rows: Sequence[ActivityRow]) -> None:
        if rows:
            self.conn.execute(insert(t.scim_requests), [
                {**r.__dict__, "notes": r.notes or None} for r in rows])

    def recent(self, org_id: int, limit: int, *, normalized_only: bool = False
               ) -> list[ActivityRow]:
        c = t.scim_requests.c
        q = select(t.scim_requests).where(c.org_id == org_id)
        rows = []
        for r in self.conn.execute(q.order_by(c.time_us.desc()).limit(
                limit if not normalized_only else limit * 20)):
            row = ActivityRow(r.org_id, r.id, r.time_us, r.token_id, r.method, r.path, r.status,
                              r.latency_us, r.dialect, r.resource_type, r.resource_id,
                              list(r.notes or []))
            if normalized_only and not row.notes:
                continue
            rows.append(row)
            if len(rows) >= limit:
                break
        return rows

    def prune(self, before_us: int) -> int:
        c = t.scim_requests.c
        return int(self.conn.execute(delete(t.scim_requests).where(
            c.time_us < before_us)).rowcount or 0)
