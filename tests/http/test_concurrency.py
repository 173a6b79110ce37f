"""Parallel requests, as Entra sends them: no lost membership updates, no 'database is
locked', and a racing duplicate create is a clean 409, on both backends."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import GROUP_URN, Tenant, user_body

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def test_parallel_member_adds_to_one_group(tenant: Tenant) -> None:
    ids = [tenant.post("/Users", user_body(f"par{i}@example.com")).json()["id"]
           for i in range(60)]
    gid = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Busy"}).json()["id"]
    headers = dict(tenant.client.headers)

    def add(user_id: str) -> int:
        with httpx.Client(base_url=tenant.base, headers=headers, timeout=60) as c:
            return c.patch(f"/Groups/{gid}", json={"schemas": [PATCH_OP], "Operations": [
                {"op": "Add", "path": "members", "value": [{"value": user_id}]}]}).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(add, ids))
    assert statuses == [204] * 60
    group = tenant.client.get(f"/Groups/{gid}").json()
    assert sorted(m["value"] for m in group["members"]) == sorted(ids)
    assert group["meta"]["version"] == 'W/"61"'  # one version per effective change


def test_racing_creates_of_one_user_name(tenant: Tenant) -> None:
    headers = dict(tenant.client.headers)

    def create(_: int) -> int:
        with httpx.Client(base_url=tenant.base, headers=headers, timeout=60) as c:
            return c.post("/Users", json=user_body("race@example.com")).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = sorted(pool.map(create, range(16)))
    assert statuses == [201] + [409] * 15
    assert tenant.client.get("/Users", params={"filter": 'userName eq "race@example.com"'}
                             ).json()["totalResults"] == 1
