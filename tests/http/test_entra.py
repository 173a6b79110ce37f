"""Microsoft Entra ID's request sequences (shared/reference/entra-id-wire-notes.md), replayed
against a live server on both backends: Test Connection, the provisioning cycle in both PATCH
styles, manager forms, soft delete / re-enable / hard delete, groups, and the activity record.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from doorpost.service.access import Doors
from doorpost.service.activity import recent_activity
from doorpost.store.database import Database
from tests.conftest import ENTERPRISE_URN, LiveServer, Tenant

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
MS_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
MANAGER = f"{ENTERPRISE_URN}:manager"


def entra_user(n: int) -> dict[str, Any]:
    """Microsoft's canonical create body (wire notes §2.4)."""
    return {
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE_URN],
        "externalId": f"0a21f0f2-8d2a-4f8e-bf98-7363c4aed4e{n}",
        "userName": f"Test_User_{n}@contoso.example",
        "active": True,
        "emails": [{"primary": True, "type": "work", "value": f"Test_User_{n}@contoso.example"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName",
                 "givenName": "givenName"},
        "roles": [],
    }


def ops(*items: dict[str, Any]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": list(items)}


def provision(tenant: Tenant, n: int) -> dict[str, Any]:
    """Entra's match-then-create pair."""
    body = entra_user(n)
    match = tenant.client.get(f"/Users?filter=userName+eq+%22{body['userName']}%22")
    assert match.status_code == 200 and match.json()["totalResults"] == 0
    r = tenant.post("/Users", body)
    assert r.status_code == 201, r.text
    return r.json()


def activity(db: Database, tenant: Tenant) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 5
    while True:
        rows = [r.to_json() for r in recent_activity(db, tenant.org.slug, 500)]
        if rows or time.monotonic() > deadline:
            return rows
        time.sleep(0.05)


def rules_seen(db: Database, tenant: Tenant, expected: set[str]) -> set[str]:
    deadline = time.monotonic() + 5
    seen: set[str] = set()
    while time.monotonic() < deadline:
        seen = {n["rule"] for r in activity(db, tenant) for n in r["notes"]}
        if expected <= seen:
            break
        time.sleep(0.05)
    return seen


# -- Test Connection ----------------------------------------------------------------------

def test_test_connection(tenant: Tenant, server: LiveServer) -> None:
    probe = f"/Users?filter=userName+eq+%22{uuid.uuid4()}%22"
    r = tenant.client.get(probe)
    assert r.status_code == 200
    assert r.json()["totalResults"] == 0 and r.json()["Resources"] == []
    g = tenant.client.get(f"/Groups?excludedAttributes=members&filter=displayName+eq+%22"
                          f"{uuid.uuid4()}%22")
    assert g.status_code == 200 and g.json()["totalResults"] == 0
    for auth in ({}, {"Authorization": "Bearer not-a-token"}):
        bad = httpx.get(server.scim_url + probe, headers=auth)
        assert bad.status_code == 401 and bad.json()["status"] == "401"
    flagged = httpx.get(f"{server.scim_url}/Users?aadOptscim062020&filter=userName+eq+%22x%22",
                        headers={"Authorization": f"Bearer {tenant.token.token}"})
    assert flagged.status_code == 200


# -- users: the default (no flag) style -------------------------------------------------

def test_initial_cycle_and_matching(tenant: Tenant) -> None:
    users = [provision(tenant, n) for n in range(3)]
    assert [u["userName"] for u in users] == [f"Test_User_{n}@contoso.example" for n in range(3)]
    assert "roles" not in users[0]  # an empty list is "unassigned"
    for query in ('userName eq "test_user_1@CONTOSO.example"',
                  f'externalId eq "{users[1]["externalId"]}"',
                  'emails[type eq "work"].value eq "Test_User_1@contoso.example"'):
        found = tenant.client.get("/Users", params={"filter": query}).json()
        assert [u["id"] for u in found["Resources"]] == [users[1]["id"]], query
    dup = tenant.post("/Users", entra_user(1))
    assert dup.status_code == 409 and dup.json()["scimType"] == "uniqueness"


def test_default_style_updates(db: Database, tenant: Tenant) -> None:
    user = provision(tenant, 0)
    boss = provision(tenant, 9)
    r = tenant.client.patch(f"/Users/{user['id']}", json=ops(
        {"op": "Replace", "path": "displayName", "value": "Pvlo"},
        {"op": "Replace", "path": 'emails[type eq "work"].value', "value": "upd@contoso.example"},
        {"op": "Replace", "path": "name.givenName", "value": "Gtfd"},
        {"op": "Replace", "path": "name.familyName", "value": "Pkqf"},
        {"op": "Replace", "path": "externalId", "value": "Eqpj"},
        {"op": "Replace", "path": f"{ENTERPRISE_URN}:employeeNumber", "value": "Eqpj"},
        {"op": "Add", "path": f"{ENTERPRISE_URN}:department", "value": "Retail"},
        {"op": "Add", "path": 'phoneNumbers[type eq "mobile"].value', "value": "555-555-5555"},
        {"op": "Replace", "path": 'phoneNumbers[type eq "work"].value', "value": "555-0100"},
        {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Redmond"},
        {"op": "Replace", "path": 'addresses[type eq "work"].streetAddress', "value": "1 Way"},
        {"op": "Add", "path": MANAGER, "value": boss["id"]},
    ))
    assert r.status_code == 200, r.text
    out = tenant.client.get(f"/Users/{user['id']}").json()
    assert r.json() == out
    assert out["displayName"] == "Pvlo" and out["externalId"] == "Eqpj"
    assert out["emails"] == [{"primary": True, "type": "work", "value": "upd@contoso.example"}]
    assert out["name"]["givenName"] == "Gtfd" and out["name"]["familyName"] == "Pkqf"
    assert out[ENTERPRISE_URN] == {"employeeNumber": "Eqpj", "department": "Retail",
                                   "manager": {"value": boss["id"]}}
    assert out["phoneNumbers"] == [{"type": "mobile", "value": "555-555-5555"},
                                   {"type": "work", "value": "555-0100"}]
    assert out["addresses"] == [{"type": "work", "locality": "Redmond", "streetAddress": "1 Way"}]
    seen = rules_seen(db, tenant, {"op-case", "manager-string", "create-on-unmatched-filter",
                                   "dialect-by-shape"})
    assert {"op-case", "manager-string", "create-on-unmatched-filter",
            "dialect-by-shape"} <= seen


def test_flag_style_updates(tenant: Tenant) -> None:
    user = provision(tenant, 0)
    r = tenant.client.patch(f"/Users/{user['id']}?aadOptscim062020", json=ops(
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "m@contoso.example"},
        {"op": "replace", "value": {"displayName": "Bjfe", "name.givenName": "Kkom",
                                    "name.familyName": "Unua", "externalId": "ext-7",
                                    f"{ENTERPRISE_URN}:employeeNumber": "Aklq"}},
        {"op": "add", "value": {"title": "Lead", "name.formatted": "Kkom Unua"}},
    ))
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["displayName"] == "Bjfe" and out["externalId"] == "ext-7" and out["title"] == "Lead"
    assert out["name"] == {"formatted": "Kkom Unua", "familyName": "Unua", "givenName": "Kkom"}
    assert out[ENTERPRISE_URN] == {"employeeNumber": "Aklq"}
    assert "name.givenName" not in out  # the classic bug: dotted keys stored literally
    assert out["emails"][0]["value"] == "m@contoso.example"
    r = tenant.client.patch(f"/Users/{user['id']}?aadOptscim062020", json=ops(
        {"op": "replace", "value": {"active": False, "userName": "renamed@contoso.example"}},
        {"op": "replace", "path": 'emails[type eq "work"].primary', "value": True}))
    assert r.status_code == 200 and r.json()["active"] is False
    assert r.json()["userName"] == "renamed@contoso.example"


@pytest.mark.parametrize("set_form", [
    lambda mid: {"op": "Add", "path": MANAGER, "value": mid},
    lambda mid: {"op": "replace", "path": MANAGER, "value": {"value": mid}},
    lambda mid: {"op": "Add", "path": "manager",
                 "value": [{"$ref": f"http://x/scim/Users/{mid}", "value": mid}]},
    lambda mid: {"op": "replace", "value": {MANAGER: mid}},
])
@pytest.mark.parametrize("clear_form", [
    {"op": "Replace", "path": MANAGER, "value": ""},
    {"op": "replace", "path": MANAGER, "value": None},
    {"op": "Remove", "path": MANAGER},
    {"op": "remove", "path": f'{MANAGER}[value eq "whatever"]'},
])
def test_manager_forms(tenant: Tenant, set_form: Any, clear_form: dict[str, Any]) -> None:
    user, boss = provision(tenant, 0), provision(tenant, 1)
    r = tenant.client.patch(f"/Users/{user['id']}", json=ops(set_form(boss["id"])))
    assert r.status_code == 200, r.text
    assert r.json()[ENTERPRISE_URN]["manager"] == {"value": boss["id"]}
    again = tenant.client.patch(f"/Users/{user['id']}", json=ops(set_form(boss["id"])))
    assert again.json()["meta"]["version"] == r.json()["meta"]["version"]  # no change, no bump
    r = tenant.client.patch(f"/Users/{user['id']}", json=ops(clear_form))
    assert r.status_code == 200, r.text
    assert ENTERPRISE_URN not in r.json()


# -- deprovisioning ----------------------------------------------------------------------

def test_soft_delete_reenable_and_hard_delete(db: Database, tenant: Tenant) -> None:
    user = provision(tenant, 0)
    group = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                                                MS_GROUP_URN],
                                    "displayName": "Door Access - HQ", "externalId": "g-1"}).json()
    tenant.client.patch(f"/Groups/{group['id']}", json=ops(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]}))
    doors = Doors(db)
    door = doors.create(tenant.org.slug, "HQ front door")
    doors.grant(tenant.org.slug, door.name, group["id"])
    assert doors.decide(tenant.org.slug, user["id"], door.id).allowed

    r = tenant.client.patch(f"/Users/{user['id']}", json=ops(
        {"op": "Replace", "path": "active", "value": "False"}))
    assert r.status_code == 200 and r.json()["active"] is False
    decision = doors.decide(tenant.org.slug, user["id"], door.id)
    assert not decision.allowed and "active: false" in decision.reason
    assert tenant.client.get(f"/Users/{user['id']}").json()["active"] is False
    for query in (f'userName eq "{user["userName"]}"', f'externalId eq "{user["externalId"]}"',
                  f'emails[type eq "work"].value eq "{user["userName"]}"'):
        found = tenant.client.get("/Users", params={"filter": query}).json()
        assert found["totalResults"] == 1 and found["Resources"][0]["active"] is False
    members = tenant.client.get(f"/Groups/{group['id']}").json()["members"]
    assert [m["value"] for m in members] == [user["id"]]  # memberships are kept

    r = tenant.client.patch(f"/Users/{user['id']}", json=ops(
        {"op": "Replace", "path": "active", "value": "True"}))
    assert r.json()["active"] is True
    assert doors.decide(tenant.org.slug, user["id"], door.id).allowed

    assert tenant.client.delete(f"/Users/{user['id']}").status_code == 204
    assert tenant.client.get(f"/Users/{user['id']}").status_code == 404
    assert tenant.client.delete(f"/Users/{user['id']}").status_code == 404
    assert not doors.decide(tenant.org.slug, user["id"], door.id).allowed
    again = tenant.post("/Users", entra_user(0))
    assert again.status_code == 201 and again.json()["id"] != user["id"]
    assert not doors.decide(tenant.org.slug, again.json()["id"], door.id).allowed


