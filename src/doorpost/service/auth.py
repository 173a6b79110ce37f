"""Who is calling: a bearer token → the organization it belongs to, or 401.

Every request reads the token row, so a revocation or a disabled SCIM takes effect on the
very next request. `last_used` is written at most once a minute per token, so reads do not
turn into writes.
"""

from __future__ import annotations

from dataclasses import dataclass

from doorpost.scim.errors import Unauthorized
from doorpost.service import tokens
from doorpost.service.organizations import scim_serves
from doorpost.store.database import Database
from doorpost.service.clock import now_us
from doorpost.store.orgs import Organization, OrgStore, find_by_digest


@dataclass(frozen=True)
class Caller:
    """An authenticated SCIM client: its organization and the token it used."""

    org: Organization
    token_id: str


def authenticate(db: Database, authorization: str | None) -> Caller:
    presented = tokens.presented(authorization)
    digest = tokens.digest(presented)  # hashed even when empty: same work either way
    found = find_by_digest(db, digest)
    if found is None or not presented:
        raise Unauthorized("Missing or invalid bearer token.")
    record, stored, org = found
    if not tokens.same_digest(stored, digest) or not record.active:
        raise Unauthorized("Missing or invalid bearer token.")
    if not scim_serves(org):
        raise Unauthorized("SCIM is not available for this organization.")
    now = now_us()
    if tokens.use_worth_recording(record.last_used_us, now):
        with db.write() as conn:
            OrgStore(conn).mark_used(org.id, record.id, now)
    return Caller(org, record.id)
