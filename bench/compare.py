"""Doorpost side by side with scim2-server 0.8.3 (the Python reference server, in memory), in
one run, on the operations an identity provider mostly sends; ratios against issue 9's
targets, each marked met or not.

    python bench/compare.py                 # 5,000 users, SQLite and PostgreSQL
    python bench/compare.py --users 20000 --seconds 5

Every server is one uvicorn worker pinned to CPU 0; the load comes from `wrk` (Debian's
package; C, one thread pinned to CPU 1, `--clients` (4) keep-alive connections, requests
made by a Lua script), so the client never competes with the server for a core nor
becomes the bottleneck itself. Without wrk, `--clients` Python processes with httpx
(pinned to CPU 1) drive the load, and the table says so. Targets alternate round by round
(Doorpost SQLite, peer, Doorpost PostgreSQL, peer, …), and each ratio is the median of
the rounds' ratios, so drift in the machine's load moves both sides. Server CPU per
request is read from /proc (user + system time of the server and its children over the
round). Install wrk with `apt-get install wrk`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import random
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

from run import free_port, peak_rss_mb  # bench/ is on the path: this file's folder

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
PEER_VENV = ROOT / "bench" / ".peer-venv"
PEER_APP = '''
from scim2_server.applications.asgi import ASGIApplication
from scim2_server.memory import AsyncInMemoryStorage
from scim2_server.utils import load_default_provider
app = ASGIApplication(AsyncInMemoryStorage(), load_default_provider())
'''
PG_URL = os.environ.get("DOORPOST_BENCH_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OPS = ("get_by_id", "username_eq", "provisioning_pair", "patch_one")
TARGETS = {"sqlite": 3.0, "postgresql": 2.0}
CLK = os.sysconf("SC_CLK_TCK")
CLIENT = "wrk" if shutil.which("wrk") else "httpx"


def _tree(pid: int) -> list[int]:
    """`pid` and its descendants, from /proc."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        out.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                todo += [int(c) for c in task.read_text().split()]
            except FileNotFoundError:
                pass
    return out


def peer_python() -> Path:
    """scim2-server in its own environment (bench/.peer-venv), made on first use."""
    python = PEER_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", "scim2-server==0.8.3",
                        "uvicorn[standard]"], check=True)
    return python