# -- groups ------------------------------------------------------------------------------

def test_group_lifecycle_both_styles(db: Database, tenant: Tenant) -> None:
    people = [provision(tenant, n)["id"] for n in range(4)]
    body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group", MS_GROUP_URN],
            "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159", "displayName": "displayName",
            "meta": {"resourceType": "Group"}}
    match = tenant.client.get("/Groups?excludedAttributes=members&filter=displayName+eq+"
                              "%22displayName%22")
    assert match.json()["totalResults"] == 0
    created = tenant.post("/Groups", body)
    assert created.status_code == 201, created.text
    gid = created.json()["id"]
    assert tenant.post("/Groups", body).status_code == 409
    path = f"/Groups/{gid}"

    def members() -> set[str]:
        return {m["value"] for m in tenant.client.get(path).json().get("members", [])}

    add_one = tenant.client.patch(path, json=ops(
        {"op": "Add", "path": "members", "value": [{"$ref": None, "value": people[0]}]}))
    assert add_one.status_code == 204 and add_one.content == b""
    tenant.client.patch(path, json=ops({"op": "Add", "path": "members", "value": [
        {"value": people[1]}, {"value": people[2]}, {"value": people[3]}]}))
    version = tenant.client.get(path).json()["meta"]["version"]
    tenant.client.patch(path, json=ops({"op": "Add", "path": "members",
                                        "value": [{"value": people[1]}]}))
    assert tenant.client.get(path).json()["meta"]["version"] == version  # idempotent re-add
    assert members() == set(people)

    r = tenant.client.patch(path, json=ops(
        {"op": "Remove", "path": "members", "value": [{"$ref": None, "value": people[0]}]}))
    assert r.status_code == 204
    assert members() == set(people[1:])  # only the listed member, never the whole group
    tenant.client.patch(path + "?aadOptscim062020", json=ops(
        {"op": "remove", "path": f'members[value eq "{people[1]}"]'}))
    assert members() == set(people[2:])

    tenant.client.patch(path, json=ops({"op": "Replace", "path": "displayName",
                                        "value": "Door Access - HQ"}))
    tenant.client.patch(path, json=ops({"op": "replace", "value": {"externalId": "new-ext"}}))
    got = tenant.client.get(path, params={"excludedAttributes": "members"}).json()
    assert got["displayName"] == "Door Access - HQ" and got["externalId"] == "new-ext"
    assert "members" not in got
    found = tenant.client.get("/Groups?excludedAttributes=members&filter=displayName+eq+"
                              "%22door+access+-+hq%22").json()
    assert found["totalResults"] == 1 and "members" not in found["Resources"][0]
    assert tenant.client.delete(path).status_code == 204
    assert tenant.client.get(path).status_code == 404
    seen = rules_seen(db, tenant, {"remove-with-value", "ignore-unknown-schema"})
    assert {"remove-with-value", "ignore-unknown-schema"} <= seen


