"""Revocation latency: how long after the identity provider's `PATCH active=false` is
acknowledged (a) the access decision denies and (b) a webhook receiver holds the signed
`access.revoked`, idle and under concurrent provisioning writes.

Starts `doorpost serve` (its embedded webhook worker included) as its own process on SQLite
and on PostgreSQL, a Standard Webhooks receiver in this process (it checks every signature
with the `standardwebhooks` library), and, for the loaded runs, provisioning clients in
another process that create users and add them to the same organization's groups as fast as
the server lets them. Each round deactivates one member of a group that opens a door, asks
for a decision at once, and waits for the receiver.

    python bench/revocation.py                       # both backends, 40 rounds each
    python bench/revocation.py --backends postgresql --rounds 100 --load-clients 4
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from run import PATCH_OP, USER_URN, GROUP_URN, cli, drop_postgres, free_port, postgres_url

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
TARGET_P99_S = 1.0


class Receiver:
    """Records when each `access.revoked` arrives, by user id (signatures checked)."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.bad_signatures = 0
        self.secret: str | None = None
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                at = time.perf_counter()
                headers = {k.lower(): v for k, v in self.headers.items()}
                try:
                    Webhook(outer.secret or "").verify(body, headers)
                    event = json.loads(body)
                    if event["type"] == "access.revoked":
                        with outer.lock:
                            outer.arrived.setdefault(event["data"]["user"]["id"], at)
                except Exception:  # noqa: BLE001
                    outer.bad_signatures += 1
                self.send_response(204)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


