"""Webhook endpoints, their delivery state, the delivery log and replays.

Each endpoint keeps a cursor: every event up to `cursor_seq` is delivered or dead-lettered,
so delivery is in order per endpoint, and a crash at any moment only repeats the event in
flight (at least once; receivers deduplicate by `webhook-id`). A worker leases an endpoint
before delivering to it (`claim`); on PostgreSQL the claim skips rows another worker holds
(`FOR UPDATE SKIP LOCKED`), and every result is written only if the lease is still ours.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, delete, insert, or_, select, update

from doorpost.store import tables as t


@dataclass(frozen=True)
class Webhook:
    org_id: int
    id: str
    url: str
    format: str
    events: list[str]
    allow_insecure: bool
    created_us: int
    disabled_us: int | None
    cursor_seq: int
    attempts: int
    next_attempt_us: int
    last_error: str | None


@dataclass(frozen=True)
class Attempt:
    seq: int
    attempt: int
    time_us: int
    outcome: str
    status_code: int | None
    error: str | None
    duration_ms: int


_COLUMNS = [t.webhooks.c[n] for n in (
    "org_id", "id", "url", "format", "events", "allow_insecure", "created_us", "disabled_us",
    "cursor_seq", "attempts", "next_attempt_us", "last_error")]


def _webhook(r: Any) -> Webhook:
    return Webhook(r.org_id, r.id, r.url, r.format, list(r.events), r.allow_insecure,
                   r.created_us, r.disabled_us, r.cursor_seq, r.attempts, r.next_attempt_us,
                   r.last_error)


class WebhookStore:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def create(self, hook: Webhook, secret: str) -> None:
        self.conn.execute(insert(t.webhooks).values(
            **{c.name: getattr(hook, c.name) for c in _COLUMNS}, secret=secret,
            lease_owner=None, lease_until_us=0))

    def of_org(self, org_id: int) -> list[Webhook]:
        w = t.webhooks.c
        return [_webhook(r) for r in self.conn.execute(
            select(*_COLUMNS).where(w.org_id == org_id).order_by(w.created_us, w.id))]

    def get(self, org_id: int, webhook_id: str) -> Webhook | None:
        w = t.webhooks.c
        row = self.conn.execute(select(*_COLUMNS).where(
            w.org_id == org_id, w.id == webhook_id)).first()
        return _webhook(row) if row else None

    def secret(self, org_id: int, webhook_id: str) -> str:
        w = t.webhooks.c
        return str(self.conn.execute(select(w.secret).where(
            w.org_id == org_id, w.id == webhook_id)).scalar_one())

    def remove(self, org_id: int, webhook_id: str) -> bool:
        w = t.webhooks.c
        for table in (t.webhook_attempts, t.webhook_replays):
            self.conn.execute(delete(table).where(table.c.org_id == org_id,
                                                  table.c.webhook_id == webhook_id))
        return bool(self.conn.execute(delete(t.webhooks).where(
            w.org_id == org_id, w.id == webhook_id)).rowcount)

    def set_disabled(self, org_id: int, webhook_id: str, at_us: int | None) -> bool:
        w = t.webhooks.c
        return bool(self.conn.execute(update(t.webhooks).where(
            w.org_id == org_id, w.id == webhook_id).values(
                disabled_us=at_us, attempts=0, next_attempt_us=0)).rowcount)

    # -- the worker's side -----------------------------------------------------------
    @staticmethod
    def _due(now_us: int) -> Any:
        w, o, r = t.webhooks.c, t.organizations.c, t.webhook_replays.c
        waiting = or_(o.event_seq > w.cursor_seq, select(r.seq).where(
            r.org_id == w.org_id, r.webhook_id == w.id).exists())
        return (select(w.org_id, w.id)
                .join_from(t.webhooks, t.organizations, o.id == w.org_id)
                .where(w.disabled_us.is_(None), w.next_attempt_us <= now_us,
                       w.lease_until_us < now_us, waiting))

    def any_due(self, now_us: int) -> bool:
        """Is any endpoint due (what `claim` would lease)? A read: a worker woken by every
        commit asks this first, so it takes no write lock when there is nothing to send."""
        return self.conn.execute(self._due(now_us).limit(1)).first() is not None

    def claim(self, owner: str, now_us: int, lease_us: int, limit: int, skip_locked: bool
              ) -> list[Webhook]:
        """Lease endpoints that are due: enabled, not leased, and with events beyond their
        cursor or replays waiting."""
        w = t.webhooks.c
        q = self._due(now_us).order_by(w.next_attempt_us).limit(limit)
        if skip_locked:
            q = q.with_for_update(skip_locked=True, of=t.webhooks)
        keys = self.conn.execute(q).all()
        claimed = []
        for org_id, webhook_id in keys:
            done = self.conn.execute(update(t.webhooks).where(
                w.org_id == org_id, w.id == webhook_id, w.lease_until_us < now_us).values(
                    lease_owner=owner, lease_until_us=now_us + lease_us)).rowcount
            if done:
                hook = self.get(org_id, webhook_id)
                if hook is not None:
                    claimed.append(hook)
        return claimed

    def _leased(self, hook: Webhook, owner: str) -> Any:
        w = t.webhooks.c
        return and_(w.org_id == hook.org_id, w.id == hook.id, w.lease_owner == owner)

    def renew(self, hook: Webhook, owner: str, until_us: int) -> bool:
        return bool(self.conn.execute(update(t.webhooks).where(self._leased(hook, owner))
                                      .values(lease_until_us=until_us)).rowcount)

    def release(self, hook: Webhook, owner: str) -> bool:
        return bool(self.conn.execute(update(t.webhooks).where(self._leased(hook, owner))
                                      .values(lease_owner=None, lease_until_us=0)).rowcount)

    def advance(self, hook: Webhook, owner: str, seq: int) -> bool:
        """The event at `seq` is done (delivered, skipped or dead): move the cursor."""
        w = t.webhooks.c
        return bool(self.conn.execute(update(t.webhooks).where(
            self._leased(hook, owner), w.cursor_seq < seq).values(
                cursor_seq=seq, attempts=0, next_attempt_us=0, last_error=None)).rowcount)

    def retry_later(self, hook: Webhook, owner: str, attempts: int, at_us: int,
                    error: str) -> bool:
        return bool(self.conn.execute(update(t.webhooks).where(self._leased(hook, owner))
                                      .values(attempts=attempts, next_attempt_us=at_us,
                                              last_error=error[:500],
                                              lease_owner=None, lease_until_us=0)).rowcount)

    def log(self, hook: Webhook, seq: int, at_us: int, outcome: str,
            status_code: int | None, error: str | None, duration_ms: int) -> None:
        """One line of the delivery log (attempts of one event are numbered 1, 2, …)."""
        a = t.webhook_attempts.c
        number = int(self.conn.execute(select(a.attempt).where(
            a.org_id == hook.org_id, a.webhook_id == hook.id, a.seq == seq)
            .order_by(a.attempt.desc()).limit(1)).scalar_one_or_none() or 0) + 1
        self.conn.execute(insert(t.webhook_attempts).values(
            org_id=hook.org_id, webhook_id=hook.id, seq=seq, attempt=number,
            time_us=at_us, outcome=outcome, status_code=status_code,
            error=(error or None) and error[:500], duration_ms=duration_ms))

    def attempts(self, org_id: int, webhook_id: str, limit: int = 100) -> list[Attempt]:
        a = t.webhook_attempts.c
        return [Attempt(r.seq, r.attempt, r.time_us, r.outcome, r.status_code, r.error,
                        r.duration_ms) for r in self.conn.execute(
            select(t.webhook_attempts).where(a.org_id == org_id, a.webhook_id == webhook_id)
            .order_by(a.time_us.desc(), a.seq.desc(), a.attempt.desc()).limit(limit))]

    def dead(self, org_id: int, webhook_id: str) -> list[int]:
        """Sequence numbers whose delivery ended dead and was not delivered since."""
        a = t.webhook_attempts.c
        rows = self.conn.execute(select(a.seq, a.outcome).where(
            a.org_id == org_id, a.webhook_id == webhook_id,
            a.outcome.in_(["dead", "delivered"])).order_by(a.seq, a.time_us, a.attempt))
        last: dict[int, str] = {}
        for seq, outcome in rows:
            last[seq] = outcome
        return [seq for seq, outcome in last.items() if outcome == "dead"]

    # -- replays ---------------------------------------------------------------------
    def request_replay(self, org_id: int, webhook_id: str, seqs: list[int], at_us: int) -> int:
        r = t.webhook_replays.c
        known = set(self.conn.execute(select(r.seq).where(
            r.org_id == org_id, r.webhook_id == webhook_id)).scalars())
        fresh = [s for s in seqs if s not in known]
        if fresh:
            self.conn.execute(insert(t.webhook_replays), [
                {"org_id": org_id, "webhook_id": webhook_id, "seq": s, "requested_us": at_us}
                for s in fresh])
        w = t.webhooks.c
        self.conn.execute(update(t.webhooks).where(w.org_id == org_id, w.id == webhook_id)
                          .values(next_attempt_us=0))
        return len(fresh)

    def replays(self, hook: Webhook, limit: int) -> list[int]:
        r = t.webhook_replays.c
        return list(self.conn.execute(select(r.seq).where(
            r.org_id == hook.org_id, r.webhook_id == hook.id).order_by(r.seq)
            .limit(limit)).scalars())

    def replay_done(self, hook: Webhook, seq: int) -> None:
        r = t.webhook_replays.c
        self.conn.execute(delete(t.webhook_replays).where(
            r.org_id == hook.org_id, r.webhook_id == hook.id, r.seq == seq))
