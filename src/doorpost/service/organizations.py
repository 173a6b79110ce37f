"""Organizations and their SCIM setup: the owner's flow, shared by CLI and console.

SCIM can be enabled only for an organization with the Organization license and SSO
configured, and it answers only while all three hold (`scim_serves`): revoking the license
or SSO stops it on the next request, as disabling does. Neither deletes any data. An organization
has at most two active tokens, so an owner can rotate without a gap: create the new one,
switch the identity provider over, revoke the old one.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from sqlalchemy import Connection

from doorpost.service import tokens
from doorpost.service.errors import (
    AdminError,
    NotFoundError,
    NotPermittedError,
    admin_write,
)
from doorpost.store.database import Database
from doorpost.service.clock import now_us
from doorpost.store.orgs import Organization, OrgStore, TokenRecord

MAX_ACTIVE_TOKENS = 2
SLUG = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")


@dataclass(frozen=True)
class IssuedToken:
    """A freshly minted token: the only moment its plaintext exists."""

    record: TokenRecord
    token: str


def scim_prerequisites_missing(org: Organization) -> list[str]:
    """What the organization lacks to use SCIM at all: the one rule, asked when SCIM is
    enabled, on every SCIM request (so revoking the license or SSO stops SCIM on the next
    request, deleting nothing) and by the console and CLI to say why."""
    missing = []
    if not org.licensed:
        missing.append("the Organization license")
    if not org.sso_configured:  # verified by Test SSO (or the operator's `org sso` flag)
        missing.append("SSO verified (save the metadata, then Test SSO)")
    return missing


def scim_serves(org: Organization) -> bool:
    """Does SCIM answer for this organization now? Enabled, and nothing missing."""
    return org.scim_enabled and not scim_prerequisites_missing(org)


def slugify(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:64].strip("-") or "org"


def organization(conn: Connection, slug: str) -> Organization:
    """The organization with this slug, or the one "no such organization" every service
    gives."""
    org = OrgStore(conn).by_slug(slug)
    if org is None:
        raise NotFoundError(f"No organization with slug '{slug}'.")
    return org


class Organizations:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, name: str, *, slug: str | None = None, licensed: bool = False,
               sso_configured: bool = False) -> Organization:
        name = name.strip()
        if not name or len(name) > 200:
            raise AdminError("An organization needs a name of 1 to 200 characters.")
        slug = slug or slugify(name)
        if not SLUG.match(slug):
            raise AdminError(f"'{slug}' is not a valid slug: use lowercase letters, digits "
                             "and hyphens (1-64 characters).")
        with admin_write(self.db) as conn:
            store = OrgStore(conn)
            if store.by_slug(slug) is not None:
                raise AdminError(f"An organization with slug '{slug}' already exists.")
            return store.create(slug, name, licensed=licensed, sso_configured=sso_configured,
                                at_us=now_us())

    def all(self) -> list[Organization]:
        with self.db.read() as conn:
            return OrgStore(conn).all()

    def get(self, slug: str) -> Organization:
        with self.db.read() as conn:
            return organization(conn, slug)

    def set_license(self, slug: str, licensed: bool) -> Organization:
        return self._update(slug, licensed=licensed)

    def set_sso_configured(self, slug: str, configured: bool) -> Organization:
        return self._update(slug, sso_configured=configured)

    def set_dialect(self, slug: str, dialect: str | None) -> Organization:
        return self._update(slug, dialect=dialect)

    def enable_scim(self, slug: str) -> Organization:
        org = self.get(slug)
        missing = scim_prerequisites_missing(org)
        if missing:
            raise AdminError(f"SCIM cannot be enabled for '{slug}': it needs "
                             f"{' and '.join(missing)}.")
        return self._update(slug, scim_enabled=True)

    def disable_scim(self, slug: str) -> Organization:
        """Every token stops working at once; users, groups and tokens are kept."""
        return self._update(slug, scim_enabled=False)

    def _update(self, slug: str, **values: object) -> Organization:
        with admin_write(self.db) as conn:
            store = OrgStore(conn)
            org = store.by_slug(slug)
            if org is None:
                raise NotFoundError(f"No organization with slug '{slug}'.")
            store.set_flags(org.id, **values)
            updated = store.by_id(org.id)
        assert updated is not None
        return updated

    # -- tokens ----------------------------------------------------------------------
    def create_token(self, slug: str, name: str | None = None) -> IssuedToken:
        with admin_write(self.db) as conn:
            store = OrgStore(conn)
            org = store.by_slug(slug)
            if org is None:
                raise NotFoundError(f"No organization with slug '{slug}'.")
            if not org.licensed:
                raise NotPermittedError("SCIM needs the Organization license.")
            active = store.tokens(org.id, active_only=True)
            if len(active) >= MAX_ACTIVE_TOKENS:
                raise AdminError(f"'{slug}' already has {MAX_ACTIVE_TOKENS} active tokens; "
                                 "revoke one before creating another.")
            plaintext = tokens.mint()
            token_id = str(uuid.uuid4())
            at = now_us()
            label = (name or "").strip() or f"SCIM token {len(store.tokens(org.id)) + 1}"
            store.add_token(org.id, token_id, label[:100], tokens.display_prefix(plaintext),
                            tokens.digest(plaintext), at)
            record = TokenRecord(org.id, token_id, label[:100],
                                 tokens.display_prefix(plaintext), at, None, None)
        return IssuedToken(record, plaintext)

    def list_tokens(self, slug: str) -> list[TokenRecord]:
        org = self.get(slug)
        with self.db.read() as conn:
            return OrgStore(conn).tokens(org.id)

    def revoke_token(self, slug: str, token_id: str) -> None:
        org = self.get(slug)
        with admin_write(self.db) as conn:
            if not OrgStore(conn).revoke_token(org.id, token_id, now_us()):
                raise NotFoundError(f"No active token '{token_id}' in '{slug}'.")
