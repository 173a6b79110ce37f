"""Members: people the identity provider provisioned, signed in by SSO to their own page.

A member session is checked against the directory on every request: the moment the
identity provider deactivates or deletes the person (`access.opens_doors` says no), every
session of theirs ends, on that very request. Cookies follow `session_cookies`, as owners'.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from doorpost.scim.definitions import USER_TYPE
from doorpost.service import session_cookies
from doorpost.service.access import Decision, Doors, opens_doors
from doorpost.service.directory_view import person_name
from doorpost.store.database import Database
from doorpost.store.directory import Directory
from doorpost.service.clock import now_us
from doorpost.store.doors import Door
from doorpost.store.orgs import Organization, OrgStore
from doorpost.store.saml import SamlStore

SESSION_SECONDS = 8 * 3600
COOKIE = "doorpost_member"


@dataclass(frozen=True)
class Member:
    """A signed-in member as their page shows them."""

    org: Organization
    user_id: str
    user_name: str
    display_name: str
    active: object
    csrf: str


@dataclass(frozen=True)
class Ended:
    """The session was valid but the person may no longer be signed in; says why."""

    reason: str


class Members:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.doors = Doors(db)

    def start_session(self, org_id: int, user_id: str) -> str:
        cookie, digest = session_cookies.new_cookie(org_id)
        at = now_us()
        with self.db.write() as conn:
            SamlStore(conn, org_id).add_member_session(
                digest, user_id, secrets.token_urlsafe(24), at,
                at + SESSION_SECONDS * 1_000_000)
        return cookie

    def session(self, cookie: str | None) -> Member | Ended | None:
        parsed = session_cookies.parse_cookie(cookie)
        if parsed is None:
            return None
        org_id, digest = parsed
        with self.db.read() as conn:
            found = SamlStore(conn, org_id).member_session(digest, now_us())
            if found is None:
                return None
            org = OrgStore(conn).by_id(org_id)
            stored = Directory(conn, org_id, self.db.backend).get(USER_TYPE, found.user_id)
        if org is None or stored is None or not opens_doors(stored.doc.get("active")):
            with self.db.write() as conn:
                SamlStore(conn, org_id).end_member_sessions(found.user_id)
            return Ended("Your identity provider has deactivated your account." if stored
                         else "Your account no longer exists in this organization.")
        return Member(org, found.user_id, str(stored.doc.get("userName", "")),
                      person_name(stored.doc), stored.doc.get("active"), found.csrf)

    def end_session(self, cookie: str | None) -> None:
        parsed = session_cookies.parse_cookie(cookie)
        if parsed is not None:
            with self.db.write() as conn:
                SamlStore(conn, parsed[0]).end_member_session(parsed[1])

    def doors_of(self, member: Member) -> list[tuple[Door, Decision]]:
        return self.doors.member_doors(member.org.id, member.user_id)

    def unlock(self, member: Member, door_id: str) -> Decision:
        return self.doors.unlock(member.org.id, member.user_id, door_id, "member-page")[0]
