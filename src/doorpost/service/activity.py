"""Provisioning activity: every authenticated SCIM request, with the normalizations applied.

Two paths, one record format:
- a **write** that commits stores its record inside its own transaction (`Audit`), so an
  acknowledged write always has its audit record, even across `kill -9`, and a write that
  rolls back leaves none;
- **reads and refused requests** changed nothing, so their records may wait: they are
  queued in memory (bounded: beyond `queue_max` they are dropped and counted) and written
  in batches by one background thread, at most `flush_seconds` late, and drained at
  shutdown (SIGTERM).
Tokens are never recorded, only the token's id; a token pasted into a path is redacted.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass
from typing import Any, Callable

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from doorpost.scim.dialects import Reading
from doorpost.service.diffs import Line, Members, attribute_lines, member_changes
from doorpost.service.directory_view import person_name
from doorpost.service.auth import Caller
from doorpost.service.tokens import redacted
from doorpost.service.errors import NotFoundError
from doorpost.store.activity import ActivityRow, ActivityStore
from doorpost.store.database import Database
from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.store.directory import Directory
from doorpost.service.clock import now_us
from doorpost.store.orgs import OrgStore

FLUSH_SECONDS = 0.25
QUEUE_MAX = 10_000
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

    def row(self) -> ActivityRow:
        """The stored form (the one conversion both paths use)."""
        return ActivityRow(
            self.caller.org.id, uuid.uuid4().hex, now_us(), self.caller.token_id, self.method,
            redacted(self.path), self.status, self.latency_us, self.dialect,
            self.resource_type, self.resource_id, self.notes, self.changes,
            redacted(self.error) if self.error else self.error)


@dataclass(frozen=True)
class Audit:
    """What HTTP knows of a write before its use case runs; the use case completes the
    record and stores it in the write's own transaction (`store`), before it commits."""

    caller: Caller
    method: str
    path: str
    started_ns: int
    dialect: Reading | None  # read at `store`: the body's shape may still reveal the dialect
    resource_type: str | None

    def store(self, conn: Connection, status: int, resource_id: str | None,
              notes: list[dict[str, str]], changes: dict[str, Any] | None) -> None:
        latency_us = (time.perf_counter_ns() - self.started_ns) // 1000  # until the commit
        ActivityStore(conn).insert_many([RequestRecord(
            self.caller, self.method, self.path, status, latency_us,
            self.dialect.label if self.dialect else None, self.resource_type, resource_id, notes, changes).row()])


Counter = Callable[[int], None]


class ActivityLog:
    """The batched path, for records of requests that wrote nothing."""

    def __init__(self, db: Database, retention_days: int = 90, *,
                 flush_seconds: float = FLUSH_SECONDS, queue_max: int = QUEUE_MAX,
                 on_drop: Counter | None = None) -> None:
        self.db = db
        self.retention_days = retention_days
        self.flush_seconds = flush_seconds
        self.queue_max = queue_max
        self.on_drop = on_drop
        self._next_prune = 0.0
        self._queue: deque[ActivityRow] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self.dropped = 0  # records not kept: queue full, or unwritable even alone
        self._thread = threading.Thread(target=self._run, name="doorpost-activity", daemon=True)
        self._thread.start()

    @property
    def depth(self) -> int:
        return len(self._queue)

    def record(self, rec: RequestRecord) -> None:
        if len(self._queue) >= self.queue_max:  # the database is down or far behind
            self._drop(1)
            return
        self._queue.append(rec.row())

    def _drop(self, n: int) -> None:
        self.dropped += n
        if self.on_drop is not None:
            self.on_drop(n)

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
                return
            except (OperationalError, PoolTimeout):  # the database, not a record: keep them
                log.warning("activity log: database unavailable, %d records kept for the "
                            "next attempt", len(rows))
                room = max(self.queue_max - len(self._queue), 0)
                self._queue.extendleft(reversed(rows[:room]))
                if len(rows) > room:
                    self._drop(len(rows) - room)
                return
            except Exception:  # write them one by one: one bad record fails no other
                log.exception("could not write %d activity records at once; one by one",
                              len(rows))
                for row in rows:
                    try:
                        with self.db.write() as conn:
                            ActivityStore(conn).insert_many([row])
                    except Exception:
                        self._drop(1)
                        log.exception("dropped the activity record of %s %s",
                                      row.method, row.path)

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(self.flush_seconds)
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
    as_of_us: int = 0  # when these figures were read
    latest: tuple[ActivityRow, ...] = ()  # the newest requests, newest first
    waiting_since_us: int | None = None  # a token was made and nothing has used it yet


