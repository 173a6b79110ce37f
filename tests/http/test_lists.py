"""Lists and searches: the full filter grammar executed in the database, paging, sorting,
attribute selection, and `invalidFilter` for anything the server cannot execute."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import ENTERPRISE_URN, USER_URN, Tenant

PEOPLE = [
    # userName, displayName, active, title, emails, employeeNumber
    ("ana@acme.example", "Ana", True, "Engineer", [("work", "ana@acme.example"),
                                                   ("home", "ana@home.example")], "100"),
    ("Ben@Acme.example", "Ben", False, "Manager", [("work", "ben@acme.example")], "200"),
    ("cy@other.example", "Cy", True, None, [("home", "cy@other.example")], None),
    ("dee_50%@acme.example", "Dee", True, "engineer", [], "300"),
]


@pytest.fixture
def directory(tenant: Tenant) -> dict[str, str]:
    ids = {}
    for user_name, display, active, title, emails, number in PEOPLE:
        body: dict[str, Any] = {"schemas": [USER_URN, ENTERPRISE_URN], "userName": user_name,
                                "displayName": display, "active": active}
        if title:
            body["title"] = title
        if emails:
            body["emails"] = [{"type": t, "value": v} for t, v in emails]
        if number:
            body[ENTERPRISE_URN] = {"employeeNumber": number}
        r = tenant.post("/Users", body)
        assert r.status_code == 201, r.text
        ids[display] = r.json()["id"]
    return ids


def names(tenant: Tenant, filter_: str, **params: Any) -> list[str]:
    r = tenant.client.get("/Users", params={"filter": filter_, **params})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["totalResults"] == len(body["Resources"])
    return sorted(u["displayName"] for u in body["Resources"])


@pytest.mark.parametrize("filter_, expected", [
    ('userName eq "BEN@acme.EXAMPLE"', ["Ben"]),
    ('userName ne "ana@acme.example"', ["Ben", "Cy", "Dee"]),
    ('userName co "ACME"', ["Ana", "Ben", "Dee"]),
    ('userName sw "an"', ["Ana"]),
    ('userName ew "other.example"', ["Cy"]),
    ('userName co "50%"', ["Dee"]),
    ('userName co "_"', ["Dee"]),
    ('userName gt "c"', ["Cy", "Dee"]),
    ('userName le "ben@acme.example"', ["Ana", "Ben"]),
    ('title pr', ["Ana", "Ben", "Dee"]),
    ('not (title pr)', ["Cy"]),
    ('title eq "ENGINEER"', ["Ana", "Dee"]),
    ('active eq false', ["Ben"]),
    ('active eq true and title pr', ["Ana", "Dee"]),
    ('active eq false or userName sw "cy"', ["Ben", "Cy"]),
    ('(active eq true or title eq "manager") and not (userName co "dee")', ["Ana", "Ben", "Cy"]),
    ('emails.value eq "ANA@HOME.EXAMPLE"', ["Ana"]),
    ('emails.type eq "home"', ["Ana", "Cy"]),
    ('emails[type eq "work" and value co "@acme"]', ["Ana", "Ben"]),
    ('emails[type eq "home" and value co "@acme"]', []),
    ('emails[type eq "work"].value eq "ben@acme.example"', ["Ben"]),
    ('emails pr', ["Ana", "Ben", "Cy"]),
    (f'{ENTERPRISE_URN}:employeeNumber eq "200"', ["Ben"]),
    (f'{ENTERPRISE_URN}:employeeNumber gt "150"', ["Ben", "Dee"]),
    ('meta.created gt "2000-01-01T00:00:00Z"', ["Ana", "Ben", "Cy", "Dee"]),
    ('meta.lastModified lt "2000-01-01T00:00:00Z"', []),
    ('USERNAME EQ "ana@acme.example"', ["Ana"]),
    (f'{USER_URN}:userName eq "ana@acme.example"', ["Ana"]),
    ('externalId pr', []),
])
def test_filters(tenant: Tenant, directory: dict[str, str], filter_: str,
                 expected: list[str]) -> None:
    assert names(tenant, filter_) == expected


def test_filter_by_id(tenant: Tenant, directory: dict[str, str]) -> None:
    assert names(tenant, f'id eq "{directory["Cy"]}"') == ["Cy"]


@pytest.mark.parametrize("filter_", [
    'userName eq',
    'userName zz "a"',
    'nosuch eq "a"',
    'active eq "true"',
    'active gt true',
    'meta.created eq "yesterday"',
    'emails[type eq "work"',
    'userName eq "a" and',
    '(userName eq "a"',
    'name co 5',
    'emails[value eq "a"][type eq "b"]',
    'userName eq "a" )',
])
def test_unexecutable_filters_are_400_invalid_filter(tenant: Tenant, directory: dict[str, str],
                                                     filter_: str) -> None:
    r = tenant.client.get("/Users", params={"filter": filter_})
    assert r.status_code == 400, (filter_, r.text)
    assert r.json()["scimType"] == "invalidFilter"
    assert r.headers["content-type"].startswith("application/scim+json")


def test_paging_total_and_clamping(tenant: Tenant, directory: dict[str, str]) -> None:
    page = tenant.client.get("/Users", params={"startIndex": 2, "count": 2}).json()
    assert page["totalResults"] == 4 and page["startIndex"] == 2
    assert page["itemsPerPage"] == 2 and len(page["Resources"]) == 2
    everything = tenant.client.get("/Users").json()["Resources"]
    assert [u["id"] for u in page["Resources"]] == [u["id"] for u in everything[1:3]]
    zero = tenant.client.get("/Users", params={"count": 0}).json()
    assert zero["totalResults"] == 4 and zero["Resources"] == []
    negative = tenant.client.get("/Users", params={"count": -5, "startIndex": -3}).json()
    assert negative["startIndex"] == 1 and negative["Resources"] == []
    beyond = tenant.client.get("/Users", params={"startIndex": 10}).json()
    assert beyond["totalResults"] == 4 and beyond["Resources"] == []
    bad = tenant.client.get("/Users", params={"count": "many"})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidValue"


def test_server_maximum_page_size(tenant: Tenant, directory: dict[str, str],
                                  server: Any) -> None:
    limit = server.settings.limits.max_page_size
    body = tenant.client.get("/Users", params={"count": limit + 50}).json()
    assert body["itemsPerPage"] <= limit
    spc = tenant.client.get("/ServiceProviderConfig").json()
    assert spc["filter"]["maxResults"] == limit


def test_sorting(tenant: Tenant, directory: dict[str, str]) -> None:
    def order(**params: Any) -> list[str]:
        return [u["displayName"] for u in tenant.client.get("/Users", params=params
                                                            ).json()["Resources"]]
    assert order(sortBy="userName") == ["Ana", "Ben", "Cy", "Dee"]
    assert order(sortBy="USERNAME", sortOrder="descending") == ["Dee", "Cy", "Ben", "Ana"]
    assert order(sortBy="displayName", count=2, startIndex=3) == ["Cy", "Dee"]
    # a multi-valued attribute sorts by its primary value, else its first (RFC 7644 §3.4.2.3)
    assert order(sortBy="emails")[0] == "Ana"
    bad = tenant.client.get("/Users", params={"sortBy": "groups"})
    assert bad.status_code == 400
    bad = tenant.client.get("/Users", params={"sortBy": "userName", "sortOrder": "sideways"})
    assert bad.status_code == 400


def test_attributes_and_excluded_attributes(tenant: Tenant, directory: dict[str, str]) -> None:
    r = tenant.client.get("/Users", params={"filter": 'userName eq "ana@acme.example"',
                                            "attributes": "userName,emails.value"}).json()
    assert r["Resources"][0] == {"schemas": [USER_URN], "id": directory["Ana"],
                                 "userName": "ana@acme.example",
                                 "emails": [{"value": "ana@acme.example"},
                                            {"value": "ana@home.example"}]}
    r = tenant.client.get(f"/Users/{directory['Ana']}",
                          params={"excludedAttributes": f"emails,title,{ENTERPRISE_URN}"}).json()
    assert "emails" not in r and "title" not in r and ENTERPRISE_URN not in r
    assert r["id"] == directory["Ana"] and r["userName"] == "ana@acme.example"
    r = tenant.client.get(f"/Users/{directory['Ana']}",
                          params={"attributes": f"{ENTERPRISE_URN}:employeeNumber"}).json()
    assert r[ENTERPRISE_URN] == {"employeeNumber": "100"} and "userName" not in r


def test_post_search_matches_get(tenant: Tenant, directory: dict[str, str]) -> None:
    query = {"filter": 'emails.type eq "work"', "sortBy": "userName", "startIndex": 1,
             "count": 10, "attributes": ["userName"]}
    searched = tenant.post("/Users/.search", {
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], **query})
    assert searched.status_code == 200
    got = tenant.client.get("/Users", params={**query, "attributes": "userName"})
    assert searched.json() == got.json()
    assert [u["userName"] for u in got.json()["Resources"]] == [
        "ana@acme.example", "Ben@Acme.example"]
    bad = tenant.post("/Users/.search", {"schemas": [
        "urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": "bad filter"})
    assert bad.status_code == 400 and bad.json()["scimType"] == "invalidFilter"
    assert tenant.client.get("/Users/.search").status_code == 405


def test_root_search_covers_users_and_groups(tenant: Tenant, directory: dict[str, str]) -> None:
    tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                            "displayName": "Ana's team"})
    r = tenant.post("/.search", {"schemas": [
        "urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "filter": 'displayName sw "ana"'})
    assert r.status_code == 200
    assert sorted(x["meta"]["resourceType"] for x in r.json()["Resources"]) == ["Group", "User"]


def test_empty_match_is_200_with_empty_list(tenant: Tenant) -> None:
    r = tenant.client.get("/Users?filter=userName+eq+%22cf4d78e8-cc4f-4d5d-b8b9-183561c0104a%22")
    assert r.status_code == 200
    assert r.json() == {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"],
                        "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}
