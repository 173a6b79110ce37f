"""API keys of the access API: digests only, looked up through a unique index."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from doorpost.store import tables as t
from doorpost.store.orgs import TokenRecord, token_record


ApiKey = TokenRecord  # the same record as a SCIM token's: name, prefix, use, revocation


class ApiKeyStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, key: ApiKey, digest: str) -> None:
        self.conn.execute(insert(t.api_keys).values(digest=digest, **key.__dict__))

    def by_digest(self, digest: str) -> tuple[ApiKey, str] | None:
        r = self.conn.execute(select(t.api_keys).where(t.api_keys.c.digest == digest)).first()
        return (token_record(r), r.digest) if r else None

    def of_org(self, org_id: int) -> list[ApiKey]:
        c = t.api_keys.c
        return [token_record(r) for r in self.conn.execute(
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
