"""The activity chart's hours: a request belongs to the hour it was made in, on both
databases (PostgreSQL once rounded the second half of every hour into the next)."""

from __future__ import annotations

import uuid

from doorpost.service.organizations import Organizations
from doorpost.store.activity import ActivityRow, ActivityStore
from doorpost.store.database import Database

HOUR = 3_600_000_000


def test_requests_fall_in_the_hour_they_were_made(db: Database) -> None:
    slug = f"hours-{uuid.uuid4().hex[:8]}"
    org = Organizations(db).create("Hours", slug=slug)
    base = 1_780_000_000 * 1_000_000 // HOUR * HOUR  # the start of some hour
    times = [base, base + HOUR // 2 - 1, base + HOUR // 2, base + HOUR - 1, base + HOUR]
    with db.write() as conn:
        ActivityStore(conn).insert_many([
            ActivityRow(org.id, uuid.uuid4().hex, at, None, "GET", "/scim/v2/Users", 200, 1,
                        "rfc", None, None, []) for at in times])
    with db.read() as conn:
        hours = ActivityStore(conn).hourly(org.id, base - HOUR)
    assert [(h, n) for h, _, n, _ in hours] == [(base, 4), (base + HOUR, 1)]
