"""`kill -9` of the server (and its embedded worker) in the middle of delivery loses no
event: a new process resumes from the endpoint's cursor, and the receiver, deduplicating by
`webhook-id`, ends up with every event exactly once, in order."""

from __future__ import annotations

import uuid

import httpx

from doorpost.service.organizations import Organizations
from doorpost.service.webhooks import Webhooks
from doorpost.store.database import Database
from tests.conftest import user_body
from tests.processes import ServerProcess
from tests.webhook_receiver import receiving

ENV = {"DOORPOST_WEBHOOK_ALLOW_INSECURE": "1", "DOORPOST_WEBHOOK_LEASE_SECONDS": "2",
       "DOORPOST_WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2"}


def test_kill_9_during_delivery_loses_no_event(db: Database, database_url: str) -> None:
    orgs = Organizations(db)
    slug = f"crash-{uuid.uuid4().hex[:8]}"
    orgs.create("Crash", slug=slug, licensed=True, sso_configured=True)
    orgs.enable_scim(slug)
    token = orgs.create_token(slug, "t").token
    with receiving() as receiver:
        receiver.delay = 0.1  # a slow receiver: the kill lands mid-stream
        Webhooks(db, allow_insecure=True).add(slug, receiver.url, ["user.created"],
                                              insecure=True)
        with ServerProcess(database_url, env=ENV) as server:
            scim = httpx.Client(base_url=f"{server.url}/scim/v2", timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
            for i in range(20):
                assert scim.post("/Users", json=user_body(f"k{i}@example.com")).status_code == 201
            receiver.wait_for(lambda r: len(r) >= 3, timeout=20)
            server.kill()
        seen_at_kill = len(receiver.received)
        assert seen_at_kill < 20, "the kill came too late to test anything"
        with ServerProcess(database_url, env=ENV):
            got = receiver.wait_for(
                lambda r: len({x.headers["webhook-id"] for x in r}) >= 20, timeout=30)
    first: dict[str, int] = {}
    for request in got:
        first.setdefault(request.headers["webhook-id"], request.json()["seq"])
    assert len(first) == 20
    assert list(first.values()) == sorted(first.values())  # in order, duplicates aside
    names = {r.json()["data"]["user"]["userName"] for r in got}
    assert names == {f"k{i}@example.com" for i in range(20)}
