"""Query and console parameters, fuzzed with Hypothesis: never a 5xx, and every SCIM error
is a SCIM error body (`application/scim+json`, `status`, a `scimType` where RFC 7644 has one).

Bounded examples per run, so the suite stays fast; the strategies lean on the values that
broke servers before: huge and signed numbers, non-ASCII digits, NUL, schema URNs, attribute
paths with sub-attributes and filters, JSON of the wrong type in search bodies.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from doorpost.store.database import Database
from tests.conftest import ENTERPRISE_URN, GROUP_URN, USER_URN, LiveServer, Tenant, user_body
from tests.console.test_console_http import owner_for, sign_in

FUZZ = settings(max_examples=60, deadline=None, database=None, derandomize=True,
                suppress_health_check=list(HealthCheck))

NAMES = ["userName", "USERNAME", "emails", "emails.value", "emails.type", "name",
         "name.givenName", "groups", "members", "members.value", "meta", "meta.created",
         "meta.lastModified", "meta.location", "id", "externalId", "displayName", "active",
         "password", "addresses.locality", "phoneNumbers", USER_URN, GROUP_URN, ENTERPRISE_URN,
         f"{ENTERPRISE_URN}:manager.value", f"{ENTERPRISE_URN}:department", "x509Certificates",
         'emails[type eq "work"]', "nope", "", " ", ",", "urn:", "urn:x:y"]
NUMBERS = ["0", "1", "-1", "+5", "2", "99999999999999999999999", str(2**63), str(-(2**63) - 1),
           "1.5", "1e3", "abc", "１２", "1_0", " 7 ", "\x00", "٣"]

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)
name = st.one_of(st.sampled_from(NAMES), text)
names = st.lists(name, max_size=3).map(",".join)
number = st.one_of(st.sampled_from(NUMBERS), st.integers(-2**70, 2**70).map(str), text)

params = st.fixed_dictionaries({}, optional={
    "startIndex": number, "count": number, "sortBy": name,
    "sortOrder": st.one_of(st.sampled_from(["ascending", "descending", "DESCENDING", "up"]),
                           text),
    "attributes": names, "excludedAttributes": names, "cursor": st.one_of(text, st.just("")),
    "filter": st.sampled_from(['userName sw "a"', 'emails[type eq "work"]', "name pr",
                               'meta.lastModified gt "2020-01-01T00:00:00Z"', "bad filter"]),
})

json_value: Any = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2**70, 2**70), text,
              st.floats(allow_nan=False, allow_infinity=False)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(text, inner, max_size=3)),
    max_leaves=6)
search_body = st.fixed_dictionaries(
    {"schemas": st.just(["urn:ietf:params:scim:api:messages:2.0:SearchRequest"])},
    optional={"startIndex": st.one_of(st.integers(-2**70, 2**70), json_value),
              "count": st.one_of(st.integers(-2**70, 2**70), json_value),
              "sortBy": st.one_of(name, json_value), "sortOrder": json_value,
              "attributes": st.one_of(st.lists(name, max_size=3), json_value),
              "excludedAttributes": st.one_of(st.lists(name, max_size=3), json_value),
              "cursor": json_value, "filter": st.one_of(st.just("userName pr"), json_value)})


def assert_scim_answer(r: httpx.Response, what: Any) -> None:
    assert r.status_code < 500, (what, r.status_code, r.text[:300])
    if r.status_code >= 400:
        assert r.headers["content-type"].startswith("application/scim+json"), what
        body = r.json()
        assert body["status"] == str(r.status_code), what


@pytest.fixture
def seeded(tenant: Tenant) -> Tenant:
    a = tenant.post("/Users", user_body("fuzz-a@example.com", displayName="Å")).json()
    tenant.post("/Users", user_body("fuzz-b@example.com"))
    tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Fuzz",
                            "members": [{"value": a["id"]}]})
    return tenant


def test_list_parameters_never_5xx(seeded: Tenant) -> None:
    @FUZZ
    @given(endpoint=st.sampled_from(["/Users", "/Groups"]), query=params)
    def run(endpoint: str, query: dict[str, str]) -> None:
        assert_scim_answer(seeded.client.get(endpoint, params=query), (endpoint, query))
    run()


def test_search_bodies_never_5xx(seeded: Tenant) -> None:
    @FUZZ
    @given(endpoint=st.sampled_from(["/Users/.search", "/Groups/.search", "/.search"]),
           body=search_body)
    def run(endpoint: str, body: dict[str, Any]) -> None:
        assert_scim_answer(seeded.post(endpoint, body), (endpoint, body))
    run()


def test_resource_parameters_never_5xx(seeded: Tenant) -> None:
    user_id = seeded.client.get("/Users", params={"count": 1}).json()["Resources"][0]["id"]

    @FUZZ
    @given(query=st.fixed_dictionaries({}, optional={"attributes": names,
                                                     "excludedAttributes": names}),
           if_none_match=st.one_of(st.none(), st.just("*"), st.just('W/"1", W/"2"'),
                                   st.text(st.characters(min_codepoint=33, max_codepoint=126),
                                           max_size=12)))
    def run(query: dict[str, str], if_none_match: str | None) -> None:
        headers = {"If-None-Match": if_none_match} if if_none_match is not None else {}
        assert_scim_answer(seeded.client.get(f"/Users/{user_id}", params=query,
                                             headers=headers), query)
    run()


def test_console_parameters_never_5xx(db: Database, server: LiveServer, seeded: Tenant) -> None:
    browser = sign_in(server, owner_for(db, seeded))
    page_params = st.fixed_dictionaries({}, optional={
        "page": number, "q": text, "status": st.one_of(text, st.sampled_from(
            ["active", "suspended", "200", "abc", "99999999999999999999"])),
        "method": text, "type": text, "since": st.one_of(text, st.just("2026-13-45")),
        "until": st.one_of(text, st.just("2026-12-01"))})

    @FUZZ
    @given(path=st.sampled_from(["/admin/members", "/admin/groups", "/admin/activity",
                                 "/admin/activity.csv"]), query=page_params)
    def run(path: str, query: dict[str, str]) -> None:
        r = browser.get(path, params=query)
        assert r.status_code < 500, (path, query, r.status_code)
    run()
    for path in ("/admin/members/%00", "/admin/groups/%00", "/admin/activity/%00",
                 "/admin/members/" + "9" * 40, "/admin/groups/%C3%A9"):
        assert browser.get(path).status_code < 500, path


def test_deeply_nested_search_members_and_surrogates_are_4xx(seeded: Tenant) -> None:
    nested = "[" * 990 + '"userName"' + "]" * 990  # deeper than most JSON encoders go
    head = '{"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], '
    for key in ("attributes", "excludedAttributes", "sortBy", "filter", "count", "cursor"):
        for path in ("/Users/.search", "/.search"):
            r = seeded.client.post(path, content=f'{head}"{key}": {nested}}}'.encode(),
                                   headers={"Content-Type": "application/scim+json"})
            assert_scim_answer(r, (path, key))
    for raw in (b'{"filter": "userName eq \\"\\ud800\\""}',
                b'{"filter": "meta.created gt \\"\\udfff\\""}'):
        r = seeded.client.post("/Users/.search", content=raw,
                               headers={"Content-Type": "application/scim+json"})
        assert_scim_answer(r, raw)
    r = seeded.client.get("/Users", params={"filter": 'meta.created gt "\udfff"'.encode(
        "utf-8", "surrogatepass").decode("latin-1")})
    assert_scim_answer(r, "surrogate in the query")
