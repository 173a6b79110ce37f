"""Provisioning activity: every authenticated SCIM request, with the normalizations applied.

Recording must not slow requests down or turn reads into writes on the request path, so
records are queued in memory and written in batches by one background thread (at most
`FLUSH_SECONDS` late). Tokens are never recorded, only the token's id.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any

from doorpost.service.auth import Caller
from doorpost.service.tokens import redacted
from doorpost.service.errors import NotFoundError
from doorpost.store.activity import ActivityRow, ActivityStore
from doorpost.store.database import Database
from doorpost.store.directory import now_us
from doorpost.store.orgs import OrgStore

FLUSH_SECONDS = 0.25
log = logging.getLogger("doorpost.activity")


@dataclass
class RequestRecord:
    """What the activity log keeps of one SCIM request."""

    caller: Caller
    method: str
    path: str
    status: int
    latency_us: int
    dialect: str | None
    resource_type: str | None
    resource_id: str | None
    notes: list[dict[str, str]]
    changes: dict[str, Any] | None = None
    error: str | None = None


class ActivityLog:
    def __init__(self, db: Database, retention_days: int = 90) -> None:
        self.db = db
        self.retention_days = retention_days
        self._next_prune = 0.0
        self._queue: deque[ActivityRow] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self.dropped = 0  # records that could not be written even alone
        self._thread = threading.Thread(target=self._run, name="doorpost-activity", daemon=True)
        self._thread.start()

    def record(self, rec: RequestRecord) -> None:
        self._queue.append(ActivityRow(
            rec.caller.org.id, uuid.uuid4().hex, now_us(), rec.caller.token_id, rec.method,
            redacted(rec.path), rec.status, rec.latency_us, rec.dialect, rec.resource_type,
            rec.resource_id, rec.notes, rec.changes,
            redacted(rec.error) if rec.error else rec.error))

    def flush(self) -> None:
        """Write everything queued so far (also called at shutdown)."""
        with self._lock:
            rows: list[ActivityRow] = []
            while self._queue:
                rows.append(self._queue.popleft())
            if not rows:
                return
            try:
                with self.db.write() as conn:
                    ActivityStore(conn).insert_many(rows)
            except Exception:  # write them one by one: one bad record fails no other
                log.exception("could not write %d activity records at once; one by one",
                              len(rows))
                for row in rows:
                    try:
                        with self.db.write() as conn:
                            ActivityStore(conn).insert_many([row])
                    except Exception:
                        self.dropped += 1
                        log.exception("dropped the activity record of %s %s",
                                      row.method, row.path)

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(FLUSH_SECONDS)
            self.flush()
            if time.monotonic() >= self._next_prune:  # retention, hourly
                self._next_prune = time.monotonic() + 3600
                try:
                    prune(self.db, self.retention_days)
                except Exception:
                    log.exception("could not prune the activity log")


def recent_activity(db: Database, slug: str, limit: int = 50, *,
                    normalized_only: bool = False) -> list[ActivityRow]:
    with db.read() as conn:
        org = OrgStore(conn).by_slug(slug)
        if org is None:
            raise NotFoundError(f"No organization with slug '{slug}'.")
        return ActivityStore(conn).recent(org.id, limit, normalized_only=normalized_only)



@dataclass(frozen=True)
class Health:
    """Connection health for the SSO & SCIM page."""

    last_request_us: int | None
    last_error: ActivityRow | None
    requests_24h: int
    errors_24h: int


@dataclass(frozen=True)
class ChartBar:
    hour_us: int
    requests: int
    errors: int


class ActivityQueries:
    """What the console reads from the activity log (newest first, filterable)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, org_id: int, **filters: Any) -> tuple[int, list[ActivityRow]]:
        with self.db.read() as conn:
            return ActivityStore(conn).search(org_id, **filters)

    def one(self, org_id: int, id_: str) -> ActivityRow | None:
        with self.db.read() as conn:
            return ActivityStore(conn).one(org_id, id_)

    def chart(self, org_id: int, hours: int = 24) -> list[ChartBar]:
        """Requests and errors per hour over the last `hours`, gaps filled with zeros."""
        hour = 3_600_000_000
        end = now_us() // hour * hour
        start = end - (hours - 1) * hour
        with self.db.read() as conn:
            found = {h: (n, e) for h, n, e in ActivityStore(conn).hourly(org_id, start)}
        return [ChartBar(h, *found.get(h, (0, 0))) for h in range(start, end + hour, hour)]

    def health(self, org_id: int) -> Health:
        bars = self.chart(org_id)
        with self.db.read() as conn:
            store = ActivityStore(conn)
            _, latest = store.search(org_id, limit=1)
            last_error = store.last_error(org_id)
        return Health(latest[0].time_us if latest else None, last_error,
                      sum(b.requests for b in bars), sum(b.errors for b in bars))


def prune(db: Database, retention_days: int) -> int:
    """Delete activity older than the retention period (all organizations)."""
    with db.write() as conn:
        return ActivityStore(conn).prune(now_us() - retention_days * 86_400 * 1_000_000)
