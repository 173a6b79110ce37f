"""Groups over HTTP: lifecycle, membership deltas, uniqueness, cross-organization refusals."""

from __future__ import annotations

import pytest

from tests.conftest import GROUP_URN, Tenant, group_body, user_body


@pytest.fixture
def people(tenant: Tenant) -> list[str]:
    return [tenant.post("/Users", user_body(f"p{i}@example.com")).json()["id"] for i in range(4)]


def members_of(tenant: Tenant, group_id: str) -> set[str]:
    body = tenant.client.get(f"/Groups/{group_id}").json()
    return {m["value"] for m in body.get("members", [])}


def test_group_lifecycle(tenant: Tenant, people: list[str]) -> None:
    r = tenant.post("/Groups", group_body("Door Access - HQ", people[:2], externalId="e-9"))
    assert r.status_code == 201, r.text
    g = r.json()
    assert r.headers["location"] == f"{tenant.base}/Groups/{g['id']}"
    assert g["externalId"] == "e-9"
    assert {m["value"] for m in g["members"]} == set(people[:2])
    assert all(m["type"] == "User" and m["$ref"].endswith(m["value"]) for m in g["members"])
    got = tenant.client.get(f"/Groups/{g['id']}")
    assert got.status_code == 200 and got.headers["etag"] == g["meta"]["version"]
    assert tenant.client.delete(f"/Groups/{g['id']}").status_code == 204
    assert tenant.client.get(f"/Groups/{g['id']}").status_code == 404
    user = tenant.client.get(f"/Users/{people[0]}").json()
    assert "groups" not in user  # users outlive their groups


def test_patch_add_and_remove_members_is_a_delta(tenant: Tenant, people: list[str]) -> None:
    g = tenant.post("/Groups", group_body("Lab", people[:2])).json()
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "add", "path": "members",
                                            "value": [{"value": people[2]}]})
    assert r.status_code == 204 and r.content == b""
    assert members_of(tenant, g["id"]) == set(people[:3])
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "remove",
                                            "path": f'members[value eq "{people[0]}"]'})
    assert r.status_code == 204
    assert members_of(tenant, g["id"]) == set(people[1:3])


def test_remove_members_with_value_removes_only_listed(tenant: Tenant, people: list[str]) -> None:
    g = tenant.post("/Groups", group_body("Vault", people)).json()
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "remove", "path": "members",
                                            "value": [{"value": people[1]}]})
    assert r.status_code == 204
    assert members_of(tenant, g["id"]) == {people[0], people[2], people[3]}


def test_remove_members_without_value_removes_all(tenant: Tenant, people: list[str]) -> None:
    g = tenant.post("/Groups", group_body("Temp", people)).json()
    assert tenant.patch(f"/Groups/{g['id']}", {"op": "remove", "path": "members"}
                        ).status_code == 204
    assert members_of(tenant, g["id"]) == set()


def test_replace_members_replaces_the_whole_list(tenant: Tenant, people: list[str]) -> None:
    g = tenant.post("/Groups", group_body("Roof", people[:3])).json()
    tenant.patch(f"/Groups/{g['id']}", {"op": "replace", "path": "members",
                                        "value": [{"value": people[3]}]})
    assert members_of(tenant, g["id"]) == {people[3]}


def test_idempotent_membership_changes_do_not_bump_version(tenant: Tenant,
                                                           people: list[str]) -> None:
    g = tenant.post("/Groups", group_body("Garage", people[:1])).json()
    v1 = g["meta"]["version"]
    tenant.patch(f"/Groups/{g['id']}", {"op": "add", "path": "members",
                                        "value": [{"value": people[0]}]})
    tenant.patch(f"/Groups/{g['id']}", {"op": "remove",
                                        "path": f'members[value eq "{people[3]}"]'})
    after = tenant.client.get(f"/Groups/{g['id']}").json()
    assert after["meta"]["version"] == v1
    assert after["meta"]["lastModified"] == g["meta"]["lastModified"]
    tenant.patch(f"/Groups/{g['id']}", {"op": "add", "path": "members",
                                        "value": [{"value": people[1]}]})
    assert tenant.client.get(f"/Groups/{g['id']}").json()["meta"]["version"] != v1


