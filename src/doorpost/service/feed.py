"""Reading the change feed: the pull feed's pages, and the one JSON shape of an event that
webhooks, the pull feed and the console all show.
"""

from __future__ import annotations

from typing import Any

from doorpost.scim.values import format_datetime, from_us
from doorpost.store.changes import ChangeEvent, ChangeStore
from doorpost.store.database import Database

MAX_PAGE = 500


def event_json(event: ChangeEvent) -> dict[str, Any]:
    """An event as every consumer sees it (`id` is also the `webhook-id`: deduplicate on it)."""
    return {"id": event.id, "seq": event.seq, "type": event.type,
            "time": format_datetime(from_us(event.time_us)), "data": event.data}


class ChangeFeed:
    def __init__(self, db: Database) -> None:
        self.db = db

    def after(self, org_id: int, seq: int, limit: int = 100) -> list[ChangeEvent]:
        """Events after `seq`, oldest first: one short read."""
        with self.db.single_read() as conn:
            return ChangeStore(conn, org_id).after(seq, limit)

    def last_seq(self, org_id: int) -> int:
        with self.db.single_read() as conn:
            return ChangeStore(conn, org_id).last_seq()
