"""Slow clients stall no one: a response body is never written while a database connection
or transaction is held, and when the pool is exhausted the answer is a quick SCIM 503.

Reproduces issue 9's defect: sockets that ask for a large group and then stop reading
used to hold a pooled connection each (the body streamed from an open read), so a dozen of
them froze every other request, even `/livez` on SQLite."""

from __future__ import annotations

import socket
import time
import uuid
from typing import Iterator

import httpx
import pytest

from doorpost.config import Settings
from doorpost.store.database import Database
from tests.conftest import LiveServer, Tenant, make_tenant, serving
from tests.store.test_scale_mechanisms import seed_group

MEMBERS = 30_000  # about 5 MB of members: more than the sockets' buffers hold


@pytest.fixture(scope="module")
def small_pool(database_url: str) -> Iterator[LiveServer]:
    with serving(Settings(database_url=database_url, pool_size=2)) as live:
        yield live


def _slow_reader(live: LiveServer, token: str, path: str) -> socket.socket:
    host, port = live.url.removeprefix("http://").split(":")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.connect((host, int(port)))
    s.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nAuthorization: Bearer {token}\r\n"
              "\r\n".encode())
    return s  # and never read from it


def _pool_in_use(live: LiveServer) -> float:
    """The server's pooled connections checked out now, from its own /metrics."""
    for line in httpx.get(f"{live.url}/metrics", timeout=10).text.splitlines():
        if line.startswith("doorpost_db_pool_connections_in_use"):
            return float(line.split()[-1])
    raise AssertionError("the pool gauge is missing from /metrics")


def _timed(fn: object) -> float:
    started = time.monotonic()
    fn()  # type: ignore[operator]
    return time.monotonic() - started


def test_slow_readers_of_a_large_group_stall_no_one(db: Database, small_pool: LiveServer
                                                    ) -> None:
    tenant: Tenant = make_tenant(db, small_pool)
    group_id, users = seed_group(db, tenant.org.id, MEMBERS)
    readers = [_slow_reader(small_pool, tenant.token.token, f"/scim/v2/Groups/{group_id}")
               for _ in range(12)]
    readers += [_slow_reader(small_pool, tenant.token.token, "/scim/v2/Users?count=1000")
                for _ in range(4)]
    try:
        # Every reader soon sits on a full socket; once each has written what its socket
        # takes, none of them holds a connection (the defect: each held one for good).
        # Waiting for that, not a fixed time, keeps a loaded machine from failing the test.
        deadline = time.monotonic() + 30
        while _pool_in_use(small_pool) != 0:
            assert time.monotonic() < deadline, "stuck readers still hold connections"
            time.sleep(0.1)
        quick = httpx.Client(timeout=10)
        for url in (f"{tenant.base}/Users/{users[0]}", f"{small_pool.url}/healthz",
                    f"{small_pool.url}/livez"):
            def call(u: str = url) -> None:
                r = quick.get(u, headers={"Authorization": f"Bearer {tenant.token.token}"})
                assert r.status_code == 200, (u, r.status_code, r.text[:200])
            assert _timed(call) < 2.0, url
        created = tenant.post("/Users", {"schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": f"meanwhile-{uuid.uuid4().hex[:6]}@example.com"})
        assert created.status_code == 201  # writes too
        with quick.stream("GET", f"{tenant.base}/Groups/{group_id}", headers={
                "Authorization": f"Bearer {tenant.token.token}"}) as r:
            body = b"".join(r.iter_bytes())  # a reader that reads gets the whole group
        assert r.status_code == 200 and body.count(b'"value"') == MEMBERS
        quick.close()
    finally:
        for s in readers:
            s.close()
        tenant.client.close()


def test_an_exhausted_pool_answers_a_quick_503_never_a_500(database_url: str,
                                                          db: Database) -> None:
    pool = Database(database_url, pool_size=1, pool_timeout=0.5)  # 1 + 4 overflow
    with serving(Settings(database_url=database_url), pool) as live:
        tenant = make_tenant(db, live)
        uid = tenant.post("/Users", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                     "userName": "held@example.com"}).json()["id"]
        held = [pool.engine.connect() for _ in range(5)]  # every connection, taken
        try:
            for call in (lambda: tenant.client.get(f"/Users/{uid}"),
                         lambda: tenant.client.get("/Users"),
                         lambda: tenant.patch(f"/Users/{uid}", {
                             "op": "replace", "path": "displayName", "value": "x"})):
                started = time.monotonic()
                r = call()
                assert time.monotonic() - started < 3.0
                assert r.status_code == 503, r.text
                assert r.headers["content-type"].startswith("application/scim+json")
                assert r.json()["status"] == "503" and int(r.headers["retry-after"]) >= 1
            assert httpx.get(f"{live.url}/livez").status_code == 200
        finally:
            for conn in held:
                conn.close()
        assert tenant.client.get(f"/Users/{uid}").status_code == 200  # and it recovers
        assert tenant.client.get(f"/Users/{uid}").json()["userName"] == "held@example.com"
        tenant.client.close()
    pool.dispose()
