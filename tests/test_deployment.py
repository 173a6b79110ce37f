"""The container image, checked without a Docker engine (none runs on these machines): the
Dockerfile's ENTRYPOINT + CMD and ENV, and compose.yaml's migration step, are run here as the
image would run them; the image's HEALTHCHECK command must then pass, and SIGTERM must stop
the server cleanly."""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml

from doorpost.config import ENVIRONMENT_VARIABLES
from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of the final stage, continuation lines joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    stages: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        word, _, rest = line.partition(" ")
        if word.upper() == "FROM":
            stages.append([])
        stages[-1].append((word.upper(), rest.strip()))
    assert len(stages) >= 2, "multi-stage: build dependencies stay out of the runtime image"
    return stages[-1]


def _one(instructions: list[tuple[str, str]], name: str) -> str:
    found = [rest for word, rest in instructions if word == name]
    assert len(found) == 1, name
    return found[0]


def _env(instructions: list[tuple[str, str]]) -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in instructions:
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_the_runtime_stage_is_non_root_with_a_health_check() -> None:
    final = _instructions()
    assert _one(final, "USER") not in ("root", "0")
    assert "readyz" in _one(final, "HEALTHCHECK")
    assert _one(final, "STOPSIGNAL") == "SIGTERM"
    doorpost_env = {k for k in _env(final) if k.startswith("DOORPOST_")}
    assert doorpost_env <= set(ENVIRONMENT_VARIABLES)


def _compose() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
    return data


def test_compose_migrates_before_serving_with_documented_settings() -> None:
    services = _compose()["services"]
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["doorpost"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"
    assert set(services["doorpost"]["environment"]) <= set(ENVIRONMENT_VARIABLES)
    assert services["doorpost"]["environment"]["DOORPOST_DATABASE_URL"].startswith(
        "postgresql")


def test_the_image_command_serves_and_passes_its_health_check(
        tmp_path: Path, database_url: str) -> None:
    final = _instructions()
    entrypoint = json.loads(_one(final, "ENTRYPOINT"))
    command = json.loads(_one(final, "CMD"))
    port = str(_free_port())
    command = [port if prev == "--port" else arg
               for prev, arg in zip(["", *command], command)]
    env = {**os.environ, **{k: v for k, v in _env(final).items() if k != "PATH"},
           **_compose()["services"]["doorpost"]["environment"],
           "DOORPOST_DATA_DIR": str(tmp_path), "DOORPOST_DATABASE_URL": database_url,
           "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    migrate = _compose()["services"]["migrate"]["command"]
    subprocess.run([*entrypoint, *migrate], env=env, check=True, capture_output=True)
    server = subprocess.Popen([*entrypoint, *command], env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, start_new_session=True)
    health = json.loads(_one(final, "HEALTHCHECK").split("CMD", 1)[1])
    health = [a.replace("8000", port) for a in health]
    try:
        deadline = time.monotonic() + 30
        while subprocess.run(health, env=env, capture_output=True).returncode != 0:
            assert server.poll() is None, server.stderr.read().decode()[-2000:]  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the health check never passed"
            time.sleep(0.3)
        assert httpx.get(f"http://127.0.0.1:{port}/scim/v2/ServiceProviderConfig"
                         ).status_code == 200
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(40) in (0, -signal.SIGTERM)  # uvicorn re-raises after draining
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGKILL)
        server.wait(10)
        assert server.stderr is not None
        server.stderr.close()
