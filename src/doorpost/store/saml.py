"""SAML sign-in state shared by every worker: the organization's SP key pair, outstanding
AuthnRequests, consumed assertion ids (replay cache), and member sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from doorpost.store import tables as t
from doorpost.store.storable import storable


@dataclass(frozen=True)
class SpKeys:
    key_pem: str
    cert_pem: str
    created_us: int


@dataclass(frozen=True)
class PendingRequest:
    id: str
    purpose: str  # owner | member | test
    owner_id: str | None
    expires_us: int
    result: dict[str, Any] | None


@dataclass(frozen=True)
class MemberSession:
    org_id: int
    user_id: str
    csrf: str


class SamlStore:
    def __init__(self, conn: Connection, org_id: int) -> None:
        self.conn = conn
        self.org_id = org_id

    # -- the organization's key pair ---------------------------------------------------
    def keys(self) -> SpKeys | None:
        r = self.conn.execute(select(t.saml_sp_keys).where(
            t.saml_sp_keys.c.org_id == self.org_id)).first()
        return SpKeys(r.key_pem, r.cert_pem, r.created_us) if r else None

    def save_keys(self, keys: SpKeys) -> None:
        self.conn.execute(delete(t.saml_sp_keys).where(t.saml_sp_keys.c.org_id == self.org_id))
        self.conn.execute(insert(t.saml_sp_keys).values(
            org_id=self.org_id, key_pem=keys.key_pem, cert_pem=keys.cert_pem,
            created_us=keys.created_us))

    # -- AuthnRequests ---------------------------------------------------------------
    def add_request(self, id_: str, purpose: str, owner_id: str | None, at_us: int,
                    expires_us: int) -> None:
        c = t.saml_requests.c
        self.conn.execute(delete(t.saml_requests).where(c.org_id == self.org_id,
                                                        c.expires_us < at_us))
        self.conn.execute(insert(t.saml_requests).values(
            org_id=self.org_id, id=id_, purpose=purpose, owner_id=owner_id, created_us=at_us,
            expires_us=expires_us))

    def request(self, id_: str) -> PendingRequest | None:
        if "\x00" in id_:
            return None
        c = t.saml_requests.c
        r = self.conn.execute(select(t.saml_requests).where(
            c.org_id == self.org_id, c.id == id_)).first()
        return PendingRequest(r.id, r.purpose, r.owner_id, r.expires_us, r.result) if r else None

    def finish_request(self, id_: str, result: dict[str, Any] | None) -> None:
        """A request is answered once: a test keeps its result to show, others go."""
        c = t.saml_requests.c
        where = (c.org_id == self.org_id, c.id == id_)
        if result is None:
            self.conn.execute(delete(t.saml_requests).where(*where))
        else:
            self.conn.execute(update(t.saml_requests).where(*where).values(
                result=storable(result)))

    # -- replay cache ------------------------------------------------------------------
    def consume_assertion(self, assertion_id: str, expires_us: int, at_us: int) -> bool:
        """Record an assertion id; False when it was already consumed (a replay)."""
        c = t.saml_assertions.c
        self.conn.execute(delete(t.saml_assertions).where(c.org_id == self.org_id,
                                                          c.expires_us < at_us))
        try:
            with self.conn.begin_nested():
                self.conn.execute(insert(t.saml_assertions).values(
                    org_id=self.org_id, id=assertion_id, expires_us=expires_us))
        except IntegrityError:
            return False
        return True

    # -- member sessions -------------------------------------------------------------
    def add_member_session(self, digest: str, user_id: str, csrf: str, at_us: int,
                           expires_us: int) -> None:
        self.conn.execute(insert(t.member_sessions).values(
            org_id=self.org_id, digest=digest, user_id=user_id, csrf=csrf, created_us=at_us,
            expires_us=expires_us))

    def member_session(self, digest: str, at_us: int) -> MemberSession | None:
        c = t.member_sessions.c
        r = self.conn.execute(select(t.member_sessions).where(
            c.org_id == self.org_id, c.digest == digest, c.expires_us > at_us)).first()
        return MemberSession(r.org_id, r.user_id, r.csrf) if r else None

    def end_member_sessions(self, user_id: str) -> int:
        c = t.member_sessions.c
        return int(self.conn.execute(delete(t.member_sessions).where(
            c.org_id == self.org_id, c.user_id == user_id)).rowcount or 0)

    def end_member_session(self, digest: str) -> None:
        c = t.member_sessions.c
        self.conn.execute(delete(t.member_sessions).where(c.org_id == self.org_id,
                                                          c.digest == digest))
