"""Owner accounts, their sessions, login failures, and the SSO connection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from doorpost.scim.text import fold
from doorpost.store import tables as t
from doorpost.store.storable import storable


@dataclass(frozen=True)
class Owner:
    org_id: int
    id: str
    email: str
    password_hash: str | None


@dataclass(frozen=True)
class Session:
    org_id: int
    owner_id: str
    csrf: str
    expires_us: int


@dataclass(frozen=True)
class SsoConnection:
    org_id: int
    metadata_url: str | None
    metadata_xml: str
    idp_entity_id: str
    idp_sso_url: str
    idp_certificate: str
    updated_us: int
    verified_us: int | None = None  # the last passing Test SSO of this metadata
    verified_detail: dict[str, Any] | None = None  # what that test received


def _owner(r: Any) -> Owner:
    return Owner(r.org_id, r.id, r.email, r.password_hash)


class OwnerStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, org_id: int, id_: str, email: str, setup_digest: str, expires_us: int,
               at_us: int, password_hash: str | None = None) -> Owner:
        self.conn.execute(insert(t.owners).values(
            org_id=org_id, id=id_, email=email, email_ci=fold(email), created_us=at_us,
            setup_digest=setup_digest, setup_expires_us=expires_us,
            password_hash=password_hash))
        return Owner(org_id, id_, email, password_hash)

    def by_email(self, email: str) -> list[Owner]:
        """Every owner account of this address, one per organization, oldest first."""
        o = t.owners.c
        return [_owner(r) for r in self.conn.execute(
            select(t.owners).where(o.email_ci == fold(email)).order_by(o.created_us, o.org_id))]

    def in_org(self, org_id: int, email: str) -> Owner | None:
        o = t.owners.c
        r = self.conn.execute(select(t.owners).where(
            o.email_ci == fold(email), o.org_id == org_id)).first()
        return _owner(r) if r else None

    def of_org(self, org_id: int) -> list[tuple[Owner, int, bool]]:
        """(owner, created, has a password) of an organization, by address."""
        o = t.owners.c
        return [(_owner(r), r.created_us, r.password_hash is not None)
                for r in self.conn.execute(select(t.owners).where(o.org_id == org_id)
                                           .order_by(o.email_ci))]

    def remove(self, org_id: int, owner_id: str) -> bool:
        o, s = t.owners.c, t.owner_sessions.c
        self.conn.execute(delete(t.owner_sessions).where(s.org_id == org_id,
                                                         s.owner_id == owner_id))
        return bool(self.conn.execute(delete(t.owners).where(
            o.org_id == org_id, o.id == owner_id)).rowcount)

    def set_password_everywhere(self, email: str, password_hash: str) -> None:
        """One person, one password: every account of the address takes it, and every
        outstanding link of theirs is used up."""
        o = t.owners.c
        self.conn.execute(update(t.owners).where(o.email_ci == fold(email)).values(
            password_hash=password_hash, setup_digest=None, setup_expires_us=None))

    def by_id(self, org_id: int, id_: str) -> Owner | None:
        o = t.owners.c
        r = self.conn.execute(select(t.owners).where(o.org_id == org_id, o.id == id_)).first()
        return _owner(r) if r else None

    def by_setup_digest(self, digest: str, now_us: int) -> Owner | None:
        o = t.owners.c
        r = self.conn.execute(select(t.owners).where(
            o.setup_digest == digest, o.setup_expires_us > now_us)).first()
        return _owner(r) if r else None

    def set_setup(self, owner: Owner, digest: str, expires_us: int) -> None:
        o = t.owners.c
        self.conn.execute(update(t.owners).where(o.org_id == owner.org_id, o.id == owner.id)
                          .values(setup_digest=digest, setup_expires_us=expires_us))

    # -- sessions --------------------------------------------------------------------
    def add_session(self, org_id: int, digest: str, owner_id: str, csrf: str, at_us: int,
                    expires_us: int) -> None:
        self.conn.execute(insert(t.owner_sessions).values(
            org_id=org_id, digest=digest, owner_id=owner_id, csrf=csrf, created_us=at_us,
            expires_us=expires_us))

    def session(self, org_id: int, digest: str, now_us: int) -> Session | None:
        s = t.owner_sessions.c
        r = self.conn.execute(select(t.owner_sessions).where(
            s.org_id == org_id, s.digest == digest, s.expires_us > now_us)).first()
        return Session(r.org_id, r.owner_id, r.csrf, r.expires_us) if r else None

    def end_session(self, org_id: int, digest: str) -> None:
        s = t.owner_sessions.c
        self.conn.execute(delete(t.owner_sessions).where(s.org_id == org_id,
                                                         s.digest == digest))

    # -- throttling ------------------------------------------------------------------
    def lock_address(self, email_ci: str) -> None:
        """Serialize sign-in attempts for one address until this transaction ends (SQLite's
        writers are serialized already; PostgreSQL takes a transaction advisory lock)."""
        if self.conn.dialect.name == "postgresql":
            self.conn.execute(select(func.pg_advisory_xact_lock(
                func.hashtextextended(email_ci, 0))))

    def failures_since(self, email_ci: str, since_us: int) -> int:
        f = t.login_failures.c
        return int(self.conn.execute(select(func.count()).select_from(t.login_failures).where(
            f.org_id == 0, f.email_ci == email_ci, f.time_us >= since_us)).scalar_one())

    def add_failure(self, email_ci: str, at_us: int) -> None:
        self.conn.execute(insert(t.login_failures).values(org_id=0, email_ci=email_ci,
                                                          time_us=at_us))

    def clear_failures(self, email_ci: str) -> None:
        f = t.login_failures.c
        self.conn.execute(delete(t.login_failures).where(f.org_id == 0,
                                                         f.email_ci == email_ci))

    # -- SSO -------------------------------------------------------------------------
    def sso(self, org_id: int) -> SsoConnection | None:
        r = self.conn.execute(select(t.sso_connections).where(
            t.sso_connections.c.org_id == org_id)).first()
        if r is None:
            return None
        return SsoConnection(r.org_id, r.metadata_url, r.metadata_xml, r.idp_entity_id,
                             r.idp_sso_url, r.idp_certificate, r.updated_us, r.verified_us,
                             r.verified_detail)

    def mark_sso_verified(self, org_id: int, at_us: int, detail: dict[str, Any]) -> None:
        self.conn.execute(update(t.sso_connections).where(
            t.sso_connections.c.org_id == org_id).values(verified_us=at_us,
                                                         verified_detail=storable(detail)))

    def remove_sso(self, org_id: int) -> bool:
        return bool(self.conn.execute(delete(t.sso_connections).where(
            t.sso_connections.c.org_id == org_id)).rowcount)

    def save_sso(self, conn_row: SsoConnection) -> None:
        self.conn.execute(delete(t.sso_connections).where(
            t.sso_connections.c.org_id == conn_row.org_id))
        self.conn.execute(insert(t.sso_connections).values(
            **{**conn_row.__dict__, "verified_detail": storable(conn_row.verified_detail)}))
