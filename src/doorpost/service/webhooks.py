"""Webhook endpoints per organization: add (the signing secret is shown once), list, pause,
remove, the delivery log, dead letters and their replay. Delivery itself is
`service/delivery.py`; both read the one outbox.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Sequence

from doorpost.service import signing, webhook_targets
from doorpost.service.changes import valid_pattern
from doorpost.service.organizations import organization
from doorpost.service.errors import AdminError, NotFoundError
from doorpost.store.changes import ChangeStore
from doorpost.store.database import Database
from doorpost.service.clock import now_us
from doorpost.store.event_keys import EventKeyStore
from doorpost.store.orgs import Organization
from doorpost.store.webhooks import Attempt, Webhook, WebhookStore

FORMATS = ("standard", "set")
MAX_PER_ORG = 20


@dataclass(frozen=True)
class Added:
    webhook: Webhook
    secret: str  # shown once


class Webhooks:
    def __init__(self, db: Database, allow_insecure: bool = False,
                 resolver: webhook_targets.Resolver = webhook_targets.system_resolver) -> None:
        self.db = db
        self.allow_insecure = allow_insecure  # the operator setting
        self.resolver = resolver

    def _org(self, slug: str) -> Organization:
        with self.db.read() as conn:
            return organization(conn, slug)

    def add(self, slug: str, url: str, events: Sequence[str] = ("*",),
            fmt: str = "standard", insecure: bool = False, from_start: bool = False) -> Added:
        """A new endpoint receives events committed from now on (or, with `from_start`,
        every event the feed still holds)."""
        if insecure and not self.allow_insecure:
            raise AdminError("--allow-insecure needs the operator setting "
                             "DOORPOST_WEBHOOK_ALLOW_INSECURE=1 (for development and tests).")
        if fmt not in FORMATS:
            raise AdminError(f"The format must be one of {', '.join(FORMATS)}.")
        patterns = [e.strip() for e in events if e.strip()] or ["*"]
        unknown = [p for p in patterns if not valid_pattern(p)]
        if unknown:
            raise AdminError(f"Unknown event type '{unknown[0]}' (see `doorpost webhook "
                             "events`).")
        target = webhook_targets.parse(url, insecure)
        webhook_targets.addresses(target, insecure, self.resolver)
        org = self._org(slug)
        secret = signing.new_secret()
        with self.db.write() as conn:
            store = WebhookStore(conn)
            if len(store.of_org(org.id)) >= MAX_PER_ORG:
                raise AdminError(f"An organization can have at most {MAX_PER_ORG} webhooks.")
            start = 0 if from_start else ChangeStore(conn, org.id).last_seq()
            hook = Webhook(org.id, str(uuid.uuid4()), target.url, fmt, patterns, insecure,
                           now_us(), None, start, 0, 0, None)
            store.create(hook, secret)
            if fmt == "set" and not EventKeyStore(conn, org.id).all():
                kid, pem = signing.new_event_key()
                EventKeyStore(conn, org.id).add(kid, pem, now_us())
        return Added(hook, secret)

    def all(self, slug: str) -> list[Webhook]:
        org = self._org(slug)
        with self.db.read() as conn:
            return WebhookStore(conn).of_org(org.id)

    def get(self, slug: str, webhook_id: str) -> Webhook:
        org = self._org(slug)
        with self.db.read() as conn:
            hook = WebhookStore(conn).get(org.id, webhook_id)
        if hook is None:
            raise NotFoundError(f"No webhook '{webhook_id}' in '{slug}'.")
        return hook

    def remove(self, slug: str, webhook_id: str) -> None:
        org = self._org(slug)
        with self.db.write() as conn:
            if not WebhookStore(conn).remove(org.id, webhook_id):
                raise NotFoundError(f"No webhook '{webhook_id}' in '{slug}'.")

    def pause(self, slug: str, webhook_id: str, paused: bool) -> None:
        """A paused endpoint keeps its cursor: resumed, it gets what it missed, in order."""
        org = self._org(slug)
        with self.db.write() as conn:
            if not WebhookStore(conn).set_disabled(org.id, webhook_id,
                                                   now_us() if paused else None):
                raise NotFoundError(f"No webhook '{webhook_id}' in '{slug}'.")

    def attempts(self, slug: str, webhook_id: str, limit: int = 100) -> list[Attempt]:
        hook = self.get(slug, webhook_id)
        with self.db.read() as conn:
            return WebhookStore(conn).attempts(hook.org_id, hook.id, limit)

    def dead_letters(self, slug: str, webhook_id: str) -> list[int]:
        hook = self.get(slug, webhook_id)
        with self.db.read() as conn:
            return WebhookStore(conn).dead(hook.org_id, hook.id)

    def replay(self, slug: str, webhook_id: str, seqs: Sequence[int] | None = None) -> int:
        """Send dead-lettered events again (all of them, or those listed); how many."""
        hook = self.get(slug, webhook_id)
        with self.db.write() as conn:
            store = WebhookStore(conn)
            dead = store.dead(hook.org_id, hook.id)
            chosen = dead if seqs is None else [s for s in seqs if s in dead]
            if seqs is not None and len(chosen) != len(set(seqs)):
                missing = sorted(set(seqs) - set(dead))[0]
                raise NotFoundError(f"Event {missing} is not a dead letter of this webhook.")
            return store.request_replay(hook.org_id, hook.id, chosen, now_us())
