"""Rate limits under abuse: per organization, and per client address for wrong tokens, each a
SCIM 429 with `Retry-After`; counters shared through Redis when several workers run."""

from __future__ import annotations

import os
import uuid
from typing import Iterator

import httpx
import pytest

from doorpost.config import Settings
from doorpost.store.database import Database
from tests.conftest import LiveServer, make_tenant, serving

SCIM_JSON = "application/scim+json"
REDIS_URL = os.environ.get("DOORPOST_TEST_REDIS_URL", "redis://127.0.0.1:6379")


@pytest.fixture(scope="module")
def limited(database_url: str) -> Iterator[LiveServer]:
    with serving(Settings(database_url=database_url, pool_size=2,
                          rate_limit_org="8/minute", rate_limit_bad_token="4/minute")) as live:
        yield live


def _is_429(r: httpx.Response) -> None:
    assert r.status_code == 429, r.text
    assert r.headers["content-type"].startswith(SCIM_JSON)
    assert r.json()["status"] == "429"
    assert 1 <= int(r.headers["retry-after"]) <= 60


def test_an_organization_over_its_limit_gets_429_and_others_do_not(
        db: Database, limited: LiveServer) -> None:
    noisy, quiet = make_tenant(db, limited), make_tenant(db, limited)
    statuses = [noisy.client.get("/Users").status_code for _ in range(8)]
    assert statuses == [200] * 8
    _is_429(noisy.client.get("/Users"))
    _is_429(noisy.post("/Users", {"userName": "late@example.com"}))
    assert noisy.client.get("/Users", params={"filter": 'userName eq "late@example.com"'}
                            ).status_code == 429
    assert quiet.client.get("/Users").status_code == 200  # another organization's budget


def test_wrong_tokens_are_throttled_per_address_but_valid_tokens_still_pass(
        db: Database, limited: LiveServer) -> None:
    url = f"{limited.url}/scim/v2/Users"
    bad = {"Authorization": f"Bearer dp_scim_{uuid.uuid4().hex}"}
    statuses = [httpx.get(url, headers=bad).status_code for _ in range(4)]
    assert statuses == [401] * 4
    _is_429(httpx.get(url, headers=bad))
    _is_429(httpx.get(url))  # no token at all counts too
    good = make_tenant(db, limited)  # the same address: identity providers share theirs
    assert good.client.get("/Users").status_code == 200


def test_the_default_limit_is_far_above_entras_pace() -> None:
    settings = Settings.from_env({})
    count, _, per = settings.rate_limit_org.partition("/")
    assert per == "minute" and int(count) / 60 >= 4 * 25  # Entra's gallery bar: 25 req/s


def _redis_or_skip() -> None:
    import redis
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001 - any failure means "no Redis here"
        if os.environ.get("CI"):
            pytest.fail(f"Redis is expected under CI and unreachable: {exc}")
        pytest.skip(f"Redis unreachable at {REDIS_URL}: {exc}")


def test_workers_share_the_organization_budget_through_redis(database_url: str,
                                                             db: Database) -> None:
    """Two app instances (as two workers) with one Redis: the limit is the organization's,
    not each worker's."""
    _redis_or_skip()
    settings = Settings(database_url=database_url, pool_size=2, rate_limit_org="6/minute",
                        rate_limit_storage=REDIS_URL)
    with serving(settings) as first, serving(settings) as second:
        a, b = make_tenant(db, first), make_tenant(db, first)
        b_there = httpx.Client(base_url=second.scim_url, headers=dict(b.client.headers))
        a_there = httpx.Client(base_url=second.scim_url, headers=dict(a.client.headers))
        for _ in range(3):
            assert a.client.get("/Users").status_code == 200
            assert a_there.get("/Users").status_code == 200
        _is_429(a.client.get("/Users"))
        _is_429(a_there.get("/Users"))
        assert b_there.get("/Users").status_code == 200
