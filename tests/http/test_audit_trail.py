"""The audit trail keeps every organization's records whatever another one sends: text
PostgreSQL cannot store (NUL, lone surrogates) is made storable, one bad record never fails
a batch, and a token put in the URL is never stored."""

from __future__ import annotations

import time
from typing import Any

from doorpost.service.activity import recent_activity
from doorpost.store.database import Database
from tests.conftest import Tenant, user_body


def _records(db: Database, tenant: Tenant, n: int, timeout: float = 5) -> list[Any]:
    deadline = time.monotonic() + timeout
    while True:
        rows = recent_activity(db, tenant.org.slug, 100)
        if len(rows) >= n or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def test_one_organizations_hostile_requests_erase_no_one_elses_records(
        db: Database, tenant: Tenant, other_tenant: Tenant) -> None:
    for i in range(10):  # interleaved, so both land in the same batches
        assert other_tenant.post("/Users", user_body(f"b{i}@example.com")).status_code == 201
        assert tenant.client.get("/Users", params={"sortBy": "\x00"}).status_code == 400
        r = tenant.client.post("/Users", content=b'{"\\u0000": 1, "userName": "x"}',
                               headers={"Content-Type": "application/scim+json"})
        assert r.status_code == 400
    mine = _records(db, other_tenant, 10)
    assert len(mine) == 10 and all(r.status == 201 for r in mine)
    hostile = _records(db, tenant, 20)
    assert len(hostile) == 20 and all("\x00" not in (r.error or "") for r in hostile)


def test_a_token_in_the_url_is_not_stored(db: Database, tenant: Tenant) -> None:
    token = tenant.token.token
    assert tenant.client.get(f"/Users/{token}").status_code == 404
    assert tenant.client.get("/Users", params={"filter": f'userName eq "{token}"'}
                             ).status_code == 200
    rows = _records(db, tenant, 2)
    assert len(rows) == 2
    for row in rows:
        assert token not in row.path and token not in (row.error or "")
    assert any("dp_scim_[redacted]" in row.path for row in rows)
