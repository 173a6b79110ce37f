"""Doorpost benchmark: the real server under Entra-like traffic, as ratios measured in one run.

Starts `uvicorn doorpost.app:create_app` in its own process (SQLite, then PostgreSQL when one
answers), loads organizations through the public bulk-import CLI, drives the server over HTTP
from this process with one keep-alive client, and prints a table (and writes JSON) of p50 /
p99 / req/s per operation at each size, the server's peak memory, and a floor: `/livez` on the
same stack, so each figure reads as a fraction of what the stack itself allows.

    python bench/run.py                    # 1,000 and 100,000 users; groups of 10/10k/100k
    python bench/run.py --quick            # 1,000 and 10,000 users; groups of 10/1k/10k
    python bench/run.py --million          # adds 1,000,000 users on PostgreSQL
    python bench/run.py --backends sqlite  # one backend only
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PG_URL = os.environ.get("DOORPOST_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"


@dataclass
class Figure:
    backend: str
    size: str
    op: str
    p50_ms: float
    p99_ms: float
    rps: float
    n: int

    def row(self) -> list[str]:
        return [self.backend, self.size, self.op, f"{self.p50_ms:.2f}", f"{self.p99_ms:.2f}",
                f"{self.rps:,.0f}"]


@dataclass
class Results:
    figures: list[Figure] = field(default_factory=list)
    memory_mb: dict[str, float] = field(default_factory=dict)
    loads: dict[str, float] = field(default_factory=dict)

    def get(self, backend: str, size: str, op: str) -> Figure:
        return next(f for f in self.figures if (f.backend, f.size, f.op) == (backend, size, op))


def measure(backend: str, size: str, op: str, call: Callable[[int], httpx.Response],
            n: int, results: Results, warmup: int = 20) -> Figure:
    for i in range(warmup):
        call(i)
    times = []
    started = time.perf_counter()
    for i in range(n):
        t0 = time.perf_counter()
        r = call(i + warmup)
        times.append(time.perf_counter() - t0)
        if r.status_code >= 400:
            raise RuntimeError(f"{op}: {r.status_code} {r.text[:300]}")
    wall = time.perf_counter() - started
    times.sort()
    fig = Figure(backend, size, op, statistics.median(times) * 1000,
                 times[min(n - 1, int(n * 0.99))] * 1000, n / wall, n)
    results.figures.append(fig)
    print(f"  {op:<34} p50 {fig.p50_ms:7.2f} ms  p99 {fig.p99_ms:7.2f} ms  "
          f"{fig.rps:8,.0f} req/s", flush=True)
    return fig


def peak_rss_mb(pid: int) -> float:
    """A process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """One uvicorn process serving Doorpost on `url` (SQLAlchemy URL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.port = free_port()
        env = {**os.environ, "DOORPOST_DATABASE_URL": url, "DOORPOST_LOG_LEVEL": "warning"}
        self.env = env
        self.proc = subprocess.Popen(
            [str(BIN / "uvicorn"), "doorpost.app:create_app", "--factory", "--host",
             "127.0.0.1", "--port", str(self.port), "--no-access-log", "--log-level",
             "warning"], env=env, cwd=ROOT)
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{self.port}/livez").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("server did not start")
            time.sleep(0.1)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=20)


def cli(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    r = subprocess.run([str(BIN / "doorpost"), *args], env=env, cwd=ROOT, input=stdin,
                       capture_output=True, text=True, check=False)
    if r.returncode not in (0,):
        raise RuntimeError(f"doorpost {' '.join(args)}: {r.stdout}{r.stderr}")
    return r.stdout


def entra_user(i: int, tag: str) -> dict[str, Any]:
    name = f"user{i}.{tag}@contoso.example"
    return {"schemas": [USER_URN], "userName": name, "externalId": f"ext-{tag}-{i}",
            "active": True, "displayName": f"User {i}",
            "name": {"givenName": "User", "familyName": str(i)},
            "emails": [{"primary": True, "type": "work", "value": name}]}


def load_users(env: dict[str, str], slug: str, start: int, stop: int, tag: str,
               results: Results, label: str) -> None:
    """Bring the organization up to `stop` users through `doorpost import users`."""
    if stop <= start:
        return
    path = Path(tempfile.mkstemp(suffix=".jsonl")[1])
    with path.open("w") as f:
        for i in range(start, stop):
            f.write(json.dumps(entra_user(i, tag)) + "\n")
    t0 = time.perf_counter()
    cli(env, "import", "users", slug, str(path), "--json")
    took = time.perf_counter() - t0
    path.unlink()
    results.loads[label] = round((stop - start) / took)
    print(f"  imported {stop - start:,} users in {took:.1f} s "
          f"({results.loads[label]:,} users/s)", flush=True)


def run_backend(backend: str, url: str, sizes: list[int], groups: list[int],
                results: Results) -> None:
    env = {**os.environ, "DOORPOST_DATABASE_URL": url}
    cli(env, "db", "upgrade")
    slug = f"bench-{uuid.uuid4().hex[:6]}"
    cli(env, "org", "create", "Bench", "--slug", slug, "--licensed", "--sso-configured")
    cli(env, "scim", "enable", slug)
    token = json.loads(cli(env, "token", "create", slug, "--json"))["token"]
    tag = uuid.uuid4().hex[:6]
    loaded = 0
    rng = random.Random(7)
    for size in sizes:
        label = f"{size:,} users"
        print(f"\n[{backend}] {label}", flush=True)
        load_users(env, slug, loaded, size, tag, results, f"{backend} {label}")
        loaded = size
        server = Server(url)
        try:
            client = httpx.Client(base_url=server.base + "/scim/v2", timeout=60, headers={
                "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
            floor = httpx.Client(base_url=server.base)
            picks = [rng.randrange(size) for _ in range(2000)]
            ids: dict[int, str] = {}

            def user_id(i: int) -> str:
                k = picks[i % len(picks)]
                if k not in ids:
                    found = client.get("/Users", params={
                        "filter": f'userName eq "user{k}.{tag}@contoso.example"'}).json()
                    ids[k] = found["Resources"][0]["id"]
                return ids[k]
            for i in range(300):
                user_id(i)
            n = 400
            measure(backend, label, "floor: GET /livez", lambda i: floor.get("/livez"), n,
                    results)
            measure(backend, label, "GET /Users/{id}", lambda i: client.get(
                f"/Users/{user_id(i)}"), n, results)
            measure(backend, label, "filter userName eq", lambda i: client.get("/Users", params={
                "filter": f'userName eq "user{picks[i % 300]}.{tag}@contoso.example"'}), n,
                results)
            measure(backend, label, "filter externalId eq", lambda i: client.get(
                "/Users", params={"filter": f'externalId eq "ext-{tag}-{picks[i % 300]}"'}), n,
                results)
            measure(backend, label, "filter emails[work].value eq", lambda i: client.get(
                "/Users", params={"filter": 'emails[type eq "work"].value eq '
                                  f'"user{picks[i % 300]}.{tag}@contoso.example"'}), n, results)
            measure(backend, label, "PATCH user (Entra style)", lambda i: client.patch(
                f"/Users/{user_id(i)}", json={"schemas": [PATCH_OP], "Operations": [
                    {"op": "Replace", "path": "title", "value": f"T{i}"}]}), n, results)
            new_tag = uuid.uuid4().hex[:6]

            def provision(i: int) -> httpx.Response:
                body = entra_user(i, new_tag)
                client.get("/Users", params={"filter": f'userName eq "{body["userName"]}"'})
                return client.post("/Users", json=body)
            measure(backend, label, "create: match + POST", provision, 200, results)
            measure(backend, label, "list page (count=100)", lambda i: client.get(
                "/Users", params={"count": 100}), 100, results)
            deep = max(1, size - 100)
            measure(backend, label, "deep page by index", lambda i: client.get(
                "/Users", params={"startIndex": deep, "count": 100}), 50, results)
            cursor = deep_cursor(client, size)
            measure(backend, label, "deep page by cursor", lambda i: client.get(
                "/Users", params={"cursor": cursor, "count": 100}), 100, results)
            results.memory_mb[f"{backend} {label}"] = round(server.peak_rss_mb(), 1)
            print(f"  server peak RSS {server.peak_rss_mb():.0f} MB", flush=True)
        finally:
            server.stop()
    # groups of 10 … 100,000 members need that many users (and one outsider)
    load_users(env, slug, loaded, max(loaded, max(groups) + 1), tag, results,
               f"{backend} extra users for groups")
    server = Server(url)
    try:
        client = httpx.Client(base_url=server.base + "/scim/v2", timeout=120, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
        bench_groups(backend, client, groups, results)
        results.memory_mb[f"{backend} groups up to {max(groups):,}"] = round(
            server.peak_rss_mb(), 1)
        print(f"  server peak RSS {server.peak_rss_mb():.0f} MB", flush=True)
    finally:
        server.stop()


def deep_cursor(client: httpx.Client, size: int) -> str:
    """A cursor positioned about 100 users before the end (walked there with big pages)."""
    page = client.get("/Users", params={"cursor": "", "count": 1000,
                                        "attributes": "id"}).json()
    walked = page["itemsPerPage"]
    while "nextCursor" in page and walked < size - 100:
        page = client.get("/Users", params={"cursor": page["nextCursor"],
                                            "count": min(1000, size - 100 - walked),
                                            "attributes": "id"}).json()
        walked += page["itemsPerPage"]
    return str(page.get("nextCursor", ""))


def bench_groups(backend: str, client: httpx.Client, groups: list[int], results: Results
                 ) -> None:
    biggest = max(groups)
    all_ids: list[str] = []
    cursor = ""
    while len(all_ids) < biggest + 1:
        page = client.get("/Users", params={"cursor": cursor, "count": 1000,
                                            "attributes": "id"}).json()
        all_ids += [u["id"] for u in page["Resources"]]
        if "nextCursor" not in page:
            break
        cursor = page["nextCursor"]
    for members in groups:
        label = f"group of {members:,}"
        print(f"\n[{backend}] {label}", flush=True)
        g = client.post("/Groups", json={"schemas": [GROUP_URN],
                                         "displayName": f"G{members}-{uuid.uuid4().hex[:6]}"})
        gid = g.json()["id"]
        for i in range(0, members, 1000):
            chunk = all_ids[i:min(i + 1000, members)]
            r = client.patch(f"/Groups/{gid}", json={"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": u} for u in chunk]}]})
            assert r.status_code == 204, r.text
        outsider = all_ids[members]

        def add(i: int) -> httpx.Response:
            return client.patch(f"/Groups/{gid}", json={"schemas": [PATCH_OP], "Operations": [
                {"op": "Add", "path": "members", "value": [{"value": outsider}]}]})

        def remove(i: int) -> httpx.Response:
            return client.patch(f"/Groups/{gid}", json={"schemas": [PATCH_OP], "Operations": [
                {"op": "Remove", "path": "members", "value": [{"value": outsider}]}]})

        def add_remove(i: int) -> httpx.Response:
            return add(i) if i % 2 == 0 else remove(i)
        measure(backend, label, "one-member add/remove", add_remove, 400, results)
        measure(backend, label, "GET group, members excluded", lambda i: client.get(
            f"/Groups/{gid}", params={"excludedAttributes": "members"}), 200, results)
        if members >= 10_000:
            measure(backend, label, "GET group with all members", lambda i: client.get(
                f"/Groups/{gid}"), 5, results, warmup=1)


def postgres_url() -> str | None:
    name = f"doorpost_bench_{uuid.uuid4().hex[:6]}"
    try:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
    except Exception as exc:  # noqa: BLE001
        print(f"PostgreSQL unavailable, skipped: {exc}")
        return None
    return sa.engine.make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


def drop_postgres(url: str) -> None:
    name = sa.engine.make_url(url).database
    admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def targets(results: Results, backends: list[str], sizes: dict[str, list[int]],
            groups: list[int]) -> list[tuple[str, str, bool]]:
    out = []
    for b in backends:
        small, large = f"{sizes[b][0]:,} users", f"{sizes[b][-1]:,} users"
        for op in ("filter userName eq", "filter externalId eq", "filter emails[work].value eq"):
            ratio = results.get(b, large, op).p50_ms / results.get(b, small, op).p50_ms
            out.append((f"{b}: {op} p50 at {large} / at {small}", f"{ratio:.2f} (≤ 1.30)",
                        ratio <= 1.3))
        g_small, g_large = f"group of {min(groups):,}", f"group of {max(groups):,}"
        ratio = (results.get(b, g_large, "one-member add/remove").p50_ms /
                 results.get(b, g_small, "one-member add/remove").p50_ms)
        out.append((f"{b}: one-member add/remove p50, {g_large} / {g_small}",
                    f"{ratio:.2f} (≤ 1.30)", ratio <= 1.3))
        for size in sizes[b]:
            label = f"{size:,} users"
            floor = results.get(b, label, "floor: GET /livez").rps
            for op, goal in (("GET /Users/{id}", 0.60), ("filter userName eq", 0.60),
                             ("create: match + POST", 0.35)):
                share = results.get(b, label, op).rps / floor
                out.append((f"{b} {label}: {op} req/s / floor", f"{share:.0%} (≥ {goal:.0%})",
                            share >= goal))
        for key, mb in results.memory_mb.items():
            if key.startswith(b):
                out.append((f"server peak memory, {key}", f"{mb:.0f} MB (< 250)", mb < 250))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, for a smoke run")
    parser.add_argument("--million", action="store_true", help="add 1,000,000 users on PostgreSQL")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    base_sizes = [1_000, 10_000] if args.quick else [1_000, 100_000]
    groups = [10, 1_000, 10_000] if args.quick else [10, 10_000, 100_000]
    results = Results()
    sizes: dict[str, list[int]] = {}
    ran: list[str] = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            tmp = Path(tempfile.mkdtemp(prefix="doorpost-bench-"))
            url = f"sqlite:///{tmp / 'bench.sqlite3'}"
            sizes[backend] = base_sizes
            run_backend(backend, url, sizes[backend], groups, results)
            shutil.rmtree(tmp, ignore_errors=True)
            ran.append(backend)
        elif backend == "postgresql":
            url = postgres_url()
            if url is None:
                continue
            sizes[backend] = base_sizes + ([1_000_000] if args.million else [])
            try:
                run_backend(backend, url, sizes[backend], groups, results)
            finally:
                drop_postgres(url)
            ran.append(backend)
    report(results, targets(results, ran, sizes, groups), args.out)


def report(results: Results, checks: list[tuple[str, str, bool]], out_dir: str) -> None:
    machine = f"{platform.node()} ({os.cpu_count()} cores, Python {platform.python_version()})"
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [f"Doorpost benchmark, {stamp}, {machine}", "",
             "| backend | size | operation | p50 ms | p99 ms | req/s |",
             "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(f.row()) + " |" for f in results.figures]
    lines += ["", "| bulk import | users/s |", "|---|---|"]
    lines += [f"| {k} | {v:,.0f} |" for k, v in results.loads.items()]
    lines += ["", "| target | measured | met |", "|---|---|---|"]
    lines += [f"| {name} | {value} | {'yes' if ok else 'NO'} |" for name, value, ok in checks]
    text = "\n".join(lines)
    print("\n" + text)
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    path = Path(out_dir) / f"bench-{dt.datetime.now(dt.timezone.utc):%Y%m%dT%H%M%SZ}.json"
    path.write_text(json.dumps({
        "when": stamp, "machine": machine,
        "figures": [f.__dict__ for f in results.figures], "memory_mb": results.memory_mb,
        "bulk_import_users_per_s": results.loads,
        "targets": [{"target": n, "measured": v, "met": ok} for n, v, ok in checks]}, indent=2))
    (Path(out_dir) / "latest.md").write_text(text + "\n")
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