def provisioning_load(base: str, token: str, group: str, stop: Any, counter: Any) -> None:
    """One client of the background load: create a user, add it to the group, repeat."""
    client = httpx.Client(base_url=base, timeout=60, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
    tag = uuid.uuid4().hex[:8]
    i = 0
    while not stop.is_set():
        i += 1
        r = client.post("/Users", json={"schemas": [USER_URN],
                                        "userName": f"load-{tag}-{i}@example.com"})
        if r.status_code == 201:
            client.patch(f"/Groups/{group}", json={"schemas": [PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": r.json()["id"]}]}]})
            with counter.get_lock():
                counter.value += 2


def run_backend(backend: str, url: str, rounds: int, load_clients: int) -> dict[str, Any]:
    env = {**os.environ, "DOORPOST_DATABASE_URL": url, "DOORPOST_LOG_LEVEL": "warning",
           "DOORPOST_WEBHOOK_ALLOW_INSECURE": "1"}
    cli(env, "db", "upgrade")
    slug = f"rev-{uuid.uuid4().hex[:6]}"
    cli(env, "org", "create", "Revocation", "--slug", slug, "--licensed", "--sso-configured")
    cli(env, "scim", "enable", slug)
    token = json.loads(cli(env, "token", "create", slug, "--json"))["token"]
    key = json.loads(cli(env, "apikey", "create", slug, "--name", "bench", "--json"))["key"]
    door = json.loads(cli(env, "door", "create", slug, "Front door", "--json"))["id"]
    receiver = Receiver()
    receiver.secret = json.loads(cli(env, "webhook", "add", slug, receiver.url,
                                     "--allow-insecure", "--events", "access.revoked",
                                     "--json"))["secret"]
    port = free_port()
    proc = subprocess.Popen([str(BIN / "doorpost"), "serve", "--port", str(port)], env=env,
                            cwd=ROOT, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{base}/readyz").status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.1)
        scim = httpx.Client(base_url=f"{base}/scim/v2", timeout=60, headers={
            "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})
        api = httpx.Client(base_url=f"{base}/api/v1", timeout=60,
                           headers={"Authorization": f"Bearer {key}"})
        users = [scim.post("/Users", json={"schemas": [USER_URN], "active": True,
                                           "userName": f"r{i}@example.com"}).json()["id"]
                 for i in range(2 * rounds)]
        group = scim.post("/Groups", json={"schemas": [GROUP_URN], "displayName": "Staff",
                                           "members": [{"value": u} for u in users]}
                          ).json()["id"]
        cli(env, "door", "grant", slug, door, group)
        out: dict[str, Any] = {"backend": backend}
        for phase, batch in (("idle", users[:rounds]), ("load", users[rounds:])):
            stop, counter = mp.Event(), mp.Value("i", 0)
            loaders = [mp.Process(target=provisioning_load,
                                  args=(f"{base}/scim/v2", token, group, stop, counter))
                       for _ in range(load_clients if phase == "load" else 0)]
            for p in loaders:
                p.start()
            time.sleep(1.0 if loaders else 0)
            latencies, denied_next, started = [], 0, time.perf_counter()
            before = counter.value
            for user in batch:
                r = scim.patch(f"/Users/{user}", json={"schemas": [PATCH_OP], "Operations": [
                    {"op": "Replace", "path": "active", "value": "False"}]})
                acked = time.perf_counter()
                assert r.status_code == 200, r.text
                decision = api.post("/access/decisions", json={"door": door, "user": user})
                denied_next += decision.json()["allowed"] is False
                wait_until = acked + 30
                while user not in receiver.arrived and time.perf_counter() < wait_until:
                    time.sleep(0.001)
                latencies.append(receiver.arrived.get(user, float("inf")) - acked)
            writes_per_s = (counter.value - before) / (time.perf_counter() - started)
            stop.set()
            for p in loaders:
                p.join(timeout=30)
            ordered = sorted(latencies)
            out[phase] = {
                "rounds": len(batch), "next_decision_denied": denied_next,
                "webhook_p50_ms": round(statistics.median(ordered) * 1000, 1),
                "webhook_p99_ms": round(ordered[min(len(ordered) - 1,
                                                    int(len(ordered) * 0.99))] * 1000, 1),
                "webhook_max_ms": round(ordered[-1] * 1000, 1),
                "background_writes_per_s": round(writes_per_s, 1)}
        out["bad_signatures"] = receiver.bad_signatures
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--load-clients", type=int, default=4)
    parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
    args = parser.parse_args()
    results = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            folder = tempfile.mkdtemp(prefix="doorpost-revocation-")
            results.append(run_backend(backend, f"sqlite:///{folder}/bench.sqlite3",
                                       args.rounds, args.load_clients))
        else:
            url = postgres_url()
            if url is None:
                continue
            try:
                results.append(run_backend(backend, url, args.rounds, args.load_clients))
            finally:
                drop_postgres(url)
    lines = ["| backend | phase | rounds | next decision denied | webhook p50 ms | p99 ms | "
             "max ms | background writes/s |", "|---|---|---|---|---|---|---|---|"]
    checks = []
    for r in results:
        for phase in ("idle", "load"):
            f = r[phase]
            lines.append(f"| {r['backend']} | {phase} | {f['rounds']} | "
                         f"{f['next_decision_denied']}/{f['rounds']} | {f['webhook_p50_ms']} | "
                         f"{f['webhook_p99_ms']} | {f['webhook_max_ms']} | "
                         f"{f['background_writes_per_s']} |")
            checks.append((f"{r['backend']} {phase}: the next decision denies",
                           f['next_decision_denied'] == f['rounds']))
        checks.append((f"{r['backend']} load: webhook p99 < {TARGET_P99_S * 1000:.0f} ms",
                       r["load"]["webhook_p99_ms"] < TARGET_P99_S * 1000))
        checks.append((f"{r['backend']}: every signature verified", r["bad_signatures"] == 0))
    lines += ["", "| target | met |", "|---|---|"]
    lines += [f"| {name} | {'yes' if ok else 'NO'} |" for name, ok in checks]
    text = "\n".join(lines)
    print(text)
    Path(args.out).mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc)
    (Path(args.out) / f"revocation-{stamp:%Y%m%dT%H%M%SZ}.json").write_text(
        json.dumps({"when": stamp.isoformat(), "results": results,
                    "targets": [{"target": n, "met": ok} for n, ok in checks]}, indent=2))
    (Path(args.out) / "revocation-latest.md").write_text(text + "\n")


if __name__ == "__main__":
    main()
