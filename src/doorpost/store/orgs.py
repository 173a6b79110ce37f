"""Organizations and their SCIM tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, bindparam, insert, select, update

from doorpost.store import tables as t
from doorpost.store.database import Database, Prepared


@dataclass(frozen=True)
class Organization:
    id: int
    slug: str
    name: str
    licensed: bool
    sso_configured: bool
    scim_enabled: bool
    dialect: str | None
    created_us: int
    cursor_key: str = field(default="", repr=False)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "slug": self.slug, "name": self.name, "licensed": self.licensed,
                "sso_configured": self.sso_configured, "scim_enabled": self.scim_enabled,
                "dialect": self.dialect}


@dataclass(frozen=True)
class TokenRecord:
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


def _org(row: Any) -> Organization:
    return Organization(row.id, row.slug, row.name, row.licensed, row.sso_configured,
                        row.scim_enabled, row.dialect, row.created_us, row.cursor_key)


def token_record(row: Any) -> TokenRecord:
    """A bearer secret's row (SCIM token or API key: the same columns)."""
    return TokenRecord(row.org_id, row.id, row.name, row.prefix, row.created_us,
                       row.last_used_us, row.revoked_us)


_tk, _o = t.scim_tokens, t.organizations
# Built once: this runs on every SCIM request.
_BY_DIGEST = Prepared(
    select(_tk, _o.c.slug, _o.c.name.label("org_name"), _o.c.licensed, _o.c.sso_configured,
           _o.c.scim_enabled, _o.c.dialect, _o.c.created_us.label("org_created_us"),
           _o.c.cursor_key)
    .join_from(_tk, _o, _o.c.id == _tk.c.org_id)
    .where(_tk.c.digest == bindparam("digest")))


class OrgStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, slug: str, name: str, *, licensed: bool, sso_configured: bool,
               at_us: int) -> Organization:
        result = self.conn.execute(insert(t.organizations).values(
            slug=slug, name=name, licensed=licensed, sso_configured=sso_configured,
            scim_enabled=False, created_us=at_us, cursor_key=secrets.token_hex(32)).returning(t.organizations.c.id))
        org_id = result.scalar_one()
        org = self.by_id(org_id)
        assert org is not None
        return org

    def by_slug(self, slug: str) -> Organization | None:
        row = self.conn.execute(select(t.organizations).where(
            t.organizations.c.slug == slug)).first()
        return _org(row) if row else None

    def by_id(self, org_id: int) -> Organization | None:
        row = self.conn.execute(select(t.organizations).where(
            t.organizations.c.id == org_id)).first()
        return _org(row) if row else None

    def all(self) -> list[Organization]:
        return [_org(r) for r in self.conn.execute(
            select(t.organizations).order_by(t.organizations.c.id))]

    def set_flags(self, org_id: int, **values: Any) -> None:
        self.conn.execute(update(t.organizations).where(
            t.organizations.c.id == org_id).values(**values))

    # -- tokens ----------------------------------------------------------------------
    def add_token(self, org_id: int, token_id: str, name: str, prefix: str, digest: str,
                  at_us: int) -> None:
        self.conn.execute(insert(t.scim_tokens).values(
            org_id=org_id, id=token_id, name=name, prefix=prefix, digest=digest,
            created_us=at_us))

    def tokens(self, org_id: int, *, active_only: bool = False) -> list[TokenRecord]:
        q = select(t.scim_tokens).where(t.scim_tokens.c.org_id == org_id)
        if active_only:
            q = q.where(t.scim_tokens.c.revoked_us.is_(None))
        return [token_record(r)
                for r in self.conn.execute(q.order_by(t.scim_tokens.c.created_us))]

    def revoke_token(self, org_id: int, token_id: str, at_us: int) -> bool:
        result = self.conn.execute(update(t.scim_tokens).where(
            t.scim_tokens.c.org_id == org_id, t.scim_tokens.c.id == token_id,
            t.scim_tokens.c.revoked_us.is_(None)).values(revoked_us=at_us))
        return bool(result.rowcount)


    def mark_used(self, org_id: int, token_id: str, at_us: int) -> None:
        self.conn.execute(update(t.scim_tokens).where(
            t.scim_tokens.c.org_id == org_id, t.scim_tokens.c.id == token_id
        ).values(last_used_us=at_us))


def find_by_digest(db: Database, digest: str) -> tuple[TokenRecord, str, Organization] | None:
    """The token with this digest, its stored digest, and its organization: one prepared
    statement (`Prepared`), as every SCIM request asks it."""
    row = db.first(_BY_DIGEST, {"digest": digest})
    if row is None:
        return None
    org = Organization(row.org_id, row.slug, row.org_name, row.licensed, row.sso_configured,
                       row.scim_enabled, row.dialect, row.org_created_us, row.cursor_key)
    return token_record(row), row.digest, org