@dataclass(frozen=True)
class ChartBar:
    hour_us: int
    requests: int
    errors: int
    by_dialect: tuple[tuple[str, int], ...] = ()  # requests per dialect, by name


class ActivityQueries:
    """What the console reads from the activity log (newest first, filterable)."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def search(self, org_id: int, **filters: Any) -> tuple[int, list[ActivityRow]]:
        with self.db.read() as conn:
            return ActivityStore(conn).search(org_id, **filters)

    def labels(self, org_id: int, rows: list[ActivityRow]) -> dict[str, str]:
        """What an admin reads instead of ids: each row's resource by name ("Ann Lee
        (ann@example.com)", a group's displayName) and each token by its name. A resource
        deleted since has no label; its id is shown."""
        users = {r.resource_id for r in rows  # an SSO row names the person who signed in
                 if r.resource_type in ("User", "SSO") and r.resource_id}
        groups = {r.resource_id for r in rows if r.resource_type == "Group" and r.resource_id}
        out: dict[str, str] = {}
        with self.db.read() as conn:
            directory = Directory(conn, org_id, self.db.backend)
            for stored in directory.get_many(USER_TYPE, sorted(users)):
                name = person_name(stored.doc)
                user_name = str(stored.doc.get("userName", ""))
                out[stored.meta.id] = f"{name} ({user_name})" if name != user_name \
                    else user_name
            for stored in directory.get_many(GROUP_TYPE, sorted(groups)):
                out[stored.meta.id] = str(stored.doc.get("displayName", ""))
            for token in OrgStore(conn).tokens(org_id):
                out[token.id] = token.name
        return out

    def one(self, org_id: int, id_: str) -> ActivityRow | None:
        with self.db.read() as conn:
            return ActivityStore(conn).one(org_id, id_)

    def detail(self, org_id: int, id_: str
               ) -> tuple[ActivityRow, list[Line], Members, dict[str, str]] | None:
        """A record with its per-attribute changes, its member changes, and names for
        every id it mentions (people, groups, the token)."""
        row = self.one(org_id, id_)
        if row is None:
            return None
        members = member_changes(row.changes)
        names = self.labels(org_id, [row])
        people = sorted(set(members.added) | set(members.removed))
        with self.db.read() as conn:
            for stored in Directory(conn, org_id, self.db.backend).get_many(USER_TYPE, people):
                names[stored.meta.id] = person_name(stored.doc)
        return row, attribute_lines(row.changes), members, names

    def chart(self, org_id: int, hours: int = 24) -> list[ChartBar]:
        """Requests and errors per hour over the last `hours`, gaps filled with zeros."""
        hour = 3_600_000_000
        end = now_us() // hour * hour
        start = end - (hours - 1) * hour
        with self.db.read() as conn:
            rows = ActivityStore(conn).hourly(org_id, start)
        counts: dict[int, list[int]] = {}
        dialects: dict[int, dict[str, int]] = {}
        for h, dialect, n, e in rows:
            total = counts.setdefault(h, [0, 0])
            total[0] += n
            total[1] += e
            per = dialects.setdefault(h, {})
            per[dialect or "unauthenticated"] = per.get(dialect or "unauthenticated", 0) + n
        return [ChartBar(h, counts.get(h, [0, 0])[0], counts.get(h, [0, 0])[1],
                         tuple(sorted(dialects.get(h, {}).items())))
                for h in range(start, end + hour, hour)]

    def health(self, org_id: int, newest_token_us: int | None = None) -> Health:
        """The SSO & SCIM page's panel. `newest_token_us`: when the newest active token was
        made; until a request arrives after it, the panel says it is waiting."""
        bars = self.chart(org_id)
        with self.db.read() as conn:
            store = ActivityStore(conn)
            _, latest = store.search(org_id, limit=5)
            last_error = store.last_error(org_id)
        last = latest[0].time_us if latest else None
        waiting = newest_token_us if newest_token_us is not None and (
            last is None or last < newest_token_us) else None
        return Health(last, last_error, sum(b.requests for b in bars),
                      sum(b.errors for b in bars), now_us(), tuple(latest), waiting)

def prune(db: Database, retention_days: int) -> int:
    """Delete activity older than the retention period (all organizations)."""
    with db.write() as conn:
        return ActivityStore(conn).prune(now_us() - retention_days * 86_400 * 1_000_000)
