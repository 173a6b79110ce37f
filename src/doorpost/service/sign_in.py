"""Who may sign in by SSO, and what a verified assertion starts: an owner's console session,
a member's session, or the result of an owner's "Test SSO".

- **Members**: the NameID, then each email attribute, is folded (`text.fold`) and matched
  against the organization's SCIM users, userName first, then emails. Only a user the
  identity provider provisioned and that `access.opens_doors` lets in (active is `true`)
  may sign in; no account is ever created at sign-in (no just-in-time provisioning: in a
  SCIM-managed organization the identity provider decides who exists, through SCIM, and a
  person SCIM has not sent does not exist here).
- **Owners**: the asserted identity must be an owner account of this organization; if the
  identity provider has provisioned that person and deactivated them, they are refused
  too. Password sign-in stays as the break-glass path.
- **Test SSO** runs a real sign-in for the owner who pressed it; a pass marks the
  connection verified, which is what `organizations.scim_prerequisites_missing` asks.

Every refusal and every sign-in is recorded in the organization's activity, with the reason.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from doorpost.scim.text import fold
from doorpost.service.errors import NotFoundError
from doorpost.service.owners import Owners
from doorpost.service.members import Members
from doorpost.service.access import opens_doors
from doorpost.service.saml import (
    Assertion,
    Endpoints,
    ServiceProvider,
    SsoRefused,
    email_candidates,
    sp_metadata,
)
from doorpost.store.activity import ActivityRow, ActivityStore
from doorpost.store.database import Database
from doorpost.store.directory import Directory
from doorpost.service.clock import now_us
from doorpost.store.orgs import Organization, OrgStore
from doorpost.store.owners import Owner, OwnerStore, SsoConnection
from doorpost.store.saml import SamlStore

PURPOSES = ("owner", "member", "test")


@dataclass(frozen=True)
class SignedIn:
    """What a verified response started: `kind` is owner, member or test."""

    kind: str
    org: Organization
    cookie: str | None = None
    request_id: str | None = None  # a test's, to show its result
    detail: dict[str, Any] = field(default_factory=dict)


class SsoSignIn:
    def __init__(self, db: Database, owners: Owners, members: Members) -> None:
        self.db = db
        self.sp = ServiceProvider(db)
        self.owners = owners
        self.members = members

    def _org(self, slug: str) -> tuple[Organization, SsoConnection | None]:
        with self.db.read() as conn:
            org = OrgStore(conn).by_slug(slug) if "\x00" not in slug else None
            if org is None:
                raise NotFoundError("No such organization.")
            return org, OwnerStore(conn).sso(org.id)

    def metadata(self, slug: str, base_url: str) -> str:
        org, _ = self._org(slug)
        return sp_metadata(Endpoints.of(base_url, org.slug), self.sp.keys(org.id, org.slug))

    def start(self, slug: str, base_url: str, purpose: str, owner_id: str | None = None
              ) -> tuple[str, dict[str, str] | None]:
        """Where to send the browser to sign in (SP-initiated)."""
        org, connection = self._org(slug)
        if purpose not in PURPOSES:
            raise SsoRefused("Unknown sign-in.", f"purpose {purpose!r}")
        if connection is None or not org.licensed:
            raise SsoRefused("This organization has not set up single sign-on.",
                             "no SSO connection")
        if purpose != "test" and not org.sso_configured:
            raise SsoRefused("Single sign-on is not verified for this organization yet; an "
                             "owner must run Test SSO first.", "SSO not verified")
        return self.sp.begin(org.id, org.slug, Endpoints.of(base_url, org.slug), connection,
                             purpose, owner_id)

    def finish(self, slug: str, base_url: str, saml_response: str, relay_state: str
               ) -> SignedIn:
        started = time.perf_counter_ns()
        org, connection = self._org(slug)
        endpoints = Endpoints.of(base_url, org.slug)
        try:
            if connection is None or not org.licensed:
                raise SsoRefused("This organization has not set up single sign-on.",
                                 "no SSO connection")
            assertion = self.sp.verify(org.id, org.slug, endpoints, connection, saml_response)
            result = self._decide(org, assertion, relay_state)
        except SsoRefused as refused:
            self._record(org, 403, None, refused.reason, started)
            if refused.request_id is not None:  # an owner's Test SSO: show them why
                self._test_failed(org.id, refused.request_id, refused.reason)
            raise
        self._record(org, 200, result.detail.get("user_id"), None, started, result.kind)
        return result

    def _test_failed(self, org_id: int, request_id: str, reason: str) -> None:
        with self.db.write() as conn:
            store = SamlStore(conn, org_id)
            pending = store.request(request_id)
            if pending is not None and pending.purpose == "test" and pending.result is None:
                store.finish_request(request_id, {"passed": False, "error": reason,
                                                  "owner_id": pending.owner_id})

    def _decide(self, org: Organization, assertion: Assertion, relay_state: str) -> SignedIn:
        purpose, owner_id = "member", None
        if assertion.in_response_to is not None:
            with self.db.write() as conn:
                store = SamlStore(conn, org.id)
                pending = store.request(assertion.in_response_to)
                if pending is None:
                    raise SsoRefused("This sign-in was already used; please start again.",
                                     "the request was answered twice")
                purpose, owner_id = pending.purpose, pending.owner_id
                if purpose != "test":
                    store.finish_request(pending.id, None)
        elif relay_state in ("owner", "/admin"):  # IdP-initiated, to the console
            purpose = "owner"
        candidates = email_candidates(assertion)
        detail: dict[str, Any] = {"name_id": assertion.name_id, "issuer": assertion.issuer,
                                  "attributes": assertion.attributes}
        with self.db.read() as conn:
            user = Directory(conn, org.id, self.db.backend).user_signing_in(
                [fold(c) for c in candidates])
            owner = _owner_of(OwnerStore(conn), org.id, candidates)
        if user is not None:
            detail.update(user_id=user.meta.id, user_name=user.doc.get("userName"),
                          user_active=user.doc.get("active"))
        if purpose == "test":
            return self._tested(org, assertion, owner_id, detail, user is not None)
        if user is not None and not opens_doors(user.doc.get("active")):
            raise SsoRefused("Your identity provider has deactivated your account.",
                             f"{user.doc.get('userName')} is not active")
        if purpose == "owner":
            if owner is None:
                raise SsoRefused("You are not an owner of this organization.",
                                 f"{assertion.name_id!r} matches no owner account")
            detail["owner"] = owner.email
            return SignedIn("owner", org, self.owners.start_session(owner), detail=detail)
        if user is None:
            raise SsoRefused("Your identity provider has not given you access to Doorpost "
                             "yet.", f"{assertion.name_id!r} matches no provisioned user")
        return SignedIn("member", org, self.members.start_session(org.id, user.meta.id),
                        detail=detail)

    def _tested(self, org: Organization, assertion: Assertion, owner_id: str | None,
                detail: dict[str, Any], matched: bool) -> SignedIn:
        assert assertion.in_response_to is not None
        detail["matches_provisioned_user"] = matched
        detail["passed"] = True
        at = now_us()
        with self.db.write() as conn:
            OwnerStore(conn).mark_sso_verified(org.id, at, detail)
            OrgStore(conn).set_flags(org.id, sso_configured=True)
            SamlStore(conn, org.id).finish_request(assertion.in_response_to,
                                                   {**detail, "owner_id": owner_id})
        return SignedIn("test", org, request_id=assertion.in_response_to, detail=detail)

    def test_result(self, org_id: int, request_id: str, owner_id: str) -> dict[str, Any] | None:
        """A test's result, for the owner who ran it only."""
        with self.db.read() as conn:
            pending = SamlStore(conn, org_id).request(request_id)
        if pending is None or pending.purpose != "test" or pending.owner_id != owner_id:
            return None
        return pending.result or {"passed": False, "waiting": True}

    def _record(self, org: Organization, status: int, user_id: Any, reason: str | None,
                started_ns: int, kind: str | None = None) -> None:
        with self.db.write() as conn:
            ActivityStore(conn).insert_many([ActivityRow(
                org.id, uuid.uuid4().hex, now_us(), None, "POST", f"/saml/{org.slug}/acs",
                status, (time.perf_counter_ns() - started_ns) // 1000,
                f"sso ({kind})" if kind else "sso", "SSO", str(user_id) if user_id else None,
                [], None, reason and f"sign-in refused: {reason}")])


def _owner_of(store: OwnerStore, org_id: int, candidates: list[str]) -> Owner | None:
    for candidate in candidates:
        owner = store.in_org(org_id, candidate)
        if owner is not None:
            return owner
    return None
