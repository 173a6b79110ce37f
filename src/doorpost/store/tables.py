"""The database schema (SQLAlchemy Core). Alembic migrations create it; tests never use create_all.

Times are integer microseconds since the epoch (UTC): identical on SQLite and PostgreSQL,
cheap to compare, and a stable keyset for paging.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

metadata = MetaData(naming_convention={
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
})

Document = JSON(none_as_null=True).with_variant(JSONB(none_as_null=True), "postgresql")

organizations = Table(
    "organizations", metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("slug", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("licensed", Boolean, nullable=False, default=False),
    Column("sso_configured", Boolean, nullable=False, default=False),
    Column("scim_enabled", Boolean, nullable=False, default=False),
    Column("dialect", String(32), nullable=True),
    Column("created_us", BigInteger, nullable=False),
    Column("cursor_key", String(64), nullable=False),  # signs this organization's cursors
    # the last sequence number of this organization's change feed (`change_events.seq`)
    Column("event_seq", BigInteger, nullable=False, server_default="0"),
)

scim_tokens = Table(
    "scim_tokens", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(24), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_us", BigInteger, nullable=False),
    Column("last_used_us", BigInteger, nullable=True),
    Column("revoked_us", BigInteger, nullable=True),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

api_keys = Table(  # the access API's keys (door controllers, readers): digests only
    "api_keys", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("name", String(100), nullable=False),
    Column("prefix", String(24), nullable=False),
    Column("digest", String(64), nullable=False, unique=True),
    Column("created_us", BigInteger, nullable=False),
    Column("last_used_us", BigInteger, nullable=True),
    Column("revoked_us", BigInteger, nullable=True),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

users = Table(
    "users", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("user_name", Text, nullable=False),
    Column("user_name_ci", Text, nullable=False),
    Column("external_id", Text, nullable=True),
    Column("display_name", Text, nullable=True),
    Column("active", Boolean, nullable=True),  # NULL: unassigned, which opens no door
    Column("doc", Document, nullable=False),
    Column("doc_ci", Document, nullable=True),  # the document as filters compare it (folded)
    Column("version", Integer, nullable=False, default=1),
    Column("created_us", BigInteger, nullable=False),
    Column("modified_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    UniqueConstraint("org_id", "user_name_ci"),
    Index(None, "org_id", "external_id"),
    Index(None, "org_id", "created_us", "id"),
)

user_emails = Table(
    "user_emails", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("user_id", String(36), nullable=False, primary_key=True),
    Column("position", Integer, nullable=False, primary_key=True),
    Column("type_ci", Text, nullable=True),
    Column("value_ci", Text, nullable=False),
    ForeignKeyConstraint(["org_id", "user_id"], ["users.org_id", "users.id"], ondelete="CASCADE"),
    Index(None, "org_id", "value_ci"),
)

groups = Table(
    "groups", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("display_name", Text, nullable=False),
    Column("display_name_ci", Text, nullable=False),
    Column("external_id", Text, nullable=True),
    Column("doc", Document, nullable=False),
    Column("doc_ci", Document, nullable=True),  # the document as filters compare it (folded)
    Column("version", Integer, nullable=False, default=1),
    Column("created_us", BigInteger, nullable=False),
    Column("modified_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    UniqueConstraint("org_id", "display_name_ci"),
    Index(None, "org_id", "external_id"),
    Index(None, "org_id", "created_us", "id"),
)

memberships = Table(
    "memberships", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("group_id", String(36), nullable=False, primary_key=True),
    Column("user_id", String(36), nullable=False, primary_key=True),
    ForeignKeyConstraint(["org_id", "group_id"], ["groups.org_id", "groups.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["org_id", "user_id"], ["users.org_id", "users.id"], ondelete="CASCADE"),
    Index(None, "org_id", "user_id", "group_id"),
)

scim_requests = Table(
    "scim_requests", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(32), nullable=False, primary_key=True),
    Column("time_us", BigInteger, nullable=False),
    Column("token_id", String(36), nullable=True),
    Column("method", String(10), nullable=False),
    Column("path", Text, nullable=False),
    Column("status", Integer, nullable=False),
    Column("latency_us", BigInteger, nullable=False),
    Column("dialect", String(32), nullable=True),
    Column("resource_type", String(16), nullable=True),
    Column("resource_id", String(36), nullable=True),
    Column("notes", Document, nullable=True),
    Column("changes", Document, nullable=True),  # before/after of the attributes touched
    Column("error", Text, nullable=True),  # the SCIM error detail of a failed request
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    Index(None, "org_id", "time_us"),
    Index(None, "org_id", "resource_id", "time_us"),
)

places = Table(  # a site or building; doors belong to one
    "places", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    UniqueConstraint("org_id", "name"),
)

doors = Table(
    "doors", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("place_id", String(36), nullable=True),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    UniqueConstraint("org_id", "name"),
    Index(None, "org_id", "place_id"),
)

door_grants = Table(
    "door_grants", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("door_id", String(36), nullable=False, primary_key=True),
    Column("group_id", String(36), nullable=False, primary_key=True),
    ForeignKeyConstraint(["org_id", "door_id"], ["doors.org_id", "doors.id"], ondelete="CASCADE"),
    ForeignKeyConstraint(["org_id", "group_id"], ["groups.org_id", "groups.id"], ondelete="CASCADE"),
    Index(None, "org_id", "group_id"),
)

owners = Table(
    "owners", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("email", String(320), nullable=False),
    Column("email_ci", String(320), nullable=False),  # a person may own several orgs
    Column("password_hash", Text, nullable=True),  # argon2; null until the link is used
    Column("setup_digest", String(64), nullable=True),  # SHA-256 of the one-time link token
    Column("setup_expires_us", BigInteger, nullable=True),
    Column("created_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    UniqueConstraint("email_ci", "org_id"),  # one account per address per organization;
    # it also serves the sign-in lookup by address across organizations
)

owner_sessions = Table(
    "owner_sessions", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("digest", String(64), nullable=False, primary_key=True),  # SHA-256 of the cookie
    Column("owner_id", String(36), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id", "owner_id"], ["owners.org_id", "owners.id"],
                         ondelete="CASCADE"),
)

login_failures = Table(
    "login_failures", metadata,
    # Throttling is per address, before any organization is known: org_id is always 0.
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("email_ci", String(320), nullable=False, primary_key=True),
    Column("time_us", BigInteger, nullable=False, primary_key=True),
)

sso_connections = Table(
    "sso_connections", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("metadata_url", Text, nullable=True),
    Column("metadata_xml", Text, nullable=False),
    Column("idp_entity_id", Text, nullable=False),
    Column("idp_sso_url", Text, nullable=False),
    Column("idp_certificate", Text, nullable=False),
    Column("updated_us", BigInteger, nullable=False),
    Column("verified_us", BigInteger, nullable=True),  # last passing Test SSO of this metadata
    Column("verified_detail", Document, nullable=True),  # what that test received
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

saml_sp_keys = Table(  # the organization's own SAML key pair ("Generate certificate")
    "saml_sp_keys", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("key_pem", Text, nullable=False),  # private: never shown, never logged
    Column("cert_pem", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

saml_requests = Table(  # outstanding AuthnRequests, so InResponseTo can be checked by any worker
    "saml_requests", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(64), nullable=False, primary_key=True),
    Column("purpose", String(16), nullable=False),  # owner | member | test
    Column("owner_id", String(36), nullable=True),  # who pressed Test SSO
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    Column("result", Document, nullable=True),  # a test's outcome, shown to its owner
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

saml_assertions = Table(  # assertion ids already consumed (the replay cache)
    "saml_assertions", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(256), nullable=False, primary_key=True),
    Column("expires_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

member_sessions = Table(
    "member_sessions", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("digest", String(64), nullable=False, primary_key=True),  # SHA-256 of the cookie
    Column("user_id", String(36), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("expires_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    Index(None, "org_id", "user_id"),
)

access_events = Table(  # every access decision asked of Doorpost (unlock buttons, later APIs)
    "access_events", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(32), nullable=False, primary_key=True),
    Column("time_us", BigInteger, nullable=False),
    Column("user_id", String(36), nullable=False),
    Column("door_id", String(36), nullable=False),
    Column("allowed", Boolean, nullable=False),
    Column("reason", Text, nullable=False),
    Column("source", String(16), nullable=False),  # member-page | cli | api
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
    Index(None, "org_id", "time_us"),
)


member_suspensions = Table(  # an owner's own suspension of a member, apart from the IdP's `active`
    "member_suspensions", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("user_id", String(36), nullable=False, primary_key=True),
    Column("at_us", BigInteger, nullable=False),
    Column("by", String(320), nullable=False),  # the owner's email, or "cli"
    Column("reason", Text, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

change_events = Table(  # the outbox: every committed change, in the change's own transaction
    "change_events", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("seq", BigInteger, nullable=False, primary_key=True),  # per organization, no gaps
    Column("id", String(32), nullable=False),  # the event's id (webhook-id, SET jti)
    Column("type", String(40), nullable=False),
    Column("time_us", BigInteger, nullable=False),
    Column("data", Document, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

event_keys = Table(  # signs this organization's Security Event Tokens (ES256)
    "event_keys", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("kid", String(32), nullable=False, primary_key=True),
    Column("private_pem", Text, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

webhooks = Table(  # endpoints that receive the change feed; `cursor_seq` is what they have
    "webhooks", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("id", String(36), nullable=False, primary_key=True),
    Column("url", Text, nullable=False),
    Column("format", String(16), nullable=False),  # standard (Standard Webhooks) | set
    Column("events", Document, nullable=False),  # type patterns, e.g. ["access.*"]
    Column("secret", String(80), nullable=False),  # must sign, so it cannot be a digest
    Column("allow_insecure", Boolean, nullable=False),
    Column("created_us", BigInteger, nullable=False),
    Column("disabled_us", BigInteger, nullable=True),
    Column("cursor_seq", BigInteger, nullable=False),  # every event up to here is done
    Column("attempts", Integer, nullable=False),  # failed attempts of the next event
    Column("next_attempt_us", BigInteger, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until_us", BigInteger, nullable=False),
    Column("last_error", Text, nullable=True),
    ForeignKeyConstraint(["org_id"], ["organizations.id"], ondelete="CASCADE"),
)

webhook_attempts = Table(  # the delivery log, one row per attempt; dead letters live here too
    "webhook_attempts", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("webhook_id", String(36), nullable=False, primary_key=True),
    Column("seq", BigInteger, nullable=False, primary_key=True),
    Column("attempt", Integer, nullable=False, primary_key=True),
    Column("time_us", BigInteger, nullable=False),
    Column("outcome", String(12), nullable=False),  # delivered | failed | dead | replayed
    Column("status_code", Integer, nullable=True),
    Column("error", Text, nullable=True),
    Column("duration_ms", Integer, nullable=False),
    ForeignKeyConstraint(["org_id", "webhook_id"], ["webhooks.org_id", "webhooks.id"],
                         ondelete="CASCADE"),
    Index(None, "org_id", "webhook_id", "time_us"),
)

webhook_replays = Table(  # dead letters an owner asked to send again, delivered before new events
    "webhook_replays", metadata,
    Column("org_id", Integer, nullable=False, primary_key=True),
    Column("webhook_id", String(36), nullable=False, primary_key=True),
    Column("seq", BigInteger, nullable=False, primary_key=True),
    Column("requested_us", BigInteger, nullable=False),
    ForeignKeyConstraint(["org_id", "webhook_id"], ["webhooks.org_id", "webhooks.id"],
                         ondelete="CASCADE"),
)
