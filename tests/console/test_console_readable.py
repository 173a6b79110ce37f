"""The console reads like a directory, not a debugging tool: activity rows and their
details name people, say per attribute what changed and show the whole request line; the
chart has axes, hover text and an honest empty state; the health panel waits for the
identity provider and then shows what it sent; member pages are labeled fields; group pages
search their members; empty pages say what to do next."""

from __future__ import annotations

import html
import re
import time

import httpx

from doorpost.service.activity import ActivityQueries
from doorpost.store.database import Database
from tests.conftest import ENTERPRISE_URN, GROUP_URN, LiveServer, Tenant, make_tenant, user_body
from tests.console.test_console_http import owner_for, sign_in


def _text(page: httpx.Response) -> str:
    """The page's text without tags, entities decoded: what a person reads."""
    return html.unescape(re.sub(r"<[^>]+>", "", page.text))


def _newest_record(db: Database, tenant: Tenant, method: str) -> str:
    for _ in range(100):  # reads' records are batched (a quarter of a second)
        _, rows = ActivityQueries(db).search(tenant.org.id, limit=20)
        found = [r for r in rows if r.method == method]
        if found:
            return found[0].id
        time.sleep(0.05)
    raise AssertionError(f"no {method} record")


def test_an_activity_detail_says_per_attribute_what_changed(
        db: Database, server: LiveServer, tenant: Tenant) -> None:
    body = user_body("ann@read.example", name={"givenName": "Ann", "familyName": "Lee"})
    body[ENTERPRISE_URN] = {"department": "Navy"}
    body["schemas"] = body["schemas"] + [ENTERPRISE_URN]
    ann = tenant.post("/Users", body).json()["id"]
    r = tenant.patch(f"/Users/{ann}", {"op": "replace", "path": "name.givenName",
                                       "value": "Anne"},
                     {"op": "replace", "path": f"{ENTERPRISE_URN}:department",
                      "value": "Computing"})
    assert r.status_code == 200
    browser = sign_in(server, owner_for(db, tenant))
    detail = _text(browser.get(f"/admin/activity/{_newest_record(db, tenant, 'PATCH')}"))
    assert 'name.givenName: "Ann" → "Anne"' in detail
    assert 'department: "Navy" → "Computing"' in detail
    assert ENTERPRISE_URN not in detail and "Anne Lee" in detail  # the person, by name

    people = [tenant.post("/Users", user_body(f"p{i}@read.example",
                                              displayName=f"Person {i}")).json()["id"]
              for i in range(4)]
    group = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Readers",
                                    "members": [{"value": people[0]}]}).json()["id"]
    tenant.patch(f"/Groups/{group}",
                 {"op": "add", "path": "members", "value": [{"value": p} for p in people[1:]]},
                 {"op": "remove", "path": "members", "value": [{"value": people[0]}]})
    detail = _text(browser.get(f"/admin/activity/{_newest_record(db, tenant, 'PATCH')}"))
    assert "members: +3 −1" in detail
    assert "Person 1, Person 2, Person 3" in detail and "removed: Person 0" in detail


def test_the_request_line_keeps_its_query(db: Database, server: LiveServer,
                                          tenant: Tenant) -> None:
    bad = tenant.client.get("/Users", params={"filter": 'userName eq "x" and'})
    assert bad.status_code == 400
    browser = sign_in(server, owner_for(db, tenant))
    _newest_record(db, tenant, "GET")
    listing = _text(browser.get("/admin/activity"))
    assert 'GET /scim/v2/Users?filter=userName eq "x" and' in listing


def test_the_chart_has_axes_hover_text_and_an_honest_empty_state(
        db: Database, server: LiveServer, tenant: Tenant) -> None:
    browser = sign_in(server, owner_for(db, tenant))
    empty = browser.get("/admin/activity")
    assert "No SCIM requests in the last 24 hours" in empty.text and "<svg class=\"chart\"" \
        not in empty.text
    tenant.client.get("/Users")
    tenant.client.get("/Users", headers={"User-Agent": "Okta SCIM Client 1.0"})
    tenant.client.get("/Users/nope")
    _newest_record(db, tenant, "GET")
    for _ in range(50):
        page = browser.get("/admin/activity")
        if page.text.count("requests via") >= 2:
            break
        time.sleep(0.05)
    assert 'class="tick"' in page.text and "UTC:" in page.text  # axis labels, hover text
    assert re.search(r"<title>\d\d:00 UTC: \d+ requests via okta", page.text)
    assert "errors (4xx/5xx)" in page.text  # the legend
    assert "okta" in _text(page) and "rfc" in _text(page)  # stacked per dialect


