"""Doorpost as a real process (`doorpost serve`), for what only a process shows: signals,
`kill -9`, several workers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping

import httpx

from tests.conftest import _free_port

DOORPOST = Path(sys.executable).with_name("doorpost")


class ServerProcess:
    def __init__(self, database_url: str, *, workers: int = 1,
                 env: Mapping[str, str] | None = None, args: tuple[str, ...] = ()) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "DOORPOST_DATABASE_URL": database_url,
                    "DOORPOST_LOG_LEVEL": "warning", **(env or {})}
        if "PROMETHEUS_MULTIPROC_DIR" not in (env or {}):
            self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.command = [str(DOORPOST), "serve", "--host", "127.0.0.1", "--port",
                        str(self.port), "--workers", str(workers), *args]
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30) -> ServerProcess:
        self.proc = subprocess.Popen(self.command, env=self.env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("doorpost serve exited: "
                                   + (self.proc.stderr.read().decode()[-2000:]
                                      if self.proc.stderr else ""))
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        self.kill()
        raise RuntimeError("doorpost serve did not become ready")

    def terminate(self, timeout: float = 30) -> int:
        """SIGTERM, as an orchestrator stops a container; wait for the exit."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """SIGKILL every process of the server at once: nothing gets to clean up."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def __enter__(self) -> ServerProcess:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.kill()
        if self.proc is not None and self.proc.stderr is not None:
            self.proc.stderr.close()
