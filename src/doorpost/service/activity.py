"""Provisioning activity: every authenticated SCIM request, with the normalizations applied.

Recording must not slow requests down or turn reads into writes on the request path, so
records are queued in memory and written in batches by one background thread (at most
`FLUSH_SECONDS` late). Tokens are never recorded, only the token's id.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections import deque
from dataclasses import dataclass

from doorpost.service.auth import Caller
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


class ActivityLog:
    def __init__(self, db: Database) -> None:
        self.db = db
        self._queue: deque[ActivityRow] = deque()
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="doorpost-activity", daemon=True)
        self._thread.start()

    def record(self, rec: RequestRecord) -> None:
        self._queue.append(ActivityRow(
            rec.caller.org.id, uuid.uuid4().hex, now_us(), rec.caller.token_id, rec.method,
            rec.path, rec.status, rec.latency_us, rec.dialect, rec.resource_type,
            rec.resource_id, rec.notes))

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
            except Exception:  # never lose the server over the log; say so loudly
                log.exception("could not write %d activity records", len(rows))

    def close(self) -> None:
        self._stopped = True
        self._wake.set()
        self._thread.join(timeout=5)
        self.flush()

    def _run(self) -> None:
        while not self._stopped:
            self._wake.wait(FLUSH_SECONDS)
            self.flush()


def recent_activity(db: Database, slug: str, limit: int = 50, *,
                    normalized_only: bool = False) -> list[ActivityRow]:
    with db.read() as conn:
        org = OrgStore(conn).by_slug(slug)
        if org is None:
            raise NotFoundError(f"No organization with slug '{slug}'.")
        return ActivityStore(conn).recent(org.id, limit, normalized_only=normalized_only)

