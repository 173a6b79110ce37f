"""`kill -9` of the server (and its embedded worker) in the middle of delivery loses no
event: a new process resumes from the endpoint's cursor, and the receiver, deduplicating by
`webhook-id`, ends up with every event exactly once, in order."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid

import httpx
import pytest

from doorpost.service.organizations import Organizations
from doorpost.service.webhooks import Webhooks
from doorpost.store.database import Database
from tests.conftest import user_body
from tests.processes import DOORPOST, ServerProcess
from tests.webhook_receiver import receiving

ENV = {"DOORPOST_WEBHOOK_ALLOW_INSECURE": "1", "DOORPOST_WEBHOOK_LEASE_SECONDS": "2",
       "DOORPOST_WEBHOOK_RETRY_SCHEDULE": "0.2,0.2,0.2"}


class Worker:
    """`doorpost worker` as its own process."""

    def __init__(self, database_url: str) -> None:
        self.proc = subprocess.Popen(
            [str(DOORPOST), "worker", "--idle", "0.05"], start_new_session=True,
            env={**os.environ, **ENV, "DOORPOST_DATABASE_URL": database_url},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def kill(self) -> None:
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(10)


@pytest.mark.parametrize("who", ["serve", "worker"])
def test_kill_9_during_delivery_loses_no_event(db: Database, database_url: str,
                                               who: str) -> None:
    """`serve` delivering in its own process, or `serve` with DOORPOST_WORKER=off and a
    separate `doorpost worker`: whichever delivers is killed."""
    env = ENV if who == "serve" else {**ENV, "DOORPOST_WORKER": "off"}
    orgs = Organizations(db)
    slug = f"crash-{uuid.uuid4().hex[:8]}"
    orgs.create("Crash", slug=slug, licensed=True, sso_configured=True)
    orgs.enable_scim(slug)
    token = orgs.create_token(slug, "t").token
    with receiving() as receiver:
        receiver.delay = 0.1  # a slow receiver: the kill lands mid-stream
        Webhooks(db, allow_insecure=True).add(slug, receiver.url, ["user.created"],
                                              insecure=True)
        with ServerProcess(database_url, env=env) as server:
            worker = Worker(database_url) if who == "worker" else None
            scim = httpx.Client(base_url=f"{server.url}/scim/v2", timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
            for i in range(20):
                assert scim.post("/Users", json=user_body(f"k{i}@example.com")).status_code == 201
            receiver.wait_for(lambda r: len(r) >= 3, timeout=20)
            worker.kill() if worker else server.kill()
            seen_at_kill = len(receiver.received)
            assert seen_at_kill < 20, "the kill came too late to test anything"
            if worker:
                worker = Worker(database_url)
                got = receiver.wait_for(
                    lambda r: len({x.headers["webhook-id"] for x in r}) >= 20, timeout=30)
                worker.kill()
        if who == "serve":
            with ServerProcess(database_url, env=env):
                got = receiver.wait_for(
                    lambda r: len({x.headers["webhook-id"] for x in r}) >= 20, timeout=30)
    first: dict[str, int] = {}
    for request in got:
        first.setdefault(request.headers["webhook-id"], request.json()["seq"])
    assert len(first) == 20
    assert list(first.values()) == sorted(first.values())  # in order, duplicates aside
    names = {r.json()["data"]["user"]["userName"] for r in got}
    assert names == {f"k{i}@example.com" for i in range(20)}
