"""Owner accounts of the console: argon2 passwords, one-time set-password links, sessions,
and login throttling.

Designed so that SSO sign-in can be added beside passwords later: a session is created by
`start_session(owner)` whatever proved who the person is.
"""

from __future__ import annotations

import functools
import re
import secrets
import threading
import uuid
from urllib.parse import quote
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from doorpost.service import session_cookies, tokens
from doorpost.service.errors import AdminError, NotFoundError, admin_write
from doorpost.service.organizations import organization
from doorpost.scim.text import fold
from doorpost.store.database import Database
from doorpost.service.clock import now_us
from doorpost.store.orgs import Organization, OrgStore
from doorpost.store.owners import Owner, OwnerStore, Session

SETUP_LINK_SECONDS = 72 * 3600
RESET_LINK_SECONDS = 3600  # "forgot password" links are shorter-lived than invitations
RESETS_PER_HOUR = 3
SESSION_SECONDS = 12 * 3600
THROTTLE_WINDOW_SECONDS = 15 * 60
THROTTLE_MAX_FAILURES = 5
MIN_PASSWORD = 12
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_hasher = PasswordHasher()
# Each argon2 hash takes 64 MiB: at most this many run at once, whatever arrives, so
# unauthenticated sign-in attempts hold a bounded amount of memory (about 128 MiB).
HASHING_AT_ONCE = 2
_hashing = threading.BoundedSemaphore(HASHING_AT_ONCE)


def _verify(stored: str, password: str) -> bool:
    with _hashing:
        try:
            return bool(_hasher.verify(stored, password))
        except (VerificationError, InvalidHashError):
            return False


def _hash(password: str) -> str:
    with _hashing:
        return _hasher.hash(password)


@functools.lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """Verified against when the address is unknown, so the answer takes the same time.
    Made on first use: an argon2 hash needs 64 MiB, which idle workers should not pay."""
    return _hash(secrets.token_urlsafe(16))


def set_password_link(base_url: str, token: str) -> str:
    """Where a one-time token is used (invitations, resets): the console's page."""
    return f"{base_url.rstrip('/')}/admin/set-password?token={quote(token)}"


