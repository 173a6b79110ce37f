"""What an operator relies on: `/readyz` (database and migrations), request ids, and one
JSON access-log line per request that names the organization and token id, never a token."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from doorpost.app import create_app
from doorpost.config import Settings
from doorpost.store.migrate import upgrade
from tests.conftest import LiveServer, Tenant, user_body


def test_readyz_checks_the_database_and_migrations(server: LiveServer) -> None:
    r = httpx.get(f"{server.url}/readyz")
    assert r.status_code == 200 and r.json()["migrations"] == "head"


@pytest.mark.anyio
async def test_readyz_refuses_a_database_behind_the_code(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'old.sqlite3'}"
    upgrade(url, "56f3e6216901")  # one migration short of head
    app = create_app(Settings(database_url=url))
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.get("/readyz")
    assert r.status_code == 503 and "56f3e6216901" in r.json()["migrations"]


def test_request_ids_and_the_access_log(tenant: Tenant, caplog: pytest.LogCaptureFixture
                                        ) -> None:
    logger = logging.getLogger("doorpost.access")
    logger.addHandler(caplog.handler)

    def lines() -> list[dict[str, Any]]:
        return [json.loads(rec.getMessage()) for rec in caplog.records
                if rec.name == "doorpost.access"]
    try:
        r = tenant.post("/Users", user_body("log@example.com"), headers={"X-Request-Id": "abc-1"})
        assert r.headers["x-request-id"] == "abc-1"
        made = tenant.client.get(f"/Users/{r.json()['id']}", headers={"X-Request-Id": "bad id!"})
        assert len(made.headers["x-request-id"]) == 32  # not a sane id: one of ours instead
        # the line is written once the response has gone out: wait for it
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and not any(
                line["request_id"] == made.headers["x-request-id"] for line in lines()):
            time.sleep(0.02)
    finally:
        logger.removeHandler(caplog.handler)
    logged = lines()
    first = next(line for line in logged if line["request_id"] == "abc-1")
    assert first["route"] == "/scim/v2/Users" and first["status"] == 201
    assert first["org"] == tenant.org.slug and first["token_id"] == tenant.token.record.id
    second = next(line for line in logged if line["request_id"] == made.headers["x-request-id"])
    assert second["route"] == "/scim/v2/Users/{id}"
    assert all(tenant.token.token not in json.dumps(line) for line in logged)
