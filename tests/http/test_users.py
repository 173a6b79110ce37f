"""Users over real HTTP, on SQLite and PostgreSQL: create, read, replace, patch, delete."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENTERPRISE_URN, USER_URN, Tenant, user_body

SCIM_JSON = "application/scim+json"


def test_create_returns_201_location_etag_and_meta(tenant: Tenant) -> None:
    r = tenant.post("/Users", user_body("alice@example.com", externalId="ext-1"))
    assert r.status_code == 201
    assert r.headers["content-type"].startswith(SCIM_JSON)
    body = r.json()
    assert r.headers["location"] == f"{tenant.base}/Users/{body['id']}"
    assert r.headers["etag"] == body["meta"]["version"]
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["location"] == r.headers["location"]
    assert body["meta"]["created"] == body["meta"]["lastModified"]
    assert body["userName"] == "alice@example.com"
    assert body["externalId"] == "ext-1"
    got = tenant.client.get(f"/Users/{body['id']}")
    assert got.status_code == 200 and got.json() == body
    assert got.headers["etag"] == body["meta"]["version"]


def test_client_id_meta_and_groups_are_ignored_on_create(tenant: Tenant) -> None:
    r = tenant.post("/Users", user_body("bob@example.com", id="client-chosen",
                                        meta={"resourceType": "User"},
                                        groups=[{"value": "x"}]))
    assert r.status_code == 201
    assert r.json()["id"] != "client-chosen"
    assert "groups" not in r.json()


def test_enterprise_extension_with_manager_round_trips(tenant: Tenant) -> None:
    boss = tenant.post("/Users", user_body("boss@example.com")).json()
    body = user_body("worker@example.com")
    body["schemas"] = [USER_URN, ENTERPRISE_URN]
    body[ENTERPRISE_URN] = {"employeeNumber": "42", "department": "Doors",
                            "manager": {"value": boss["id"]}}
    r = tenant.post("/Users", body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert ENTERPRISE_URN in out["schemas"]
    assert out[ENTERPRISE_URN] == {"employeeNumber": "42", "department": "Doors",
                                   "manager": {"value": boss["id"]}}


def test_attribute_names_and_schema_urns_are_case_insensitive(tenant: Tenant) -> None:
    body = {"schemas": [USER_URN.upper()], "USERNAME": "carol@example.com",
            "Name": {"GIVENNAME": "Carol"}, ENTERPRISE_URN.lower(): {"DEPARTMENT": "Ops"}}
    r = tenant.post("/Users", body)
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["userName"] == "carol@example.com"
    assert out["name"] == {"givenName": "Carol"}
    assert out[ENTERPRISE_URN] == {"department": "Ops"}


def test_password_is_accepted_but_never_returned(tenant: Tenant) -> None:
    r = tenant.post("/Users", user_body("pw@example.com", password="s3cret!"))
    assert r.status_code == 201
    assert "password" not in r.json()
    assert "password" not in tenant.client.get(f"/Users/{r.json()['id']}").json()
    bad = tenant.client.get("/Users", params={"filter": 'password eq "s3cret!"'})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"


def test_username_is_unique_case_insensitively(tenant: Tenant) -> None:
    assert tenant.post("/Users", user_body("Dave@Example.com")).status_code == 201
    r = tenant.post("/Users", user_body("dave@example.COM"))
    assert r.status_code == 409
    assert r.json()["scimType"] == "uniqueness"
    assert r.json()["status"] == "409"
    # the unique index alone refused it (no read first), and the answer still says which
    assert r.json()["detail"] == ("userName 'dave@example.COM' is already taken in this "
                                  "organization.")
    listed = tenant.client.get("/Users", params={"filter": 'userName eq "DAVE@example.com"'})
    assert listed.json()["totalResults"] == 1


@pytest.mark.parametrize("body, scim_type", [
    ({"schemas": [USER_URN]}, "invalidValue"),                                   # no userName
    ({"schemas": [USER_URN], "userName": 7}, "invalidValue"),                    # wrong type
    ({"schemas": [USER_URN], "userName": "x@e.com", "active": "yes"}, "invalidValue"),
    ({"schemas": [USER_URN], "userName": "x@e.com", "emails": "x@e.com"}, "invalidValue"),
    ({"schemas": [USER_URN], "userName": "x@e.com", "favouriteDoor": "A"}, "invalidValue"),
    ({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "userName": "x@e.com"},
     "invalidValue"),
    ({"schemas": [USER_URN], "userName": "x@e.com",
      "urn:example:unknown:1.0:User": {"a": 1}}, "invalidValue"),
    ({"schemas": [USER_URN], "userName": "x@e.com", "emails": [
        {"value": "a@e.com", "primary": True}, {"value": "b@e.com", "primary": True}]},
     "invalidValue"),
    (["not", "an", "object"], "invalidSyntax"),
])
def test_invalid_user_bodies_are_refused_and_nothing_is_written(
        tenant: Tenant, body: object, scim_type: str) -> None:
    r = tenant.post("/Users", body)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"].startswith(SCIM_JSON)
    assert r.json()["scimType"] == scim_type
    assert tenant.client.get("/Users").json()["totalResults"] == 0


def test_put_replaces_clears_omitted_and_ignores_read_only(tenant: Tenant) -> None:
    created = tenant.post("/Users", user_body("erin@example.com", title="Engineer",
                                              nickName="E")).json()
    replacement = {"schemas": [USER_URN], "userName": "erin@example.com", "title": "Lead",
                   "id": "ignored", "meta": {"version": "W/\"999\""}}
    r = tenant.client.put(f"/Users/{created['id']}", json=replacement)
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["id"] == created["id"]
    assert out["title"] == "Lead"
    assert "nickName" not in out and "emails" not in out and "name" not in out
    assert out["meta"]["created"] == created["meta"]["created"]
    assert out["meta"]["version"] != created["meta"]["version"]


def test_put_never_creates(tenant: Tenant) -> None:
    r = tenant.client.put("/Users/does-not-exist", json=user_body("ghost@example.com"))
    assert r.status_code == 404
    assert r.json()["status"] == "404"
    assert tenant.client.get("/Users").json()["totalResults"] == 0


def test_put_to_a_taken_username_is_409(tenant: Tenant) -> None:
    tenant.post("/Users", user_body("one@example.com"))
    two = tenant.post("/Users", user_body("two@example.com")).json()
    r = tenant.client.put(f"/Users/{two['id']}", json=user_body("ONE@example.com"))
    assert r.status_code == 409 and r.json()["scimType"] == "uniqueness"
    assert tenant.client.get(f"/Users/{two['id']}").json()["userName"] == "two@example.com"


def test_if_match_with_stale_version_is_412_and_writes_nothing(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("frank@example.com")).json()
    stale = u["meta"]["version"]
    ok = tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": "A"},
                      headers={"If-Match": stale})
    assert ok.status_code == 200
    for method, kw in [("PATCH", {"json": {"schemas": [
            "urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
            {"op": "replace", "path": "title", "value": "B"}]}}),
            ("PUT", {"json": user_body("frank@example.com", title="C")}),
            ("DELETE", {})]:
        r = tenant.client.request(method, f"/Users/{u['id']}", headers={"If-Match": stale}, **kw)
        assert r.status_code == 412, (method, r.text)
        assert r.headers["content-type"].startswith(SCIM_JSON)
    current = tenant.client.get(f"/Users/{u['id']}").json()
    assert current["title"] == "A"
    assert tenant.client.delete(f"/Users/{u['id']}",
                                headers={"If-Match": current["meta"]["version"]}).status_code == 204


def test_delete_then_404_everywhere_and_username_free(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("gone@example.com")).json()
    g = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                "displayName": "Lobby", "members": [{"value": u["id"]}]}).json()
    assert tenant.client.delete(f"/Users/{u['id']}").status_code == 204
    assert tenant.client.get(f"/Users/{u['id']}").status_code == 404
    assert tenant.client.put(f"/Users/{u['id']}", json=user_body("gone@example.com")
                             ).status_code == 404
    assert tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": "x"}
                        ).status_code == 404
    assert tenant.client.delete(f"/Users/{u['id']}").status_code == 404
    assert tenant.client.get("/Users", params={"filter": 'userName eq "gone@example.com"'}
                             ).json()["totalResults"] == 0
    assert "members" not in tenant.client.get(f"/Groups/{g['id']}").json()
    again = tenant.post("/Users", user_body("gone@example.com"))
    assert again.status_code == 201 and again.json()["id"] != u["id"]


def test_user_groups_is_derived_from_memberships(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("henry@example.com")).json()
    g = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                "displayName": "Engineering",
                                "members": [{"value": u["id"]}]}).json()
    groups = tenant.client.get(f"/Users/{u['id']}").json()["groups"]
    assert groups == [{"value": g["id"], "$ref": f"{tenant.base}/Groups/{g['id']}",
                       "display": "Engineering", "type": "direct"}]
    r = tenant.patch(f"/Users/{u['id']}", {"op": "add", "path": "groups",
                                           "value": [{"value": g["id"]}]})
    assert r.status_code == 400 and r.json()["scimType"] == "mutability"


def test_inactive_user_stays_readable_and_findable(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("ida@example.com")).json()
    r = tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert tenant.client.get(f"/Users/{u['id']}").json()["active"] is False
    found = tenant.client.get("/Users", params={"filter": 'userName eq "ida@example.com"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["active"] is False


def test_active_default_removal_and_filters_agree(tenant: Tenant, db: Any) -> None:
    from doorpost.service.access import Doors
    body = {"schemas": [USER_URN], "userName": "noactive@example.com"}
    u = tenant.post("/Users", body).json()
    assert u["active"] is True  # the server default, stored and shown
    r = tenant.patch(f"/Users/{u['id']}", {"op": "remove", "path": "active"})
    assert "active" not in r.json()
    for text, expected in (("active eq true", 0), ("active pr", 0), ("not (active pr)", 1),
                           ("active ne true", 1), ("active eq false", 0)):
        found = tenant.client.get("/Users", params={"filter": text}).json()["totalResults"]
        assert found == expected, text
    g = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                "displayName": "Side door", "members": [{"value": u["id"]}]}
                    ).json()
    doors = Doors(db)
    door = doors.create(tenant.org.slug, "Side")
    doors.grant(tenant.org.slug, door.id, g["id"])
    # Fails closed: only `active: true` opens a door, and unassigned is not true.
    decision = doors.decide(tenant.org.slug, u["id"], door.id)
    assert not decision.allowed and "unassigned" in decision.reason
    tenant.patch(f"/Users/{u['id']}", {"op": "add", "path": "active", "value": True})
    assert doors.decide(tenant.org.slug, u["id"], door.id).allowed


@pytest.mark.parametrize("field", ["userName", "externalId", "emails"])
def test_overlong_indexed_values_are_400_not_500(tenant: Tenant, field: str) -> None:
    import secrets
    long_value = secrets.token_hex(300)  # 600 random characters: no compression saves it
    body = user_body("long@example.com")
    if field == "emails":
        body["emails"] = [{"value": long_value, "type": "work"}]
    else:
        body[field] = long_value
    r = tenant.post("/Users", body)
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"
    assert "512 characters" in r.json()["detail"]
    g = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                "displayName": long_value})
    assert g.status_code == 400
