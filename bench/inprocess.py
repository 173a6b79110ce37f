"""Doorpost's own cost per request, without HTTP: the ASGI app called directly in this
process (no uvicorn, no client, no network but PostgreSQL's), so the figures move less
with the machine's load than `compare.py`'s. Two uses:

    python bench/inprocess.py                      # flat cost, SQLite and PostgreSQL
    python bench/inprocess.py --profile patch      # cProfile one operation (SQLite)

Flat cost: GET by id, `userName eq` and PATCH of one attribute in a database of 1,000 and
one of 100,000 users, and one-member add + remove in a group of 10 and of 99,999 members;
p50 (best of 3 rounds, alternating between the two sides) and the CPU of this process per
request. Users and memberships are loaded in bulk
through the store, not through the API. On PostgreSQL the use cases run in the worker
thread, as `doorpost serve` runs them.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import pstats
import statistics
import tempfile
import time
import uuid
from typing import Any, Awaitable, Callable

import sqlalchemy as sa

from compare import PATCH_URN, PG_URL, USER_URN  # bench/ is on the path: this file's folder
from doorpost.app import create_app
from doorpost.config import Settings
from doorpost.service.organizations import Organizations
from doorpost.store import tables as t
from doorpost.store.database import Database
from doorpost.store.directory import Directory
from doorpost.store.migrate import upgrade

GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


class App:
    """The app, its lifespan started, and one organization's token."""

    def __init__(self, backend: str) -> None:
        if backend == "sqlite":
            self.url = f"sqlite:///{tempfile.mkdtemp(prefix='inprocess-')}/doorpost.sqlite3"
        else:
            name = f"doorpost_inprocess_{uuid.uuid4().hex[:8]}"
            admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
            admin.dispose()
            self.url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(False)
        upgrade(self.url)
        env = {**os.environ, "DOORPOST_DATABASE_URL": self.url,
               "DOORPOST_RATE_LIMIT_ORG": "100000000/minute", "DOORPOST_LOG_LEVEL": "warning"}
        self.db = Database(self.url)
        self.app = create_app(Settings.from_env(env), self.db)
        orgs = Organizations(self.db)
        self.org = orgs.create("Bench", slug="bench", licensed=True, sso_configured=True)
        orgs.enable_scim("bench")
        self.headers = [(b"authorization", f"Bearer {orgs.create_token('bench', 'b').token}"
                         .encode()), (b"content-type", b"application/scim+json"),
                        (b"host", b"127.0.0.1:8000")]

    async def call(self, method: str, path: str, body: Any = None, query: str = ""
                   ) -> tuple[int, bytes]:
        data = json.dumps(body).encode() if body is not None else b""
        scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
                 "method": method, "path": path, "raw_path": path.encode(),
                 "query_string": query.encode(), "root_path": "", "scheme": "http",
                 "headers": [*self.headers, (b"content-length", str(len(data)).encode())],
                 "client": ("127.0.0.1", 5555), "server": ("127.0.0.1", 8000), "state": {}}
        sent = False
        status, chunks = 0, []

        async def receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": data, "more_body": False}
            await asyncio.sleep(3600)
            return {"type": "http.disconnect"}

        async def send(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            else:
                chunks.append(message.get("body", b""))
        await self.app(scope, receive, send)  # type: ignore[arg-type]
        return status, b"".join(chunks)

    def load_users(self, ids: list[str], first: int) -> None:
        with self.db.write() as conn:
            directory = Directory(conn, self.org.id, self.db.backend)
            for i in range(0, len(ids), 5000):
                directory.insert_users([(u, {"userName": f"m{first + i + j}@bench.example",
                                             "active": True})
                                        for j, u in enumerate(ids[i:i + 5000])], first + i)
        self.analyze()

    def load_members(self, group_id: str, ids: list[str]) -> None:
        with self.db.write() as conn:
            for i in range(0, len(ids), 5000):
                conn.execute(t.memberships.insert(), [
                    {"org_id": self.org.id, "group_id": group_id, "user_id": u}
                    for u in ids[i:i + 5000]])
        self.analyze()

    def analyze(self) -> None:
        """Fresh statistics, and the bulk load's dirty pages written out now, so that the
        next measurement does not pay for the load (a checkpoint competing for the disk)."""
        if self.db.backend == "postgresql":
            with self.db.write() as conn:
                conn.exec_driver_sql("ANALYZE")
            with self.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("CHECKPOINT")


async def alternating(fns: list[Callable[[int], Awaitable[None]]], n: int
                      ) -> list[tuple[float, float]]:
    """For each of `fns`: (p50 ms, CPU ms of this process per call: every thread, the
    worker threads that run PostgreSQL's use cases and the background workers too), best
    of 3 rounds, the rounds alternating between them so the machine's drift moves all."""
    best: list[tuple[float, float]] = [(float("inf"), 0.0)] * len(fns)
    for _ in range(3):
        for i, fn in enumerate(fns):
            times, cpu = [], time.process_time()
            for k in range(n):
                started = time.perf_counter()
                await fn(k)
                times.append(time.perf_counter() - started)
            best[i] = min(best[i], (statistics.median(times) * 1000,
                                    (time.process_time() - cpu) / n * 1000))
    return best


def operations(app: App, ids: list[str]) -> dict[str, Callable[[int], Awaitable[None]]]:
    async def get(k: int) -> None:
        status, body = await app.call("GET", f"/scim/v2/Users/{ids[k % len(ids)]}")
        assert status == 200, body

    async def eq(k: int) -> None:
        status, body = await app.call("GET", "/scim/v2/Users", query=(
            f'filter=userName+eq+"m{k % len(ids)}@bench.example"'))
        assert status == 200 and b'"totalResults":1' in body, body

    async def patch(k: int) -> None:
        status, body = await app.call("PATCH", f"/scim/v2/Users/{ids[k % len(ids)]}", {
            "schemas": [PATCH_URN], "Operations": [
                {"op": "replace", "path": "displayName", "value": f"n{k}"}]})
        assert status == 200, body

    async def post(k: int) -> None:
        status, body = await app.call("POST", "/scim/v2/Users", {
            "schemas": [USER_URN], "userName": f"new-{uuid.uuid4().hex}@bench.example"})
        assert status == 201, body
    return {"get": get, "eq": eq, "patch": patch, "post": post}


def member_change(app: App, group_id: str, user_id: str) -> Callable[[int], Awaitable[None]]:
    async def add_remove(_k: int) -> None:
        for op in ("Add", "Remove"):
            status, body = await app.call("PATCH", f"/scim/v2/Groups/{group_id}", {
                "schemas": [PATCH_URN], "Operations": [
                    {"op": op, "path": "members", "value": [{"value": user_id}]}]})
            assert status in (200, 204), body
    return add_remove


async def flat(small: App, large: App) -> list[tuple[str, str, float, float, float, float]]:
    """`small` holds 1,000 users, `large` 100,000 (each its own database); then `large`
    gets a group of 10 and one of 99,999 members."""
    small_ids = [str(uuid.uuid4()) for _ in range(1000)]
    small.load_users(small_ids, 0)
    large_ids = [str(uuid.uuid4()) for _ in range(100_000)]
    large.load_users(large_ids, 0)
    names = {"get": "GET by id", "eq": "userName eq", "patch": "PATCH one attribute"}
    ops = [operations(small, small_ids), operations(large, large_ids[:1000])]
    rows = []
    for op, name in names.items():
        (p_small, c_small), (p_large, c_large) = await alternating(
            [ops[0][op], ops[1][op]], 300)
        rows.append((name, "1,000 → 100,000 users", p_small, c_small, p_large, c_large))
    changes = []
    for size in (10, 99_999):
        status, body = await large.call("POST", "/scim/v2/Groups", {
            "schemas": [GROUP_URN], "displayName": f"G{size}"})
        assert status == 201, body
        group_id = json.loads(body)["id"]
        large.load_members(group_id, large_ids[:size])
        changes.append(member_change(large, group_id, large_ids[-1]))
    (p_small, c_small), (p_large, c_large) = await alternating(changes, 150)
    rows.append(("one-member add + remove", "10 → 99,999 members", p_small, c_small,
                 p_large, c_large))
    return rows


async def with_lifespan(app: App, work: Callable[[], Awaitable[Any]]) -> Any:
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    await queue.put({"type": "lifespan.startup"})
    started = asyncio.Event()

    async def send(message: dict[str, Any]) -> None:
        if message["type"].startswith("lifespan.startup"):
            started.set()
    lifespan = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app.app(lifespan, queue.get, send))  # type: ignore[arg-type]
    await started.wait()
    try:
        return await work()
    finally:
        await queue.put({"type": "lifespan.shutdown"})
        await task