def test_patch_display_name_and_attributes_param_returns_body(tenant: Tenant) -> None:
    g = tenant.post("/Groups", group_body("Old")).json()
    r = tenant.patch(f"/Groups/{g['id']}?attributes=displayName",
                     {"op": "replace", "path": "displayName", "value": "New"})
    assert r.status_code == 200
    assert r.json()["displayName"] == "New" and "members" not in r.json()


def test_display_name_unique_case_insensitively(tenant: Tenant) -> None:
    assert tenant.post("/Groups", group_body("Front Desk")).status_code == 201
    r = tenant.post("/Groups", group_body("FRONT DESK"))
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"
    other = tenant.post("/Groups", group_body("Back Desk")).json()
    r = tenant.patch(f"/Groups/{other['id']}", {"op": "replace", "path": "displayName",
                                                "value": "front desk"})
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"


def test_put_replaces_members_and_attributes(tenant: Tenant, people: list[str]) -> None:
    g = tenant.post("/Groups", group_body("Dock", people[:2], externalId="x")).json()
    r = tenant.client.put(f"/Groups/{g['id']}", json=group_body("Dock 2", people[1:3]))
    assert r.status_code == 200, r.text
    assert r.json()["displayName"] == "Dock 2" and "externalId" not in r.json()
    assert members_of(tenant, g["id"]) == set(people[1:3])


@pytest.mark.parametrize("member", ["no-such-user", None])
def test_unknown_member_is_refused_and_nothing_written(tenant: Tenant, people: list[str],
                                                       member: str | None) -> None:
    g = tenant.post("/Groups", group_body("Strict", people[:1])).json()
    value = [{"value": people[1]}, {"value": member}] if member else [{"nope": 1}]
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": value},
                     {"op": "replace", "path": "displayName", "value": "Changed"})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    after = tenant.client.get(f"/Groups/{g['id']}").json()
    assert after["displayName"] == "Strict"
    assert members_of(tenant, g["id"]) == {people[0]}
    create = tenant.post("/Groups", group_body("Bad", [people[0], "no-such-user"]))
    assert create.status_code == 400
    assert tenant.client.get("/Groups", params={"filter": 'displayName eq "Bad"'}
                             ).json()["totalResults"] == 0


def test_groups_as_members_are_refused(tenant: Tenant) -> None:
    inner = tenant.post("/Groups", group_body("Inner")).json()
    r = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Outer",
                                "members": [{"value": inner["id"], "type": "Group"}]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


def test_foreign_users_cannot_be_members(tenant: Tenant, other_tenant: Tenant) -> None:
    theirs = other_tenant.post("/Users", user_body("theirs@example.com")).json()
    g = tenant.post("/Groups", group_body("Mine")).json()
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "add", "path": "members",
                                            "value": [{"value": theirs["id"]}]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    assert members_of(tenant, g["id"]) == set()


def test_excluded_members(tenant: Tenant, people: list[str]) -> None:
    g = tenant.post("/Groups", group_body("Quiet", people)).json()
    got = tenant.client.get(f"/Groups/{g['id']}", params={"excludedAttributes": "members"})
    assert "members" not in got.json() and got.json()["displayName"] == "Quiet"
    listed = tenant.client.get("/Groups", params={"excludedAttributes": "members",
                                                  "filter": 'displayName eq "quiet"'}).json()
    assert listed["totalResults"] == 1 and "members" not in listed["Resources"][0]


def test_member_filter_on_groups(tenant: Tenant, people: list[str]) -> None:
    a = tenant.post("/Groups", group_body("A", people[:2])).json()
    tenant.post("/Groups", group_body("B", people[2:]))
    r = tenant.client.get("/Groups", params={"filter": f'members[value eq "{people[0]}"]'})
    assert [g["id"] for g in r.json()["Resources"]] == [a["id"]]
    r = tenant.client.get("/Users", params={"filter": f'groups.value eq "{a["id"]}"'})
    assert {u["id"] for u in r.json()["Resources"]} == set(people[:2])