class Process:
    def __init__(self, name: str, command: list[str], env: dict[str, str], base: str,
                 ready: str) -> None:
        self.name, self.base, self.env = name, base, env
        self.proc = subprocess.Popen(["taskset", "-c", "0", *command], env=env,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(ready, timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError(f"{name} did not start")
            time.sleep(0.1)

    def cpu_s(self) -> float:
        """User + system time of the server and its child processes (a server that runs
        its workers as children, like granian, is measured whole)."""
        total = 0.0
        for pid in _tree(self.proc.pid):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except FileNotFoundError:
                continue
            total += (int(fields[11]) + int(fields[12])) / CLK
        return total

    def peak_rss_mb(self) -> float:
        return peak_rss_mb(self.proc.pid)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(20)


def start_peer() -> Process:
    folder = Path(tempfile.mkdtemp(prefix="peer-"))
    (folder / "peer_app.py").write_text(PEER_APP)
    port = free_port()
    return Process("scim2-server", [str(peer_python()), "-m", "uvicorn", "--app-dir",
                                    str(folder), "peer_app:app", "--host", "127.0.0.1",
                                    "--port", str(port), "--no-access-log", "--log-level",
                                    "warning"], dict(os.environ),
                   f"http://127.0.0.1:{port}/v2", f"http://127.0.0.1:{port}/v2/Users")


def start_doorpost(backend: str) -> tuple[Process, str]:
    if backend == "sqlite":
        url = f"sqlite:///{tempfile.mkdtemp(prefix='bench-')}/doorpost.sqlite3"
    else:
        admin = sa.create_engine(PG_URL, isolation_level="AUTOCOMMIT")
        name = f"doorpost_compare_{uuid.uuid4().hex[:8]}"
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        admin.dispose()
        url = sa.engine.make_url(PG_URL).set(database=name).render_as_string(False)
    env = {**os.environ, "DOORPOST_DATABASE_URL": url, "DOORPOST_LOG_LEVEL": "warning",
           "DOORPOST_RATE_LIMIT_ORG": "1000000/minute"}
    doorpost = str(BIN / "doorpost")
    subprocess.run([doorpost, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run([doorpost, "org", "create", "Bench", "--slug", "bench", "--licensed",
                    "--sso-configured"], env=env, check=True, capture_output=True)
    subprocess.run([doorpost, "scim", "enable", "bench"], env=env, check=True,
                   capture_output=True)
    token = json.loads(subprocess.run([doorpost, "token", "create", "bench", "--json"], env=env,
                                      check=True, capture_output=True, text=True).stdout)
    port = free_port()
    return Process(f"doorpost-{backend}", [doorpost, "serve", "--port", str(port)], env,
                   f"http://127.0.0.1:{port}/scim/v2", f"http://127.0.0.1:{port}/livez"), \
        token["token"]


def user(name: str) -> dict[str, Any]:
    return {"schemas": [USER_URN], "userName": name, "active": True,
            "name": {"givenName": "Bench", "familyName": name.split("@")[0]},
            "emails": [{"value": name, "type": "work", "primary": True}]}


def seed(base: str, token: str, n: int) -> list[tuple[str, str]]:
    """`n` users by POST, through the same API for both servers: (id, userName)."""
    out: list[tuple[str, str]] = []
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"},
                      timeout=30) as client:
        for i in range(n):
            name = f"u{i}-{uuid.uuid4().hex[:6]}@bench.example"
            r = client.post("/Users", json=user(name))
            r.raise_for_status()
            out.append((r.json()["id"], name))
    return out


def _client(args: tuple[str, str, str, list[tuple[str, str]], float, int]
            ) -> tuple[int, list[float], float]:
    base, token, op, users, seconds, seed_ = args
    os.sched_setaffinity(0, {1})
    rnd = random.Random(seed_)
    times: list[float] = []
    cpu0 = time.process_time()
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}",
                                              "Content-Type": "application/scim+json"},
                      timeout=30) as client:
        deadline = time.perf_counter() + seconds
        while time.perf_counter() < deadline:
            uid, name = rnd.choice(users)
            t0 = time.perf_counter()
            if op == "get_by_id":
                r = client.get(f"/Users/{uid}")
            elif op == "username_eq":
                r = client.get("/Users", params={"filter": f'userName eq "{name}"'})
            elif op == "provisioning_pair":  # Entra: match by userName, then create
                new = f"p-{uuid.uuid4().hex}@bench.example"
                r = client.get("/Users", params={"filter": f'userName eq "{new}"'})
                r = client.post("/Users", json=user(new))
            else:
                r = client.patch(f"/Users/{uid}", json={"schemas": [PATCH_URN], "Operations": [
                    {"op": "replace", "path": "displayName", "value": uuid.uuid4().hex}]})
            times.append(time.perf_counter() - t0)
            if r.status_code >= 400:
                raise RuntimeError(f"{op}: {r.status_code} {r.text[:200]}")
    return len(times), times, time.process_time() - cpu0


