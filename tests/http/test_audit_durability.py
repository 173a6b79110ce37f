"""The audit record of a write commits in the write's transaction: a `kill -9` right after
the acknowledgement loses no record, and SIGTERM drains the queued records of reads.

The servers run with `DOORPOST_ACTIVITY_FLUSH_SECONDS=600`, so only these two mechanisms can
have written the records the tests count: the batch thread never gets its turn."""

from __future__ import annotations

import uuid

import httpx
import pytest

from doorpost.service.activity import ActivityLog, RequestRecord
from doorpost.service.auth import Caller
from doorpost.service.organizations import Organizations
from doorpost.store.activity import ActivityStore
from doorpost.store.database import Database
from doorpost.store.orgs import OrgStore
from tests.conftest import user_body
from tests.processes import ServerProcess

SLOW_BATCHES = {"DOORPOST_ACTIVITY_FLUSH_SECONDS": "600"}


def _tenant(db: Database) -> tuple[int, str]:
    orgs = Organizations(db)
    slug = f"org-{uuid.uuid4().hex[:10]}"
    orgs.create(slug, slug=slug, licensed=True, sso_configured=True)
    org = orgs.enable_scim(slug)
    return org.id, orgs.create_token(slug, "durability").token


def _records(db: Database, org_id: int) -> list[tuple[str, str | None, int]]:
    with db.read() as conn:
        _, rows = ActivityStore(conn).search(org_id, limit=1000)
    return [(r.method, r.resource_id, r.status) for r in rows]


def test_kill_9_after_acknowledged_writes_loses_no_audit_record(
        db: Database, database_url: str) -> None:
    org_id, token = _tenant(db)
    acknowledged: list[str] = []
    with ServerProcess(database_url, env=SLOW_BATCHES) as server:
        with httpx.Client(base_url=f"{server.url}/scim/v2", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            for i in range(15):
                r = client.post("/Users", json=user_body(f"k{i}@example.com"))
                assert r.status_code == 201
                acknowledged.append(r.json()["id"])
            patched = client.patch(f"/Users/{acknowledged[0]}", json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": False}]})
            assert patched.status_code in (200, 204)
            assert client.delete(f"/Users/{acknowledged[1]}").status_code == 204
            assert client.get(f"/Users/{acknowledged[2]}").status_code == 200  # a read
        server.kill()  # at once, after the last acknowledgement
    records = _records(db, org_id)
    created = {rid for method, rid, status in records if method == "POST" and status == 201}
    assert created == set(acknowledged)
    assert ("PATCH", acknowledged[0], patched.status_code) in records
    assert ("DELETE", acknowledged[1], 204) in records


def test_a_refused_write_leaves_no_record_of_success(db: Database, database_url: str) -> None:
    org_id, token = _tenant(db)
    with ServerProcess(database_url, env=SLOW_BATCHES) as server:
        with httpx.Client(base_url=f"{server.url}/scim/v2", timeout=10,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            assert client.post("/Users", json=user_body("dup@example.com")).status_code == 201
            assert client.post("/Users", json=user_body("dup@example.com")).status_code == 409
        server.kill()
    assert [s for m, _, s in _records(db, org_id) if m == "POST"] == [201]  # the 409 was queued


@pytest.mark.parametrize("workers", [1, 2])
def test_sigterm_writes_the_queued_records_of_reads(db: Database, database_url: str,
                                                    workers: int) -> None:
    org_id, token = _tenant(db)
    server = ServerProcess(database_url, env=SLOW_BATCHES, workers=workers).start()
    try:
        for _ in range(12):  # a connection each: with two workers, both hold some
            assert httpx.get(f"{server.url}/scim/v2/Users", timeout=10,
                             headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert _records(db, org_id) == []  # still queued: the batch waits 600 s
        # uvicorn shuts down gracefully, then re-raises the signal: the exit is by SIGTERM
        assert server.terminate() in (0, -15)
    finally:
        server.kill()
    assert len(_records(db, org_id)) == 12


def _caller(db: Database) -> Caller:
    org_id, _ = _tenant(db)
    with db.read() as conn:
        org = next(o for o in OrgStore(conn).all() if o.id == org_id)
    return Caller(org, "t")


def test_the_read_queue_is_bounded_and_drops_are_counted(db: Database) -> None:
    dropped: list[int] = []
    log = ActivityLog(db, flush_seconds=3600, queue_max=5, on_drop=dropped.append)
    caller = _caller(db)
    for _ in range(8):
        log.record(RequestRecord(caller, "GET", "/scim/v2/Users", 200, 1, None, "User", None, []))
    assert log.depth == 5 and log.dropped == 3 and sum(dropped) == 3
    log.close()
    assert log.depth == 0 and len(_records(db, caller.org.id)) == 5


def test_records_wait_while_the_database_is_away(db: Database) -> None:
    away = Database("postgresql+psycopg://postgres@127.0.0.1:1/none", pool_size=1)
    log = ActivityLog(away, flush_seconds=3600, queue_max=10)
    caller = _caller(db)
    for _ in range(3):
        log.record(RequestRecord(caller, "GET", "/scim/v2/Users", 200, 1, None, "User", None, []))
    log.flush()
    assert log.depth == 3 and log.dropped == 0  # kept for the next attempt, not thrown away
    log.close()
    assert log.depth == 3 and log.dropped == 0
    away.dispose()
