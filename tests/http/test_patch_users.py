"""User PATCH over HTTP (RFC 7644 §3.5.2): paths of every form, atomicity, no-op versions."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENTERPRISE_URN, Tenant, user_body


@pytest.fixture
def user(tenant: Tenant) -> dict[str, Any]:
    body = user_body("pat@example.com", title="Engineer")
    body["emails"] = [{"value": "pat@example.com", "type": "work", "primary": True},
                      {"value": "pat@home.example", "type": "home"}]
    return tenant.post("/Users", body).json()


def patched(tenant: Tenant, user: dict[str, Any], *ops: dict[str, Any]) -> dict[str, Any]:
    r = tenant.patch(f"/Users/{user['id']}", *ops)
    assert r.status_code == 200, r.text
    assert r.json() == tenant.client.get(f"/Users/{user['id']}").json()
    return r.json()


def test_replace_simple_and_sub_attribute(tenant: Tenant, user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "replace", "path": "title", "value": "Lead"},
                  {"op": "replace", "path": "name.givenName", "value": "Patricia"})
    assert out["title"] == "Lead"
    assert out["name"] == {"givenName": "Patricia", "familyName": "Family"}


def test_add_urn_qualified_extension_attribute(tenant: Tenant, user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "add", "path": f"{ENTERPRISE_URN}:department",
                                 "value": "Security"},
                  {"op": "add", "path": f"{ENTERPRISE_URN}:manager", "value": {"value": "m-1"}})
    assert out[ENTERPRISE_URN] == {"department": "Security", "manager": {"value": "m-1"}}
    out = patched(tenant, user, {"op": "remove", "path": f"{ENTERPRISE_URN}:department"},
                  {"op": "remove", "path": f"{ENTERPRISE_URN}:manager"})
    assert ENTERPRISE_URN not in out and ENTERPRISE_URN not in out["schemas"]


def test_value_filter_path_replaces_only_matching_element(tenant: Tenant,
                                                          user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "replace", "path": 'emails[type eq "work"].value',
                                 "value": "patricia@example.com"})
    assert out["emails"] == [
        {"value": "patricia@example.com", "type": "work", "primary": True},
        {"value": "pat@home.example", "type": "home"}]
    found = tenant.client.get("/Users", params={
        "filter": 'emails[type eq "work"].value eq "PATRICIA@example.com"'}).json()
    assert found["totalResults"] == 1


def test_value_filter_add_creates_missing_element(tenant: Tenant, user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "add", "path": 'phoneNumbers[type eq "mobile"].value',
                                 "value": "+1 555 0100"})
    assert out["phoneNumbers"] == [{"type": "mobile", "value": "+1 555 0100"}]


def test_replace_with_unmatched_filter_is_no_target(tenant: Tenant, user: dict[str, Any]) -> None:
    r = tenant.patch(f"/Users/{user['id']}",
                     {"op": "replace", "path": 'emails[type eq "other"].value', "value": "x@y"})
    assert r.status_code == 400 and r.json()["scimType"] == "noTarget"


def test_remove_filtered_element(tenant: Tenant, user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "remove", "path": 'emails[type eq "home"]'})
    assert out["emails"] == [{"value": "pat@example.com", "type": "work", "primary": True}]


def test_primary_true_clears_other_primaries(tenant: Tenant, user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "replace", "path": 'emails[type eq "home"].primary',
                                 "value": True})
    primaries = [e["value"] for e in out["emails"] if e.get("primary")]
    assert primaries == ["pat@home.example"]


def test_pathless_replace_and_add(tenant: Tenant, user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "replace", "value": {
        "displayName": "Pat", "name": {"familyName": "Smith"},
        ENTERPRISE_URN: {"employeeNumber": "7"}}})
    assert out["displayName"] == "Pat"
    assert out["name"] == {"givenName": "Given", "familyName": "Smith"}
    assert out[ENTERPRISE_URN] == {"employeeNumber": "7"}


def test_multi_valued_add_appends_and_replace_overwrites(tenant: Tenant,
                                                         user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "add", "path": "phoneNumbers",
                                 "value": [{"value": "1", "type": "work"}]},
                  {"op": "add", "path": "phoneNumbers", "value": [{"value": "2", "type": "home"}]})
    assert [p["value"] for p in out["phoneNumbers"]] == ["1", "2"]
    out = patched(tenant, user, {"op": "replace", "path": "phoneNumbers",
                                 "value": [{"value": "3"}]})
    assert out["phoneNumbers"] == [{"value": "3"}]
    out = patched(tenant, user, {"op": "remove", "path": "phoneNumbers"})
    assert "phoneNumbers" not in out


def test_patch_is_atomic(tenant: Tenant, user: dict[str, Any]) -> None:
    r = tenant.patch(f"/Users/{user['id']}",
                     {"op": "replace", "path": "title", "value": "Changed"},
                     {"op": "replace", "path": "active", "value": "maybe"})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    current = tenant.client.get(f"/Users/{user['id']}").json()
    assert current["title"] == "Engineer"
    assert current["meta"]["version"] == user["meta"]["version"]


def test_noop_patch_keeps_version_and_last_modified(tenant: Tenant, user: dict[str, Any]) -> None:
    out = patched(tenant, user, {"op": "replace", "path": "title", "value": "Engineer"},
                  {"op": "add", "path": "emails", "value": [
                      {"value": "pat@example.com", "type": "work", "primary": True}]})
    assert out["meta"]["version"] == user["meta"]["version"]
    assert out["meta"]["lastModified"] == user["meta"]["lastModified"]
    changed = patched(tenant, user, {"op": "replace", "path": "title", "value": "Lead"})
    assert changed["meta"]["version"] != user["meta"]["version"]


@pytest.mark.parametrize("op, scim_type", [
    ({"op": "replace", "path": "id", "value": "x"}, "mutability"),
    ({"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}, "mutability"),
    ({"op": "remove"}, "noTarget"),
    ({"op": "replace", "path": "nosuch", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "emails[type eq ]", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "name.nosuch", "value": "x"}, "invalidPath"),
    ({"op": "replace", "path": "title", "value": 5}, "invalidValue"),
    ({"op": "remove", "path": "userName"}, "invalidValue"),
    ({"op": "jump", "path": "title", "value": "x"}, "invalidSyntax"),
])
def test_bad_operations(tenant: Tenant, user: dict[str, Any], op: dict[str, Any],
                        scim_type: str) -> None:
    r = tenant.patch(f"/Users/{user['id']}", op)
    assert r.status_code == 400, r.text
    assert r.json()["scimType"] == scim_type
    assert tenant.client.get(f"/Users/{user['id']}").json()["meta"]["version"] == \
        user["meta"]["version"]


def test_patch_envelope_must_be_a_patch_op(tenant: Tenant, user: dict[str, Any]) -> None:
    r = tenant.client.patch(f"/Users/{user['id']}", json={"Operations": []})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidSyntax"