# One Lua script per operation: `request` builds each request (random user; a new userName
# per provisioning pair, whose two requests alternate); `done` prints the figures as JSON.
WRK_LUA = r'''
local users = {}
for line in io.lines(os.getenv("BENCH_USERS")) do
  local id, name = line:match("([^\t]+)\t([^\t]+)")
  users[#users + 1] = {id, name}
end
local op, base, token = os.getenv("BENCH_OP"), os.getenv("BENCH_BASE"), os.getenv("BENCH_TOKEN")
local headers = {["Authorization"] = "Bearer " .. token,
                 ["Content-Type"] = "application/scim+json"}
local pending = nil
math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
local function hex() return string.format("%08x%08x", math.random(0, 0x7fffffff),
                                          math.random(0, 0x7fffffff)) end
local function eq(name)
  local f = 'userName eq "' .. name .. '"'
  return base .. "/Users?filter=" .. f:gsub("[^%w%-_%.~]", function(c)
    return string.format("%%%02X", string.byte(c)) end)
end
local function user(name)
  return '{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"' .. name ..
    '","active":true,"name":{"givenName":"Bench","familyName":"' .. name:match("^[^@]+") ..
    '"},"emails":[{"value":"' .. name .. '","type":"work","primary":true}]}'
end
request = function()
  local u = users[math.random(#users)]
  if op == "get_by_id" then
    return wrk.format("GET", base .. "/Users/" .. u[1], headers)
  elseif op == "username_eq" then
    return wrk.format("GET", eq(u[2]), headers)
  elseif op == "provisioning_pair" then
    if pending == nil then
      pending = "p-" .. hex() .. hex() .. "@bench.example"
      return wrk.format("GET", eq(pending), headers)
    end
    local name = pending
    pending = nil
    return wrk.format("POST", base .. "/Users", headers, user(name))
  end
  return wrk.format("PATCH", base .. "/Users/" .. u[1], headers,
    '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":' ..
    '[{"op":"replace","path":"displayName","value":"' .. hex() .. '"}]}')
end
done = function(summary, latency, requests)
  io.write(string.format('{"requests":%d,"duration_us":%d,"p50_us":%d,"non2xx":%d,' ..
    '"errors":%d}\n', summary.requests, summary.duration, latency:percentile(50),
    summary.errors.status, summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
'''


def run_wrk(target: Process, token: str, op: str, users: list[tuple[str, str]],
            seconds: float, clients: int) -> dict[str, float]:
    """One round by wrk: one thread pinned to CPU 1, `clients` connections."""
    folder = Path(tempfile.mkdtemp(prefix="wrk-"))
    (folder / "bench.lua").write_text(WRK_LUA)
    (folder / "users.tsv").write_text("".join(f"{i}\t{n}\n" for i, n in users))
    origin, _, base = target.base.partition("://")[2].partition("/")
    env = {**os.environ, "BENCH_USERS": str(folder / "users.tsv"), "BENCH_OP": op,
           "BENCH_BASE": "/" + base, "BENCH_TOKEN": token}
    cpu, client_cpu = target.cpu_s(), _children_cpu_s()
    started = time.perf_counter()
    out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", f"-c{clients}",
                          f"-d{max(1, round(seconds))}s", "--latency",
                          "-s", str(folder / "bench.lua"),
                          f"http://{origin}"], env=env, stdout=subprocess.PIPE, text=True,
                         check=True).stdout
    wall = time.perf_counter() - started
    client_cpu = _children_cpu_s() - client_cpu  # the wrk just waited for
    figures = json.loads(out.strip().splitlines()[-1])
    if figures["non2xx"] or figures["errors"]:
        raise RuntimeError(f"{op} on {target.name}: {figures}")
    pairs = 2 if op == "provisioning_pair" else 1
    elapsed = figures["duration_us"] / 1e6
    return {"per_s": figures["requests"] / pairs / elapsed,
            "p50_ms": figures["p50_us"] / 1000,
            "server_cpu_ms": (target.cpu_s() - cpu) * 1000 / max(figures["requests"], 1),
            "client_cpu_share": client_cpu / wall}


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_op(target: Process, token: str, op: str, users: list[tuple[str, str]],
           seconds: float, clients: int) -> dict[str, float]:
    if CLIENT == "wrk":
        return run_wrk(target, token, op, users, seconds, clients)
    cpu = target.cpu_s()
    started = time.perf_counter()
    with mp.Pool(clients) as pool:
        parts = pool.map(_client, [(target.base, token, op, users, seconds, i)
                                   for i in range(clients)])
    wall = time.perf_counter() - started
    n = sum(p[0] for p in parts)
    times = sorted(t for p in parts for t in p[1])
    requests = n * (2 if op == "provisioning_pair" else 1)
    return {"per_s": n / seconds, "p50_ms": statistics.median(times) * 1000,
            "server_cpu_ms": (target.cpu_s() - cpu) * 1000 / max(requests, 1),
            "client_cpu_share": sum(p[2] for p in parts) / wall}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=5000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    backends = [b for b in args.backends.split(",") if b]
    print(f"starting scim2-server 0.8.3 and Doorpost ({', '.join(backends)}); "
          f"seeding {args.users:,} users each", flush=True)
    peer = start_peer()
    targets: dict[str, tuple[Process, str]] = {}
    try:  # every server is stopped, whatever happens to the run
        for b in backends:
            targets[b] = start_doorpost(b)
        users = {"peer": seed(peer.base, "peer", args.users)}
        for b, (proc, token) in targets.items():
            users[b] = seed(proc.base, token, args.users)
        rounds: dict[str, dict[str, list[dict[str, float]]]] = {}
        for op in OPS:
            for _ in range(args.rounds):
                for b, (proc, token) in targets.items():  # alternate: Doorpost, peer, …
                    for name, (p, tok, us) in ((b, (proc, token, users[b])),
                                               (f"peer-vs-{b}", (peer, "peer", users["peer"]))):
                        rounds.setdefault(op, {}).setdefault(name, []).append(
                            run_op(p, tok, op, us, args.seconds, args.clients))
            print(f"  measured {op}", flush=True)
        memory = {"scim2-server": peer.peak_rss_mb(),
                  **{f"doorpost-{b}": p.peak_rss_mb() for b, (p, _) in targets.items()}}
    finally:
        for proc in [peer, *(p for p, _ in targets.values())]:
            proc.stop()
    report(rounds, backends, memory, args)


