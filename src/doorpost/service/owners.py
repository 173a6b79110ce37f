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
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from doorpost.service import session_cookies, tokens
from doorpost.service.errors import AdminError, NotFoundError
from doorpost.scim.text import fold
from doorpost.store.database import Database
from doorpost.store.directory import now_us
from doorpost.store.orgs import Organization, OrgStore
from doorpost.store.owners import Owner, OwnerStore, Session

SETUP_LINK_SECONDS = 72 * 3600
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


_digest = tokens.digest  # one digest rule for every secret (tokens, keys, links, cookies)


@dataclass(frozen=True)
class SignedIn:
    """A live session: who, for which organization, and the CSRF token of its forms."""

    owner: Owner
    org: Organization
    csrf: str


class LoginRefused(AdminError):
    """Wrong address or password (deliberately not saying which), or throttled."""


class Owners:
    def __init__(self, db: Database) -> None:
        self.db = db

    def create(self, slug: str, email: str) -> tuple[Owner, str]:
        """Create an owner and return a one-time set-password token (valid 72 hours)."""
        email = email.strip()
        if not EMAIL.match(email) or len(email) > 320:
            raise AdminError(f"'{email}' is not an email address.")
        token = secrets.token_urlsafe(32)
        with self.db.write() as conn:
            org = OrgStore(conn).by_slug(slug)
            if org is None:
                raise NotFoundError(f"No organization with slug '{slug}'.")
            store = OwnerStore(conn)
            if store.by_email(email) is not None:
                raise AdminError(f"'{email}' already has an owner account.")
            at = now_us()
            owner = store.create(org.id, str(uuid.uuid4()), email, _digest(token),
                                 at + SETUP_LINK_SECONDS * 1_000_000, at)
        return owner, token

    def set_password(self, token: str, password: str) -> Owner:
        if len(password) < MIN_PASSWORD:
            raise AdminError(f"Choose a password of at least {MIN_PASSWORD} characters.")
        with self.db.write() as conn:
            store = OwnerStore(conn)
            owner = store.by_setup_digest(_digest(token), now_us())
            if owner is None:
                raise AdminError("This link has expired or was already used; ask an "
                                 "operator for a new one.")
            store.set_password(owner, _hash(password))
        return owner

    def setup_link_valid(self, token: str) -> bool:
        with self.db.read() as conn:
            return OwnerStore(conn).by_setup_digest(_digest(token), now_us()) is not None

    def login(self, email: str, password: str) -> Owner:
        """Check a password; at most THROTTLE_MAX_FAILURES attempts per address per window
        are ever evaluated, however many arrive at once: each attempt is counted as a
        failure, atomically with the check of the count, before the password is verified,
        and a success clears the count."""
        email_ci = fold(email.strip())
        with self.db.write() as conn:
            store = OwnerStore(conn)
            store.lock_address(email_ci)
            at = now_us()
            recent = store.failures_since(email_ci, at - THROTTLE_WINDOW_SECONDS * 1_000_000)
            if recent >= THROTTLE_MAX_FAILURES:
                raise LoginRefused("Too many failed sign-ins for this address; try again in "
                                   f"{THROTTLE_WINDOW_SECONDS // 60} minutes.")
            store.add_failure(email_ci, at)  # taken back below if the password is right
            owner = store.by_email(email_ci)
        ok = _verify(owner.password_hash if owner and owner.password_hash else _dummy_hash(),
                     password)
        if not ok or owner is None or owner.password_hash is None:
            raise LoginRefused("Wrong email address or password.")
        with self.db.write() as conn:
            OwnerStore(conn).clear_failures(email_ci)
        return owner

    def start_session(self, owner: Owner) -> str:
        """A new session; returns the cookie value `<org id>.<secret>` (the secret is stored
        only as a digest; the organization id lets the lookup use the primary key)."""
        cookie, digest = session_cookies.new_cookie(owner.org_id)
        at = now_us()
        with self.db.write() as conn:
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
            with self.db.write() as conn:
                OwnerStore(conn).end_session(*parsed)
