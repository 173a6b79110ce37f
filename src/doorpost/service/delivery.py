"""The webhook worker: delivers the outbox to every endpoint, in order, at least once.

A pass leases the endpoints that are due (`WebhookStore.claim`), then for each: first the
replays an owner asked for, then the events after its cursor that it subscribed to, one
request per event. No transaction is open during a request: an event is read in one short
read, sent, and its result written in one short write that also moves the cursor, only if
the lease is still ours. A failure schedules the same event again (the endpoint waits: order
is kept) after the next delay of the retry schedule; when the schedule is spent the event
is dead-lettered and the cursor moves on. `kill -9` at any point repeats at most the event
in flight; receivers deduplicate by `webhook-id`.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

import httpx
import orjson

from doorpost.service import signing, webhook_targets
from doorpost.service.changes import EVENT_TYPES, NEW_EVENTS, matches
from doorpost.service.feed import event_json
from doorpost.store.changes import ChangeEvent, ChangeStore
from doorpost.store.changes import prune as prune_events
from doorpost.store.database import Database
from doorpost.service.clock import now_us
from doorpost.store.event_keys import EventKeyStore
from doorpost.store.orgs import OrgStore
from doorpost.store.webhooks import Webhook, WebhookStore

log = logging.getLogger("doorpost.delivery")
LEASE_US = 30_000_000
BATCH = 50
TIMEOUT = httpx.Timeout(10.0, connect=5.0)


@dataclass(frozen=True)
class Sent:
    ok: bool
    status_code: int | None
    error: str | None
    duration_ms: int
    permanent: bool = False  # the receiver said the event itself is wrong (SET 400)


@dataclass
class Deliverer:
    db: Database
    retry_schedule: tuple[float, ...]
    allow_insecure: bool = False  # the operator setting; an endpoint's own flag needs it
    public_url: str | None = None
    resolver: webhook_targets.Resolver = webhook_targets.system_resolver
    owner: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}:"
                                                f"{uuid.uuid4().hex[:8]}")
    clock: Callable[[], int] = now_us
    lease_us: int = LEASE_US
    retention_days: int = 30  # how long settled events stay for the pull feed and replays
    _next_prune: float = 0.0
    client: httpx.Client = field(default_factory=lambda: httpx.Client(
        timeout=TIMEOUT, follow_redirects=False, trust_env=False))

    # -- the loop --------------------------------------------------------------------
    def run(self, stop: threading.Event, idle_seconds: float = 0.1) -> None:
        """Deliver until `stop` is set. When nothing was due it waits `idle_seconds`, or
        less: a commit of new events in this process wakes it at once (another process's
        are seen at the next look)."""
        log.info("webhook worker %s started", self.owner)
        while not stop.is_set():
            NEW_EVENTS.clear()
            try:
                self._prune_hourly()
                busy = self.run_once()
            except Exception:  # the database away, say: wait and try again
                log.exception("webhook worker pass failed")
                busy = 0
            if not busy and NEW_EVENTS.wait(idle_seconds):
                stop.wait(COALESCE_SECONDS)  # a burst of commits: one pass serves them all
        log.info("webhook worker %s stopped", self.owner)

    def _prune_hourly(self) -> None:
        if time.monotonic() < self._next_prune:
            return
        self._next_prune = time.monotonic() + 3600
        with self.db.write() as conn:
            gone = prune_events(conn, self.clock() - self.retention_days * 86_400_000_000)
        if gone:
            log.info("pruned %d change events older than %d days", gone, self.retention_days)

    def run_once(self) -> int:
        """One pass over the due endpoints; how many attempts were made."""
        with self.db.read() as conn:
            if not WebhookStore(conn).any_due(self.clock()):
                return 0
        with self.db.write() as conn:
            hooks = WebhookStore(conn).claim(self.owner, self.clock(), self.lease_us, 20,
                                             skip_locked=self.db.backend == "postgresql")
        return sum(self._serve(hook) for hook in hooks)

    # -- one endpoint ----------------------------------------------------------------
    def _serve(self, hook: Webhook) -> int:
        tried = 0
        held_until = self.clock() + self.lease_us
        # The lease was taken at the claim, maybe a while ago (endpoints claimed with this
        # one were served first): renew it now, and serve nothing if it is no longer ours.
        if not self._write(lambda s: s.renew(hook, self.owner, held_until)):
            return 0

        def still_ours() -> bool:
            """Renew the lease when half of it is gone; False once another worker has it."""
            nonlocal held_until
            now = self.clock()
            if held_until - now > self.lease_us // 2:
                return True
            held_until = now + self.lease_us
            return self._write(lambda s: s.renew(hook, self.owner, held_until))
        try:
            with self.db.read() as conn:
                secret = WebhookStore(conn).secret(hook.org_id, hook.id)
                org = OrgStore(conn).by_id(hook.org_id)
                keys = EventKeyStore(conn, hook.org_id).all() if hook.format == "set" else []
            slug = org.slug if org else str(hook.org_id)
            tried += self._replays(hook, secret, slug, keys)
            cursor = hook.cursor_seq
            while tried < BATCH:
                with self.db.read() as conn:
                    events = ChangeStore(conn, hook.org_id).after(cursor, BATCH)
                if not events:
                    break
                wanted = [e for e in events if matches(hook.events, e.type)]
                if not wanted:  # nothing subscribed in this stretch: skip it at once
                    cursor = events[-1].seq
                    if not self._write(lambda s: s.advance(hook, self.owner, cursor)):
                        return tried
                    continue
                skipped_to = wanted[0].seq - 1
                if skipped_to > cursor and not self._write(
                        lambda s: s.advance(hook, self.owner, skipped_to)):
                    return tried
                event = wanted[0]
                if not still_ours():
                    return tried
                tried += 1
                sent = self._send(hook, secret, slug, keys, event)
                if not self._settle(hook, event, sent):
                    return tried  # retry later (or the lease was lost): keep the order
                cursor = event.seq
        finally:
            self._write(lambda s: s.release(hook, self.owner))
        return tried

    def _replays(self, hook: Webhook, secret: str, slug: str,
                 keys: list[tuple[str, str]]) -> int:
        with self.db.read() as conn:
            seqs = WebhookStore(conn).replays(hook, BATCH)
            events = ChangeStore(conn, hook.org_id).by_seqs(seqs) if seqs else []
        expired = set(seqs) - {e.seq for e in events}
        for seq in sorted(expired):  # pruned since: say so instead of waiting forever
            def gone(store: WebhookStore, seq: int = seq) -> bool:
                store.log(hook, seq, self.clock(), "dead", None,
                          "the event is older than the retention period", 0)
                store.replay_done(hook, seq)
                return True
            self._write(gone)
        for event in events:
            sent = self._send(hook, secret, slug, keys, event)
            outcome = "delivered" if sent.ok else "dead"

            def done(store: WebhookStore, event: ChangeEvent = event) -> bool:
                store.log(hook, event.seq, self.clock(), outcome, sent.status_code,
                          sent.error, sent.duration_ms)
                store.replay_done(hook, event.seq)
                return True
            self._write(done)
        return len(events)

    def _settle(self, hook: Webhook, event: ChangeEvent, sent: Sent) -> bool:
        """Write the attempt's result; True if the endpoint may go on to the next event."""
        at = self.clock()
        if sent.ok:
            def delivered(store: WebhookStore) -> bool:
                if not store.advance(hook, self.owner, event.seq):
                    return False
                store.log(hook, event.seq, at, "delivered", sent.status_code, None,
                          sent.duration_ms)
                return True
            return self._write(delivered)
        with self.db.read() as conn:
            current = WebhookStore(conn).get(hook.org_id, hook.id)
        failures = (current.attempts if current else hook.attempts) + 1
        if sent.permanent or failures > len(self.retry_schedule):
            def dead(store: WebhookStore) -> bool:
                if not store.advance(hook, self.owner, event.seq):
                    return False
                store.log(hook, event.seq, at, "dead", sent.status_code, sent.error,
                          sent.duration_ms)
                return True
            log.warning("webhook %s: event %s dead-lettered after %d attempts: %s",
                        hook.id, event.seq, failures, sent.error)
            return self._write(dead)
        delay_us = int(self.retry_schedule[failures - 1] * 1_000_000)

        def failed(store: WebhookStore) -> bool:
            if not store.retry_later(hook, self.owner, failures, at + delay_us,
                                     sent.error or ""):
                return False
            store.log(hook, event.seq, at, "failed", sent.status_code, sent.error,
                      sent.duration_ms)
            return False  # stop here: the same event comes first next time
        self._write(failed)
        return False

    def _write(self, work: Callable[[WebhookStore], bool]) -> bool:
        with self.db.write() as conn:
            return work(WebhookStore(conn))

    # -- one request -----------------------------------------------------------------
    def _send(self, hook: Webhook, secret: str, slug: str, keys: list[tuple[str, str]],
              event: ChangeEvent) -> Sent:
        started = time.monotonic()

        def took() -> int:
            return int((time.monotonic() - started) * 1000)
        insecure = hook.allow_insecure and self.allow_insecure
        try:
            target = webhook_targets.parse(hook.url, insecure)
            address = webhook_targets.addresses(target, insecure, self.resolver)[0]
        except webhook_targets.UnsafeTarget as exc:
            return Sent(False, None, str(exc), took())
        url, headers, extensions = webhook_targets.pinned(target, address)
        if hook.format == "set":
            if not keys:
                return Sent(False, None, "no signing key for Security Event Tokens", took())
            body = signing.security_event_token(
                self._set_claims(event, slug, hook.url), *keys[0]).encode()
            headers |= {"content-type": "application/secevent+jwt",
                        "accept": "application/json"}
        else:
            body = orjson.dumps(event_json(event))
            headers |= signing.standard_headers(secret, event.id, int(time.time()), body)
        headers["user-agent"] = "Doorpost-Webhooks/1"
        try:
            response = self.client.post(url, content=body, headers=headers,
                                        extensions=extensions)
        except httpx.HTTPError as exc:
            return Sent(False, None, f"{type(exc).__name__}: {exc}"[:300], took())
        if 200 <= response.status_code < 300:
            return Sent(True, response.status_code, None, took())
        permanent = hook.format == "set" and response.status_code == 400
        return Sent(False, response.status_code, _describe(response), took(), permanent)

    def _set_claims(self, event: ChangeEvent, slug: str, audience: str) -> dict[str, Any]:
        """RFC 8417 claims with the RFC 9967 event (or Doorpost's own URI for the rest)."""
        data = event.data
        subject = data.get("user") or data.get("group") or {}
        kind = "Users" if "user" in data else "Groups"
        payload: dict[str, Any] = {}
        if "attributes" in data:
            payload["attributes"] = data["attributes"]
        if event.type.startswith(("access.", "membership.", "grant.", "member.",
                                  "door.", "place.")):
            payload = dict(data)
        claims: dict[str, Any] = {
            "iss": issuer(self.public_url, slug), "iat": event.time_us // 1_000_000,
            "jti": event.id, "aud": audience, "txn": str(event.seq),
            "events": {EVENT_TYPES[event.type].set_uri: payload}}
        if subject.get("id"):
            claims["sub_id"] = {"format": "scim", "uri": f"/{kind}/{subject['id']}",
                                **({"externalId": subject["externalId"]}
                                   if subject.get("externalId") else {})}
        return claims


def issuer(public_url: str | None, slug: str) -> str:
    """The `iss` of an organization's Security Event Tokens (its JWKS is beside it)."""
    return f"{public_url}/api/v1/orgs/{slug}" if public_url else f"urn:doorpost:org:{slug}"


def _describe(response: httpx.Response) -> str:
    text = response.text[:200].replace("\n", " ")
    return f"HTTP {response.status_code}" + (f": {text}" if text else "")


# After a commit wakes the worker, how long it lets others land before it looks: at a few
# hundred writes a second, one look serves many instead of one look per write.
COALESCE_SECONDS = 0.005


class WorkerThread:
    """A `Deliverer` on a daemon thread: what `serve` runs in each worker process."""

    def __init__(self, deliverer: Deliverer) -> None:
        self.deliverer = deliverer
        self.stop = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        self.thread = threading.Thread(target=self.deliverer.run, args=(self.stop,),
                                       name="doorpost-webhooks", daemon=True)
        self.thread.start()

    def close(self) -> None:
        """Stop after the request in flight (at most its timeout); what is not settled is
        sent again by the next worker, since the cursor had not moved."""
        self.stop.set()
        if self.thread is not None:
            self.thread.join(timeout=15)
