"""The provisioning semantics, one defect class per test: each of these failed on the code
before the fix it guards (issue "Fail closed and read exactly"), over real HTTP, on SQLite
and PostgreSQL."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from doorpost.service.access import Doors
from doorpost.service.directory_view import DirectoryView
from doorpost.store import tables as t
from doorpost.store.database import Database
from tests.conftest import ENTERPRISE_URN, GROUP_URN, USER_URN, Tenant, group_body, user_body


def _door_for(tenant: Tenant, db: Database, user_id: str) -> tuple[Doors, str]:
    g = tenant.post("/Groups", group_body("Door group", [user_id])).json()
    doors = Doors(db)
    door = doors.create(tenant.org.slug, "Front")
    doors.grant(tenant.org.slug, door.id, g["id"])
    return doors, door.id


# -- 1. deprovisioning fails closed ---------------------------------------------------------
@pytest.mark.parametrize("reopen", ["remove", "put-without-active"])
def test_a_deactivated_user_stays_out(tenant: Tenant, db: Database, reopen: str) -> None:
    u = tenant.post("/Users", user_body("gone@example.com")).json()
    doors, door = _door_for(tenant, db, u["id"])
    assert doors.decide(tenant.org.slug, u["id"], door).allowed
    tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": False})
    if reopen == "remove":
        r = tenant.patch(f"/Users/{u['id']}", {"op": "remove", "path": "active"})
        assert "active" not in r.json()
    else:
        body = user_body("gone@example.com")
        del body["active"]
        r = tenant.client.put(f"/Users/{u['id']}", json=body)
        assert r.json()["active"] is False  # a PUT without `active` keeps what is stored
    assert not doors.decide(tenant.org.slug, u["id"], door).allowed
    tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": True})
    assert doors.decide(tenant.org.slug, u["id"], door).allowed  # only `true` reopens


def test_put_without_active_keeps_an_active_user_in(tenant: Tenant, db: Database) -> None:
    u = tenant.post("/Users", user_body("stays@example.com")).json()
    doors, door = _door_for(tenant, db, u["id"])
    body = user_body("stays@example.com", title="New title")
    del body["active"]
    assert tenant.client.put(f"/Users/{u['id']}", json=body).json()["active"] is True
    assert doors.decide(tenant.org.slug, u["id"], door).allowed


def test_the_console_shows_the_access_rule(tenant: Tenant, db: Database) -> None:
    u = tenant.post("/Users", user_body("console@example.com")).json()
    tenant.patch(f"/Users/{u['id']}", {"op": "remove", "path": "active"})
    view = DirectoryView(db)
    found = view.member(tenant.org.id, u["id"])
    assert found is not None and found[0].active is False
    _, active = view.members(tenant.org.id, status="active")
    _, suspended = view.members(tenant.org.id, status="suspended")
    assert u["id"] not in {m.id for m in active} and u["id"] in {m.id for m in suspended}


# -- 2. an empty removal list removes nobody ------------------------------------------------
@pytest.mark.parametrize("value", [[], None])
def test_remove_with_an_empty_value_removes_no_member(tenant: Tenant, value: Any) -> None:
    ids = [tenant.post("/Users", user_body(f"m{i}@example.com")).json()["id"] for i in range(3)]
    g = tenant.post("/Groups", group_body("Keep", ids)).json()
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "remove", "path": "members", "value": value})
    assert r.status_code == 204
    members = tenant.client.get(f"/Groups/{g['id']}").json()["members"]
    assert {m["value"] for m in members} == set(ids)


def test_remove_with_an_empty_value_removes_no_email(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("e@example.com")).json()
    r = tenant.patch(f"/Users/{u['id']}", {"op": "remove", "path": "emails", "value": []})
    assert r.json()["emails"] == u["emails"]


# -- 3. passwords are hashed by origin ------------------------------------------------------
def _stored_password(db: Database, user_id: str) -> Any:
    with db.read() as conn:
        doc = conn.execute(sa.select(t.users.c.doc).where(t.users.c.id == user_id)).scalar_one()
    return doc.get("password")


def test_a_password_that_looks_hashed_is_still_hashed(tenant: Tenant, db: Database) -> None:
    u = tenant.post("/Users", user_body("pw@example.com", password="scrypt$MyS3cret!")).json()
    stored = _stored_password(db, u["id"])
    assert stored != "scrypt$MyS3cret!" and stored.startswith("scrypt$")
    r = tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "password",
                                           "value": "scrypt$Other!"})
    assert r.status_code == 200
    patched = _stored_password(db, u["id"])
    assert patched not in ("scrypt$Other!", stored)
    # an unrelated PATCH keeps the digest, and a no-op keeps the version
    before = tenant.client.get(f"/Users/{u['id']}").headers["etag"]
    r = tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "userName",
                                           "value": "pw@example.com"})
    assert r.headers["etag"] == before and _stored_password(db, u["id"]) == patched
    tenant.patch(f"/Users/{u['id']}", {"op": "remove", "path": "password"})
    assert _stored_password(db, u["id"]) is None


# -- 4. license and SSO are checked on every request ----------------------------------------
@pytest.mark.parametrize("revoke", ["license", "sso"])
def test_revoking_license_or_sso_stops_scim(tenant: Tenant, revoke: str) -> None:
    u = tenant.post("/Users", user_body("kept@example.com")).json()
    assert tenant.client.get("/Users").status_code == 200
    setter = tenant.orgs.set_license if revoke == "license" else tenant.orgs.set_sso_configured
    setter(tenant.org.slug, False)
    r = tenant.client.get("/Users")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/scim+json")
    assert tenant.post("/Users", user_body("new@example.com")).status_code == 401
    setter(tenant.org.slug, True)
    assert tenant.client.get(f"/Users/{u['id']}").status_code == 200  # nothing was deleted


# -- 5. one text folding, the same on both databases ----------------------------------------
def test_case_insensitive_matching_is_unicode_everywhere(tenant: Tenant, db: Database) -> None:
    u = tenant.post("/Users", user_body("elodie@example.com", displayName="Élodie Straße",
                                        addresses=[{"locality": "ÖREBRO", "type": "work"}])
                    ).json()

    def ids(expr: str) -> set[str]:
        r = tenant.client.get("/Users", params={"filter": expr})
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["Resources"]}
    assert ids('displayName eq "élodie straße"') == {u["id"]}
    assert ids('displayName eq "ÉLODIE STRASSE"') == {u["id"]}  # full folding: ß ~ SS
    assert ids('displayName sw "e\u0301lo"') == {u["id"]}  # decomposed É
    assert ids('addresses[locality eq "örebro"]') == {u["id"]}
    assert ids('addresses.locality co "rebr"') == {u["id"]}
    # the PATCH value filter agrees with the SQL filter
    r = tenant.patch(f"/Users/{u['id']}", {"op": "replace",
                                           "path": 'addresses[locality eq "örebro"].region',
                                           "value": "Ö"})
    assert r.json()["addresses"][0]["region"] == "Ö"
    # uniqueness folds the same way
    tenant.post("/Users", user_body("STRASSE@example.com"))
    assert tenant.post("/Users", user_body("straße@example.com")).status_code == 409
    # and so does the console's search
    _, found = DirectoryView(db).members(tenant.org.id, search="ÉLODIE")
    assert [m.id for m in found] == [u["id"]]


# -- 6. times round-trip --------------------------------------------------------------------
def test_a_rendered_time_compares_equal_to_itself(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("time@example.com")).json()
    stamp = u["meta"]["lastModified"]
    assert len(stamp) == len("2026-12-01T21:00:00.123456Z")

    def ids(expr: str) -> set[str]:
        return {x["id"] for x in tenant.client.get("/Users", params={"filter": expr}
                                                    ).json()["Resources"]}
    assert u["id"] not in ids(f'meta.lastModified gt "{stamp}"')
    assert u["id"] in ids(f'meta.lastModified ge "{stamp}"')
    assert u["id"] in ids(f'meta.lastModified eq "{stamp}"')
    assert u["id"] in ids(f'meta.created eq "{u["meta"]["created"]}"')


# -- 7. the version follows the representation ----------------------------------------------
def test_versions_follow_members_and_groups(tenant: Tenant) -> None:
    a = tenant.post("/Users", user_body("a@example.com")).json()
    b = tenant.post("/Users", user_body("b@example.com")).json()
    g = tenant.post("/Groups", group_body("G", [a["id"], b["id"]])).json()

    def etag(path: str) -> str:
        return str(tenant.client.get(path).headers["etag"])
    group_tag, user_tag = etag(f"/Groups/{g['id']}"), etag(f"/Users/{a['id']}")
    assert tenant.client.delete(f"/Users/{b['id']}").status_code == 204
    assert etag(f"/Groups/{g['id']}") != group_tag  # B left the member list
    r = tenant.patch(f"/Groups/{g['id']}", {"op": "replace", "path": "displayName",
                                            "value": "G2"}, headers={"If-Match": group_tag})
    assert r.status_code == 412
    tenant.patch(f"/Groups/{g['id']}", {"op": "replace", "path": "displayName", "value": "G2"})
    assert etag(f"/Users/{a['id']}") != user_tag  # the group's name shows in A's groups
    user_tag, group_tag = etag(f"/Users/{a['id']}"), etag(f"/Groups/{g['id']}")
    tenant.patch(f"/Users/{a['id']}", {"op": "replace", "path": "displayName", "value": "Ann"})
    assert etag(f"/Groups/{g['id']}") != group_tag  # the member's display changed
    group_tag = etag(f"/Groups/{g['id']}")
    tenant.patch(f"/Groups/{g['id']}", {"op": "remove", "path": f'members[value eq "{a["id"]}"]'})
    assert etag(f"/Users/{a['id']}") != user_tag


def test_a_user_write_answers_with_its_groups(tenant: Tenant) -> None:
    """A PUT or PATCH of a user reads its groups with the locked row: the answer shows them,
    in their one order, exactly as a GET does afterwards."""
    u = tenant.post("/Users", user_body("member@example.com")).json()
    lone = tenant.post("/Users", user_body("lone@example.com")).json()
    for name in ("beta", "Alpha", "gamma"):
        tenant.post("/Groups", group_body(name, [u["id"]] if name != "gamma" else []))
    patched = tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "displayName",
                                                 "value": "M"})
    assert patched.status_code == 200
    assert [g["display"] for g in patched.json()["groups"]] == ["Alpha", "beta"]
    assert patched.json()["groups"] == tenant.client.get(f"/Users/{u['id']}").json()["groups"]
    put = tenant.client.put(f"/Users/{u['id']}", json=user_body("member@example.com",
                                                                  displayName="N"))
    assert put.status_code == 200 and put.json()["groups"] == patched.json()["groups"]
    alone = tenant.patch(f"/Users/{lone['id']}", {"op": "replace", "path": "displayName",
                                                  "value": "L"}).json()
    assert alone.get("groups", []) == []
    assert tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": "T"},
                        params={"attributes": "userName"}).json().get("groups") is None


def test_if_none_match_answers_304(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("cache@example.com")).json()
    tag = tenant.client.get(f"/Users/{u['id']}").headers["etag"]
    r = tenant.client.get(f"/Users/{u['id']}", headers={"If-None-Match": tag})
    assert r.status_code == 304 and r.content == b"" and r.headers["etag"] == tag
    tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": "T"})
    assert tenant.client.get(f"/Users/{u['id']}", headers={"If-None-Match": tag}
                             ).status_code == 200


# -- 8. one projection rule -----------------------------------------------------------------
def test_projection_with_schema_urns(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("p@example.com", **{
        "schemas": [USER_URN, ENTERPRISE_URN], ENTERPRISE_URN: {"department": "Ops"}})).json()
    g = tenant.post("/Groups", group_body("P", [u["id"]])).json()
    r = tenant.client.get(f"/Groups/{g['id']}", params={"attributes": GROUP_URN}).json()
    assert [m["value"] for m in r["members"]] == [u["id"]] and r["displayName"] == "P"
    r = tenant.client.get(f"/Users/{u['id']}", params={
        "attributes": f"emails.value,{ENTERPRISE_URN}"}).json()
    assert r["emails"] == [{"value": "p@example.com"}]
    assert r[ENTERPRISE_URN] == {"department": "Ops"} and "userName" not in r
    r = tenant.client.get(f"/Users/{u['id']}", params={"attributes": "noSuchAttribute"}).json()
    assert set(r) == {"schemas", "id"}
    r = tenant.client.get(f"/Users/{u['id']}", params={"excludedAttributes": "emails.value"})
    assert r.json()["emails"] == [{"type": "work", "primary": True}]
    r = tenant.client.get(f"/Users/{u['id']}", params={"excludedAttributes": ENTERPRISE_URN})
    assert ENTERPRISE_URN not in r.json() and ENTERPRISE_URN not in r.json()["schemas"]


# -- 9. one "same value" --------------------------------------------------------------------
def test_adding_an_existing_value_updates_it(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("same@example.com")).json()
    r = tenant.patch(f"/Users/{u['id']}", {"op": "add", "path": "emails", "value": [
        {"value": "SAME@example.com", "type": "work"}]})
    assert len(r.json()["emails"]) == 1
    r = tenant.patch(f"/Users/{u['id']}", {"op": "add", "path": "emails", "value": [
        {"value": "home@example.com", "type": "home", "primary": True}]})
    emails = r.json()["emails"]
    assert [e.get("primary") for e in emails] == [False, True]  # one primary, the new one


def test_replacing_several_selected_values_with_one_keeps_one(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("w@example.com", emails=[
        {"value": "w1@example.com", "type": "work", "primary": True},
        {"value": "w2@example.com", "type": "work"},
        {"value": "h@example.com", "type": "home"}])).json()
    r = tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": 'emails[type eq "work"]',
                                           "value": {"value": "w@example.com", "type": "work",
                                                     "primary": True}})
    assert r.status_code == 200, r.text
    assert r.json()["emails"] == [{"value": "w@example.com", "type": "work", "primary": True},
                                  {"value": "h@example.com", "type": "home"}]


def test_remove_by_value_uses_the_same_folding(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("x@example.com", emails=[
        {"value": "ÉLODIE.STRASSE@example.com", "type": "work"},
        {"value": "other@example.com", "type": "work"}])).json()
    r = tenant.patch(f"/Users/{u['id']}", {"op": "remove", "path": "emails",
                                           "value": [{"value": "élodie.straße@EXAMPLE.com"}]})
    assert [e["value"] for e in r.json()["emails"]] == ["other@example.com"]


# -- 10. filters ----------------------------------------------------------------------------
def test_complex_presence_and_multi_valued_ne(tenant: Tenant) -> None:
    named = tenant.post("/Users", user_body("named@example.com")).json()
    bare = tenant.post("/Users", {"schemas": [USER_URN], "userName": "bare@example.com"}).json()

    def ids(expr: str) -> set[str]:
        r = tenant.client.get("/Users", params={"filter": expr})
        assert r.status_code == 200, r.text
        return {x["id"] for x in r.json()["Resources"]}
    assert ids("name pr") == {named["id"]}
    assert ids("emails pr") == {named["id"]}
    assert ids('emails.value ne "named@example.com"') == {bare["id"]}
    assert ids('emails.value ne "named@example.com"') == ids(
        'not (emails.value eq "named@example.com")')


# -- 11. sorting ----------------------------------------------------------------------------
def test_sorting_unassigned_last_multi_valued_and_errors(tenant: Tenant) -> None:
    for name, title in (("s1@example.com", "b"), ("s2@example.com", None),
                        ("s3@example.com", "A")):
        extra = {"title": title} if title else {}
        tenant.post("/Users", user_body(name, **extra))

    def order(**params: str) -> list[str]:
        r = tenant.client.get("/Users", params=params)
        assert r.status_code == 200, r.text
        return [u["userName"] for u in r.json()["Resources"]]
    assert order(sortBy="title") == ["s3@example.com", "s1@example.com", "s2@example.com"]
    assert order(sortBy="title", sortOrder="descending") == [
        "s2@example.com", "s1@example.com", "s3@example.com"]
    assert order(sortBy="emails") == ["s1@example.com", "s2@example.com", "s3@example.com"]
    assert order(sortBy="emails.value", sortOrder="descending")[0] == "s3@example.com"
    for bad in ("noSuch", "meta.location", "groups", "name", "password"):
        r = tenant.client.get("/Users", params={"sortBy": bad})
        assert r.status_code == 400 and r.json()["scimType"] == "invalidValue", bad


# -- 12. query parameters -------------------------------------------------------------------
def test_extreme_and_odd_query_parameters(tenant: Tenant) -> None:
    tenant.post("/Users", user_body("q@example.com"))
    r = tenant.client.get("/Users", params={"startIndex": "99999999999999999999999"})
    assert r.status_code == 200 and r.json()["Resources"] == [] if "Resources" in r.json() \
        else r.status_code == 200
    assert r.json()["totalResults"] == 1
    for bad in ("1.5", "abc", "１", "1_0"):
        r = tenant.client.get("/Users", params={"startIndex": bad})
        assert r.status_code == 400 and r.json()["scimType"] == "invalidValue", bad
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    r = tenant.post("/.search", {**search, "sortBy": "userName"})
    assert r.status_code == 200, r.text
    r = tenant.post("/.search", {**search, "cursor": ""})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


def test_root_search_sorts_across_types(tenant: Tenant) -> None:
    tenant.post("/Users", user_body("zed@example.com", displayName="Zed"))
    tenant.post("/Users", user_body("amy@example.com", displayName="amy"))
    tenant.post("/Groups", group_body("Mid"))
    search = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}
    r = tenant.post("/.search", {**search, "sortBy": "displayName"}).json()
    assert [x["displayName"] for x in r["Resources"]] == ["amy", "Mid", "Zed"]
    r = tenant.post("/.search", {**search, "sortBy": "userName", "count": 2,
                                 "startIndex": 2}).json()
    assert r["totalResults"] == 3
    assert [x.get("userName", x.get("displayName")) for x in r["Resources"]] == [
        "zed@example.com", "Mid"]  # the group has no userName: last


# -- 13. member display ---------------------------------------------------------------------
def test_member_display_is_accepted_and_derived(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("d@example.com", displayName="Dee")).json()
    g = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "D", "members": [
        {"value": u["id"], "display": "stale name"}]})
    assert g.status_code == 201, g.text
    assert g.json()["members"][0]["display"] == "Dee"
    tenant.patch(f"/Users/{u['id']}", {"op": "replace", "path": "displayName", "value": "Dana"})
    r = tenant.client.get(f"/Groups/{g.json()['id']}").json()
    assert r["members"] == [{"value": u["id"], "display": "Dana", "type": "User",
                             "$ref": f"{tenant.base}/Users/{u['id']}"}]


def test_write_responses_use_the_same_projection(tenant: Tenant) -> None:
    r = tenant.client.post("/Users", params={"attributes": "userName"},
                           json=user_body("proj@example.com"))
    assert r.status_code == 201 and set(r.json()) == {"schemas", "id", "userName"}
    r = tenant.client.put(f"/Users/{r.json()['id']}", params={"excludedAttributes": "emails"},
                          json=user_body("proj@example.com"))
    assert r.status_code == 200 and "emails" not in r.json() and "userName" in r.json()


def test_meta_is_always_present(tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("meta@example.com")).json()
    r = tenant.client.get("/Users", params={"filter": "meta pr"}).json()
    assert u["id"] in {x["id"] for x in r["Resources"]}