def test_replace_members_depends_on_pinning(tenant: Tenant) -> None:
    people = [provision(tenant, n)["id"] for n in range(3)]
    gid = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                  "displayName": "All staff",
                                  "members": [{"value": p} for p in people[:2]]}).json()["id"]
    one_member = ops({"op": "replace", "path": "members", "value": [{"value": people[2]}]})

    def members() -> set[str]:
        return {m["value"] for m in tenant.client.get(f"/Groups/{gid}").json()["members"]}

    tenant.orgs.set_dialect(tenant.org.slug, "entra")
    tenant.client.patch(f"/Groups/{gid}", json=one_member)
    assert members() == set(people)  # pinned Entra: a one-member replace adds
    tenant.orgs.set_dialect(tenant.org.slug, None)
    tenant.client.patch(f"/Groups/{gid}", json=one_member)
    assert members() == {people[2]}  # detected / RFC: replace means replace


def test_activity_records_dialect_and_never_the_token(db: Database, tenant: Tenant) -> None:
    user = provision(tenant, 0)
    tenant.client.patch(f"/Users/{user['id']}?aadOptscim062020", json=ops(
        {"op": "replace", "path": "active", "value": False}))
    tenant.client.patch(f"/Users/{user['id']}", json=ops(
        {"op": "Replace", "path": "active", "value": "True"}))
    deadline = time.monotonic() + 5
    rows: list[dict[str, Any]] = []
    while time.monotonic() < deadline and len(rows) < 4:
        rows = activity(db, tenant)
        time.sleep(0.05)
    by_dialect = {r["dialect"] for r in rows}
    assert "entra (flag)" in by_dialect and "entra (shape)" in by_dialect
    assert "rfc (default)" in by_dialect
    patch_rows = [r for r in rows if r["method"] == "PATCH" and r["dialect"] == "entra (shape)"]
    assert {n["rule"] for n in patch_rows[0]["notes"]} >= {"op-case", "boolean-string"}
    assert all(r["resource_id"] == user["id"] for r in rows if r["method"] == "PATCH")
    assert tenant.token.token not in repr(rows)
    assert all(r["token_id"] == tenant.token.record.id for r in rows)
