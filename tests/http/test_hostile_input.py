"""Input PostgreSQL cannot store (NUL characters) and other hostile shapes get clear 4xx
answers, never a 500, on both backends."""

from __future__ import annotations

import pytest

from tests.conftest import Tenant, user_body


@pytest.mark.parametrize("body", [
    user_body("nul\u0000@example.com"),
    user_body("ok@example.com", title="a\u0000b"),
    user_body("ok@example.com", emails=[{"value": "x\u0000@y", "type": "work"}]),
])
def test_nul_characters_in_values(tenant: Tenant, body: dict[str, object]) -> None:
    r = tenant.post("/Users", body)
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue", r.text
    assert tenant.client.get("/Users").json()["totalResults"] == 0


def test_nul_characters_in_filters_paths_and_ids(tenant: Tenant) -> None:
    r = tenant.client.get("/Users", params={"filter": 'userName eq "a\u0000b"'})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidFilter"
    assert tenant.client.get("/Users/abc%00def").status_code == 404
    u = tenant.post("/Users", user_body("p@example.com")).json()
    r = tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": "x\u0000"})
    assert r.status_code == 400


def test_nul_in_member_ids(tenant: Tenant) -> None:
    g = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                "displayName": "G"}).json()
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "add", "path": "members",
                                            "value": [{"value": "a\u0000b"}]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


def test_deeply_nested_json_is_400(tenant: Tenant) -> None:
    body = b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"d@x","a":' \
        + b"[" * 5000 + b"]" * 5000 + b"}"
    r = tenant.client.post("/Users", content=body,
                           headers={"Content-Type": "application/scim+json"})
    assert r.status_code == 400