_digest = tokens.digest  # one digest rule for every secret (tokens, keys, links, cookies)


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, for which organization, and the CSRF token of its forms."""

    owner: Owner
    org: Organization
    csrf: str


class LinkExpired(AdminError):
    """A set-password link that is too old or was used: ask for a new one."""


class LoginRefused(AdminError):
    """Wrong address or password (deliberately not saying which), or throttled."""


class Owners:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, slug: str, email: str) -> tuple[Owner, str]:
        """Make `email` an owner of `slug` and return a one-time set-password token (valid
        72 hours): an invitation. Someone who owns another organization already keeps their
        password, and chooses the organization after signing in."""
        email = email.strip()
        if not EMAIL.match(email) or len(email) > 320:
            raise AdminError(f"'{email}' is not an email address.")
        token = secrets.token_urlsafe(32)
        with admin_write(self.db) as conn:
            org = organization(conn, slug)
            store = OwnerStore(conn)
            if store.in_org(org.id, email) is not None:
                raise AdminError(f"'{email}' is an owner of '{slug}' already.")
            known = [o.password_hash for o in store.by_email(email) if o.password_hash]
            at = now_us()
            owner = store.create(org.id, str(uuid.uuid4()), email, _digest(token),
                                 at + SETUP_LINK_SECONDS * 1_000_000, at,
                                 known[0] if known else None)  # one person, one password
        return owner, token

    def link(self, slug: str, email: str) -> tuple[Owner, str]:
        """A new one-time link for an owner (a reset, or a lost invitation); the older
        link of that account stops working."""
        token = secrets.token_urlsafe(32)
        with admin_write(self.db) as conn:
            org = organization(conn, slug)
            store = OwnerStore(conn)
            owner = store.in_org(org.id, email.strip())
            if owner is None:
                raise NotFoundError(f"'{email}' is not an owner of '{slug}'.")
            store.set_setup(owner, _digest(token),
                            now_us() + SETUP_LINK_SECONDS * 1_000_000)
        return owner, token

    def forgot(self, email: str) -> tuple[Owner, str] | None:
        """"Forgot password": a link for the address's oldest account, or None (unknown
        address, or asked too often: at most RESETS_PER_HOUR). The page says the same
        either way."""
        email_ci = fold(email.strip())
        if not EMAIL.match(email_ci) or len(email_ci) > 320:
            return None
        key = f"reset:{email_ci}"
        with admin_write(self.db) as conn:
            store = OwnerStore(conn)
            store.lock_address(key)
            at = now_us()
            if store.failures_since(key, at - 3600 * 1_000_000) >= RESETS_PER_HOUR:
                return None
            store.add_failure(key, at)
            accounts = store.by_email(email_ci)
            if not accounts:
                return None
            token = secrets.token_urlsafe(32)
            store.set_setup(accounts[0], _digest(token), at + RESET_LINK_SECONDS * 1_000_000)
        return accounts[0], token

    def owners(self, slug: str) -> list[tuple[Owner, int, bool]]:
        with self.db.read() as conn:
            return OwnerStore(conn).of_org(organization(conn, slug).id)

    def remove(self, slug: str, owner_id: str, by: Owner | None = None) -> None:
        """Remove an owner (their sessions end at once); never the last one, and never
        oneself from the console (another owner, or the operator, can)."""
        if by is not None and by.id == owner_id:
            raise AdminError("You cannot remove yourself; another owner can.")
        with admin_write(self.db) as conn:
            org = organization(conn, slug)
            store = OwnerStore(conn)
            if len(store.of_org(org.id)) <= 1:
                raise AdminError("An organization keeps at least one owner.")
            if not store.remove(org.id, owner_id):
                raise NotFoundError(f"No owner '{owner_id}' in '{slug}'.")

    def organizations_of(self, owner: Owner) -> list[Organization]:
        """Every organization this person owns (they choose one after signing in)."""
        with self.db.read() as conn:
            orgs = OrgStore(conn)
            found = [orgs.by_id(o.org_id) for o in OwnerStore(conn).by_email(owner.email)]
        return [o for o in found if o is not None]

    def switch(self, who: SignedIn, slug: str) -> Owner:
        """The same person's account in another organization they own."""
        with self.db.read() as conn:
            org = organization(conn, slug)
            owner = OwnerStore(conn).in_org(org.id, who.owner.email)
        if owner is None:
            raise NotFoundError(f"You are not an owner of '{slug}'.")
        return owner

    def set_password(self, token: str, password: str) -> Owner:
        if len(password) < MIN_PASSWORD:
            raise AdminError(f"Choose a password of at least {MIN_PASSWORD} characters.")
        with admin_write(self.db) as conn:
            store = OwnerStore(conn)
            owner = store.by_setup_digest(_digest(token), now_us())
            if owner is None:
                raise LinkExpired("This link has expired or was already used.")
            store.set_password_everywhere(owner.email, _hash(password))
        return owner

    def setup_link_valid(self, token: str) -> bool:
        with self.db.read() as conn:
            return OwnerStore(conn).by_setup_digest(_digest(token), now_us()) is not None

    def login(self, email: str, password: str) -> Owner:
        """Check a password; at most THROTTLE_MAX_FAILURES attempts per address per window
        are ever evaluated, however many arrive at once: each attempt is counted as a
        failure, atomically with the check of the count, before the password is verified,
        and a success clears the count. Returns the address's oldest account."""
        email_ci = fold(email.strip())
        with admin_write(self.db) as conn:
            store = OwnerStore(conn)
            store.lock_address(email_ci)
            at = now_us()
            recent = store.failures_since(email_ci, at - THROTTLE_WINDOW_SECONDS * 1_000_000)
            if recent >= THROTTLE_MAX_FAILURES:
                raise LoginRefused("Too many failed sign-ins for this address; try again in "
                                   f"{THROTTLE_WINDOW_SECONDS // 60} minutes.")
            store.add_failure(email_ci, at)  # taken back below if the password is right
            accounts = [o for o in store.by_email(email_ci) if o.password_hash]
        owner = accounts[0] if accounts else None
        ok = _verify(owner.password_hash if owner and owner.password_hash else _dummy_hash(),
                     password)
        if not ok or owner is None or owner.password_hash is None:
            raise LoginRefused("Wrong email address or password.")
        with admin_write(self.db) as conn:
            OwnerStore(conn).clear_failures(email_ci)
        return owner

    def start_session(self, owner: Owner) -> str:
        """A new session; returns the cookie value `<org id>.<secret>` (the secret is stored
        only as a digest; the organization id lets the lookup use the primary key)."""
        cookie, digest = session_cookies.new_cookie(owner.org_id)
        at = now_us()
        with admin_write(self.db) as conn:
            OwnerStore(conn).add_session(owner.org_id, digest, owner.id,
                                         secrets.token_urlsafe(32), at,
                                         at + SESSION_SECONDS * 1_000_000)
        return cookie

    def session(self, cookie: str | None) -> SignedIn | None:
        parsed = session_cookies.parse_cookie(cookie)
        if parsed is None:
            return None
        org_id, digest = parsed
        with self.db.read() as conn:
            store = OwnerStore(conn)
            found: Session | None = store.session(org_id, digest, now_us())
            if found is None:
                return None
            org = OrgStore(conn).by_id(found.org_id)
            owner = store.by_id(found.org_id, found.owner_id)
        if org is None or owner is None:
            return None
        return SignedIn(owner, org, found.csrf)

    def end_session(self, cookie: str | None) -> None:
        parsed = session_cookies.parse_cookie(cookie)
        if parsed is not None:
            with admin_write(self.db) as conn:
                OwnerStore(conn).end_session(*parsed)