async def profile(app: App, op: str, out: str) -> None:
    ids = [str(uuid.uuid4()) for _ in range(2000)]
    app.load_users(ids, 0)
    fn = operations(app, ids)[op]
    for k in range(200):
        await fn(k)
    profiler = cProfile.Profile()
    started, cpu = time.perf_counter(), time.process_time()
    profiler.enable()
    for k in range(2000):
        await fn(k)
    profiler.disable()
    print(f"{op}: {(time.perf_counter() - started) / 2:.3f} ms per request profiled "
          f"({(time.process_time() - cpu) / 2:.3f} ms CPU); written to {out}")
    profiler.dump_stats(out)
    pstats.Stats(out).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--profile", choices=["get", "eq", "patch", "post"])
    args = parser.parse_args()
    if args.profile:
        app = App("sqlite")
        out = os.path.join(tempfile.gettempdir(), f"doorpost-{args.profile}.prof")
        asyncio.run(with_lifespan(app, lambda: profile(app, args.profile, out)))
        return
    print(f"{'backend':<11} {'operation':<24} {'sizes':<22} {'p50 ms':>16} {'CPU ms':>16}  ratio")
    for backend in args.backends.split(","):
        small, large = App(backend), App(backend)
        rows = asyncio.run(with_lifespan(small, lambda: with_lifespan(
            large, lambda: flat(small, large))))
        for name, sizes, p_small, c_small, p_large, c_large in rows:
            print(f"{backend:<11} {name:<24} {sizes:<22} {p_small:>7.3f} → {p_large:<6.3f} "
                  f"{c_small:>7.3f} → {c_large:<6.3f} {p_large / p_small:.2f}x", flush=True)
        small.db.dispose()
        large.db.dispose()


if __name__ == "__main__":
    main()
