"""The access API's use cases: API keys per organization, and the decisions and events a
door controller or reader asks for.

Keys are `dp_key_` + 256 random bits, shown once, stored as SHA-256 digests, compared in
constant time, revocable at once (every request reads the key's row). Every decision goes
through `access.Doors.unlock`, the same rule the member page uses, and is recorded as an
access event; the events are a feed a controller pages with an opaque cursor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from doorpost.scim.definitions import USER_TYPE
from doorpost.scim.text import fold
from doorpost.service import signing, tokens
from doorpost.service.access import Doors
from doorpost.service.organizations import organization
from doorpost.service.errors import AdminError, NotFoundError
from doorpost.service.feed import ChangeFeed
from doorpost.store.api_keys import ApiKey, ApiKeyStore
from doorpost.store.changes import ChangeEvent
from doorpost.store.database import Database
from doorpost.store.directory import Directory
from doorpost.service.clock import now_us
from doorpost.store.doors import AccessEvent, Door, DoorStore
from doorpost.store.event_keys import EventKeyStore
from doorpost.store.orgs import Organization, OrgStore

MAX_EVENTS = 500


class ApiUnauthorized(AdminError):
    """Missing, unknown or revoked API key."""


class BadRequest(AdminError):
    """The request is not one the API understands; says why."""


@dataclass(frozen=True)
class ApiCaller:
    org: Organization
    key_id: str


@dataclass(frozen=True)
class Answer:
    """A recorded decision."""

    allowed: bool
    reason: str
    decision_id: str
    user_id: str | None


class AccessApi:
    def __init__(self, db: Database) -> None:
        self.db = db
        self.doors = Doors(db)
        self.feed = ChangeFeed(db)

    # -- keys ------------------------------------------------------------------------
    def _org(self, slug: str) -> Organization:
        with self.db.read() as conn:
            return organization(conn, slug)

    def create_key(self, slug: str, name: str) -> tuple[ApiKey, str]:
        name = name.strip()
        if not name or len(name) > 100:
            raise AdminError("A key needs a name of 1 to 100 characters.")
        org = self._org(slug)
        secret = tokens.mint(tokens.API_KEY_PREFIX)
        key = ApiKey(org.id, str(uuid.uuid4()), name, tokens.display_prefix(secret), now_us(),
                     None, None)
        with self.db.write() as conn:
            ApiKeyStore(conn).create(key, tokens.digest(secret))
        return key, secret

    def keys(self, slug: str) -> list[ApiKey]:
        org = self._org(slug)
        with self.db.read() as conn:
            return ApiKeyStore(conn).of_org(org.id)

    def revoke_key(self, slug: str, key_id: str) -> None:
        org = self._org(slug)
        with self.db.write() as conn:
            if not ApiKeyStore(conn).revoke(org.id, key_id, now_us()):
                raise NotFoundError(f"No active API key '{key_id}' in '{slug}'.")

    def authenticate(self, authorization: str | None) -> ApiCaller:
        presented = tokens.presented(authorization)
        digest = tokens.digest(presented)  # hashed even when empty: same work either way
        with self.db.single_read() as conn:
            found = ApiKeyStore(conn).by_digest(digest)
            org = OrgStore(conn).by_id(found[0].org_id) if found else None
        if found is None or org is None or not presented:
            raise ApiUnauthorized("Missing or invalid API key.")
        key, stored = found
        if not tokens.same_digest(stored, digest) or not key.active:
            raise ApiUnauthorized("Missing or invalid API key.")
        at = now_us()
        if tokens.use_worth_recording(key.last_used_us, at):
            with self.db.write() as conn:
                ApiKeyStore(conn).mark_used(org.id, key.id, at)
        return ApiCaller(org, key.id)

    # -- doors, decisions, events ----------------------------------------------------
    def door_list(self, caller: ApiCaller) -> list[Door]:
        with self.db.read() as conn:
            return DoorStore(conn, caller.org.id).all()

    def decide(self, caller: ApiCaller, door_id: object, user: object) -> Answer:
        """`user` is a SCIM id, a userName or an email (folded); the decision is recorded."""
        if not isinstance(door_id, str) or not door_id or len(door_id) > 200 \
                or "\x00" in door_id:
            raise BadRequest("'door' must be the id of a door (a string).")
        if not isinstance(user, str) or not user.strip() or len(user) > 512 or "\x00" in user:
            raise BadRequest("'user' must be a SCIM id, userName or email (a string).")
        with self.db.read() as conn:
            directory = Directory(conn, caller.org.id, self.db.backend)
            stored = directory.get(USER_TYPE, user.strip()) or \
                directory.user_signing_in([fold(user.strip())])
            door = DoorStore(conn, caller.org.id).by_id_or_name(door_id)
        if door is None or door.id != door_id:
            raise NotFoundError(f"No door '{door_id}'.")
        user_id = stored.meta.id if stored is not None else ""
        decision, event_id = self.doors.unlock(caller.org.id, user_id, door.id, "api")
        return Answer(decision.allowed, decision.reason, event_id, user_id or None)

    def events(self, caller: ApiCaller, after: str | None, limit: int
               ) -> tuple[list[AccessEvent], str | None]:
        """A page of access events, oldest first, and the cursor of the next page."""
        if not 1 <= limit <= MAX_EVENTS:
            raise BadRequest(f"'limit' must be between 1 and {MAX_EVENTS}.")
        position: tuple[int, str] | None = None
        if after:
            time_part, _, id_part = after.partition(".")
            if not (time_part.isascii() and time_part.isdigit() and len(time_part) < 20
                    and id_part.isascii() and id_part.isalnum() and len(id_part) <= 32):
                raise BadRequest("'after' must be a cursor from an earlier page.")
            position = (int(time_part), id_part)
        with self.db.read() as conn:
            page = DoorStore(conn, caller.org.id).events_after(position, limit)
        cursor = f"{page[-1].time_us}.{page[-1].id}" if page else after
        return page, cursor

    def changes(self, caller: ApiCaller, after: int, limit: int) -> list[ChangeEvent]:
        """The change feed after sequence number `after` (the pull feed's one page)."""
        if not 1 <= limit <= MAX_EVENTS:
            raise BadRequest(f"'limit' must be between 1 and {MAX_EVENTS}.")
        return self.feed.after(caller.org.id, after, limit)

    def jwks(self, slug: str) -> dict[str, object]:
        """The public keys of an organization's Security Event Tokens (public by design)."""
        org = self._org(slug)
        with self.db.read() as conn:
            return signing.public_jwks(EventKeyStore(conn, org.id).all())
