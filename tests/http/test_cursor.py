"""RFC 9865 cursor pagination: complete, stable walks both ways; cursors that cannot be forged,
moved to another query or organization, or used after they expire."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from doorpost.scim import cursor as cursors
from tests.conftest import Tenant, user_body


@pytest.fixture
def ids(tenant: Tenant) -> list[str]:
    return [tenant.post("/Users", user_body(f"c{i:02}@example.com")).json()["id"]
            for i in range(11)]


def walk(tenant: Tenant, **params: Any) -> tuple[list[str], list[dict[str, Any]]]:
    seen: list[str] = []
    pages: list[dict[str, Any]] = []
    cursor = ""
    while True:
        r = tenant.client.get("/Users", params={**params, "cursor": cursor, "count": 4})
        assert r.status_code == 200, r.text
        page = r.json()
        pages.append(page)
        assert "startIndex" not in page and page["itemsPerPage"] == len(page["Resources"])
        seen += [u["id"] for u in page["Resources"]]
        if "nextCursor" not in page:
            return seen, pages
        cursor = page["nextCursor"]


def test_forward_walk_is_complete_and_ordered(tenant: Tenant, ids: list[str]) -> None:
    seen, pages = walk(tenant)
    assert seen == ids
    assert [len(p["Resources"]) for p in pages] == [4, 4, 3]
    assert all("totalResults" not in p for p in pages)  # RFC 9865: cursor pages do not count
    assert "previousCursor" not in pages[0] and "previousCursor" in pages[1]


def test_previous_cursor_walks_back(tenant: Tenant, ids: list[str]) -> None:
    _, pages = walk(tenant)
    back = tenant.client.get("/Users", params={"cursor": pages[2]["previousCursor"],
                                               "count": 4}).json()
    assert [u["id"] for u in back["Resources"]] == ids[4:8]
    first = tenant.client.get("/Users", params={"cursor": back["previousCursor"],
                                                "count": 4}).json()
    assert [u["id"] for u in first["Resources"]] == ids[:4]
    assert "previousCursor" not in first and "nextCursor" in first


def test_cursor_walk_with_filter_and_post_search(tenant: Tenant, ids: list[str]) -> None:
    seen, _ = walk(tenant, filter='userName sw "c0"')
    assert seen == ids[:10]
    body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
            "filter": 'userName sw "c1"', "cursor": "", "count": 1}
    page = tenant.post("/Users/.search", body).json()
    assert [u["id"] for u in page["Resources"]] == [ids[10]] and "nextCursor" not in page


def test_insertions_during_a_walk_do_not_repeat_rows(tenant: Tenant, ids: list[str]) -> None:
    first = tenant.client.get("/Users", params={"cursor": "", "count": 5}).json()
    tenant.post("/Users", user_body("late@example.com"))
    second = tenant.client.get("/Users", params={"cursor": first["nextCursor"],
                                                 "count": 100}).json()
    got = [u["id"] for u in first["Resources"] + second["Resources"]]
    assert got[:11] == ids and len(got) == 12 and len(set(got)) == 12


def _tamper(cursor: str) -> str:
    payload, mac = cursor.split(".")
    data = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    data["k"][1] = "someone-elses-id"
    forged = base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return f"{forged}.{mac}"


def test_forged_foreign_and_mismatched_cursors(tenant: Tenant, other_tenant: Tenant,
                                               ids: list[str]) -> None:
    page = tenant.client.get("/Users", params={"cursor": "", "count": 2}).json()
    good = page["nextCursor"]
    for bad in ("garbage", "a.b", _tamper(good)):
        r = tenant.client.get("/Users", params={"cursor": bad})
        assert r.status_code == 400 and r.json()["scimType"] == "invalidCursor", bad
    theirs = other_tenant.client.get("/Users", params={"cursor": good})
    assert theirs.status_code == 400 and theirs.json()["scimType"] == "invalidCursor"
    other_query = tenant.client.get("/Users", params={"cursor": good, "filter": "title pr"})
    assert other_query.json()["scimType"] == "invalidCursor"
    other_type = tenant.client.get("/Groups", params={"cursor": good})
    assert other_type.json()["scimType"] == "invalidCursor"
    both = tenant.client.get("/Users", params={"cursor": "", "startIndex": 2})
    assert both.status_code == 400 and both.json()["scimType"] == "invalidValue"


def test_expired_cursor(tenant: Tenant, ids: list[str]) -> None:
    key = bytes.fromhex(tenant.orgs.get(tenant.org.slug).cursor_key)
    old = cursors.encode(key, cursors.fingerprint("User", None),
                         cursors.Position((0, ""), True), now_s=1_000)
    r = tenant.client.get("/Users", params={"cursor": old})
    assert r.status_code == 400 and r.json()["scimType"] == "expiredCursor"


def test_pagination_is_advertised(tenant: Tenant, server: Any) -> None:
    spc = tenant.client.get("/ServiceProviderConfig").json()
    limits = server.settings.limits
    assert spc["pagination"] == {"cursor": True, "index": True,
                                 "defaultPaginationMethod": "index",
                                 "defaultPageSize": limits.default_page_size,
                                 "maxPageSize": limits.max_page_size,
                                 "cursorTimeout": limits.cursor_timeout_s}