def test_health_waits_for_the_identity_provider_then_shows_what_it_sent(
        db: Database, server: LiveServer) -> None:
    fresh = make_tenant(db, server)  # its token is the newest, and nothing has used it
    browser = sign_in(server, owner_for(db, fresh))
    page = browser.get("/admin/sso-scim")
    assert "Waiting for your identity provider" in page.text and 'data-live="2"' in page.text
    fresh.client.get("/Users", params={"filter": 'userName eq "test-connection"'})
    _newest_record(db, fresh, "GET")
    page = _text(browser.get("/admin/sso-scim"))
    assert "Waiting for your identity provider" not in page
    assert "Your identity provider is connected" in page
    assert 'GET /scim/v2/Users?filter=userName eq "test-connection" → 200' in page
    assert "As of" in page
    panel = browser.get("/admin/sso-scim/health")  # what the refresh fetches: the panel alone
    assert panel.text.lstrip().startswith('<div id="health"') and "Tenant URL" not in panel.text
    assert "/admin/login" in str(httpx.get(f"{server.url}/admin/sso-scim/health",
                                           follow_redirects=True).url)
    fresh.client.close()


def test_a_member_page_is_labeled_fields(db: Database, server: LiveServer,
                                         tenant: Tenant) -> None:
    boss = tenant.post("/Users", user_body("boss@read.example", displayName="Big Boss")
                       ).json()["id"]
    body = user_body("emp@read.example", displayName="Em Ployee",
                     password="Secret-Passw0rd!")
    body["schemas"] = body["schemas"] + [ENTERPRISE_URN]
    body[ENTERPRISE_URN] = {"department": "Computing", "employeeNumber": "701984",
                            "manager": {"value": boss}}
    emp = tenant.post("/Users", body).json()["id"]
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get(f"/admin/members/{emp}")
    readable = _text(page).split("Raw SCIM document")[0]
    assert "Department" in readable and "Computing" in readable
    assert "Employee number" in readable and "701984" in readable
    assert f'<a href="/admin/members/{boss}">Big Boss</a>' in page.text
    assert "emp@read.example (work, primary)" in readable
    assert "urn:" not in readable and "{" not in readable  # no URN, no JSON
    raw = page.text.split("Raw SCIM document")[1].split("</details>")[0]
    assert "701984" in raw and "password" not in raw and "$argon2" not in page.text, raw


def test_a_group_page_searches_its_members(db: Database, server: LiveServer,
                                           tenant: Tenant) -> None:
    ids = [tenant.post("/Users", user_body(f"{n}@grp.example", displayName=n)).json()["id"]
           for n in ("alice", "bob", "carol")]
    outsider = tenant.post("/Users", user_body("alicia@grp.example")).json()["id"]
    group = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Search me",
                                    "members": [{"value": i} for i in ids]}).json()["id"]
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get(f"/admin/groups/{group}", params={"q": "ali"})
    assert f"/admin/members/{ids[0]}" in page.text and f"/admin/members/{outsider}" not in \
        page.text and f"/admin/members/{ids[1]}" not in page.text
    assert "1 of 3 member(s) match" in _text(page)


def test_empty_pages_say_what_to_do_next(db: Database, server: LiveServer) -> None:
    fresh = make_tenant(db, server)
    browser = sign_in(server, owner_for(db, fresh))
    for path in ("/admin/members", "/admin/groups"):
        page = browser.get(path)
        assert "yet" in page.text and 'href="/admin/sso-scim"' in page.text, path
    assert "No members match" in browser.get("/admin/members", params={"q": "zz"}).text
    fresh.client.close()
