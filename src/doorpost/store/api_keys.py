"""API keys of the access API: digests only, looked up through a unique index."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, insert, select, update

from doorpost.store import tables as t


@dataclass(frozen=True)
class ApiKey:
    org_id: int
    id: str
    name: str
    prefix: str
    created_us: int
    last_used_us: int | None
    revoked_us: int | None

    @property
    def active(self) -> bool:
        return self.revoked_us is None


def _key(r: object) -> ApiKey:
    return ApiKey(r.org_id, r.id, r.name, r.prefix, r.created_us,  # type: ignore[attr-defined]
                  r.last_used_us, r.revoked_us)  # type: ignore[attr-defined]


class ApiKeyStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, key: ApiKey, digest: str) -> None:
        self.conn.execute(insert(t.api_keys).values(digest=digest, **key.__dict__))

    def by_digest(self, digest: str) -> tuple[ApiKey, str] | None:
        r = self.conn.execute(select(t.api_keys).where(t.api_keys.c.digest == digest)).first()
        return (_key(r), r.digest) if r else None

    def of_org(self, org_id: int) -> list[ApiKey]:
        c = t.api_keys.c
        return [_key(r) for r in self.conn.execute(
            select(t.api_keys).where(c.org_id == org_id).order_by(c.created_us))]

    def revoke(self, org_id: int, key_id: str, at_us: int) -> bool:
        c = t.api_keys.c
        return bool(self.conn.execute(update(t.api_keys).where(
            c.org_id == org_id, c.id == key_id, c.revoked_us.is_(None)).values(
            revoked_us=at_us)).rowcount)

    def mark_used(self, org_id: int, key_id: str, at_us: int) -> None:
        c = t.api_keys.c
        self.conn.execute(update(t.api_keys).where(c.org_id == org_id, c.id == key_id)
                          .values(last_used_us=at_us))
