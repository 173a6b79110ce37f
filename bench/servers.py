"""The HTTP server under Doorpost, measured: uvicorn (httptools + uvloop, what `doorpost
serve` runs) against granian (Rust), same app, same SQLite database, one worker pinned to
CPU 0, wrk on CPU 1, alternating round by round; GET /Users/{id} and `userName eq`.

    pip install granian && python bench/servers.py
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from compare import BIN, Process, free_port, run_wrk, seed, start_doorpost  # noqa: E402


def _granian(env: dict[str, str]) -> Process:
    port = free_port()
    return Process("granian", [str(BIN / "granian"), "--interface", "asgi", "--factory",
                               "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
                               "--loop", "uvloop", "--log-level", "warning",
                               "doorpost.app:create_app"], env,
                   f"http://127.0.0.1:{port}/scim/v2", f"http://127.0.0.1:{port}/livez")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    if not (BIN / "granian").exists() or not shutil.which("wrk"):
        sys.exit("needs granian in this environment and wrk on the PATH")
    uvicorn, token = start_doorpost("sqlite")
    users = seed(uvicorn.base, token, args.users)
    env = {**os.environ, "DOORPOST_DATABASE_URL": uvicorn.env["DOORPOST_DATABASE_URL"],
           "DOORPOST_LOG_LEVEL": "warning", "DOORPOST_RATE_LIMIT_ORG": "1000000/minute"}
    granian = _granian(env)
    try:
        print(f"{'operation':<13} {'uvicorn/s':>10} {'granian/s':>10} {'ratio':>6}  CPU ms (u/g)")
        for op in ("get_by_id", "username_eq"):
            runs: dict[str, list[dict[str, float]]] = {"u": [], "g": []}
            for _ in range(args.rounds):
                runs["u"].append(run_wrk(uvicorn, token, op, users, args.seconds, 4))
                runs["g"].append(run_wrk(granian, token, op, users, args.seconds, 4))
            med = {k: statistics.median(r["per_s"] for r in v) for k, v in runs.items()}
            cpu = {k: statistics.median(r["server_cpu_ms"] for r in v) for k, v in runs.items()}
            print(f"{op:<13} {med['u']:>10,.0f} {med['g']:>10,.0f} {med['g'] / med['u']:>5.2f}x  "
                  f"{cpu['u']:.2f} / {cpu['g']:.2f}")
    finally:
        granian.stop()
        uvicorn.stop()


if __name__ == "__main__":
    main()