def report(rounds: dict[str, dict[str, list[dict[str, float]]]], backends: list[str],
           memory: dict[str, float], args: argparse.Namespace) -> None:
    rows: list[dict[str, Any]] = []
    print(f"\n{'operation':<19} {'backend':<11} {'Doorpost/s':>10} {'peer/s':>8} {'ratio':>6} "
          f"{'target':>7}  {'CPU ms (D/peer)':>15}  met")
    for op in OPS:
        for b in backends:
            mine, theirs = rounds[op][b], rounds[op][f"peer-vs-{b}"]
            ratio = statistics.median(m["per_s"] / t["per_s"] for m, t in zip(mine, theirs))
            med = {k: statistics.median(r[k] for r in mine) for k in mine[0]}
            peer_med = {k: statistics.median(r[k] for r in theirs) for k in theirs[0]}
            met = ratio >= TARGETS[b]
            rows.append({"op": op, "backend": b, "doorpost": med, "peer": peer_med,
                         "ratio": ratio, "target": TARGETS[b], "met": met})
            print(f"{op:<19} {b:<11} {med['per_s']:>10,.0f} {peer_med['per_s']:>8,.0f} "
                  f"{ratio:>5.2f}x {TARGETS[b]:>6.1f}x  {med['server_cpu_ms']:>6.2f} / "
                  f"{peer_med['server_cpu_ms']:<6.2f}  {'yes' if met else 'no'}")
    if "sqlite" in backends:
        cpu = next(r for r in rows if r["op"] == "get_by_id" and r["backend"] == "sqlite")
        cpu_ms = cpu["doorpost"]["server_cpu_ms"]
        print(f"\nserver CPU per GET by id on SQLite: {cpu_ms:.2f} ms (target ≤ 0.30): "
              f"{'met' if cpu_ms <= 0.3 else 'not met'}")
    share = statistics.median(r["doorpost"]["client_cpu_share"] for r in rows)
    print(f"client ({CLIENT}) CPU: {share:.2f} cores (its own core, CPU 1); peak memory MB: "
          + ", ".join(f"{k} {v:.0f}" for k, v in memory.items()))
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"compare-{dt.datetime.now():%Y%m%d-%H%M%S}.json"
    path.write_text(json.dumps({"args": vars(args), "client": CLIENT, "rows": rows,
                                "memory_mb": memory},
                               indent=2))
    print(f"wrote {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
