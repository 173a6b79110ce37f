"""The owner console over real HTTP: sign-in, sessions, CSRF, throttling, isolation, SSO
metadata validation, tokens shown once, activity with diffs, members and groups."""

from __future__ import annotations

import re
import time
import uuid
from typing import Any

import httpx
import pytest

from doorpost.service.owners import Owners
from doorpost.store.database import Database
from tests.conftest import LiveServer, Tenant, make_tenant, user_body

PASSWORD = "correct horse battery staple"
METADATA = """<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"
    xmlns:ds="http://www.w3.org/2000/09/xmldsig#" entityID="https://sts.windows.net/tenant-1/">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>MIIC8DCCAdigAwIBAgIQY2VydGlmaWNhdGU=</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://login.microsoftonline.com/tenant-1/saml2"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1)


def owner_for(db: Database, tenant: Tenant) -> str:
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    _, token = Owners(db).create(tenant.org.slug, email)
    Owners(db).set_password(token, PASSWORD)
    return email


def sign_in(server: LiveServer, email: str, password: str = PASSWORD) -> httpx.Client:
    browser = httpx.Client(base_url=server.url, follow_redirects=True, timeout=30)
    form = browser.get("/admin/login")
    r = browser.post("/admin/login", data={"email": email, "password": password,
                                           "csrf": csrf_of(form.text), "next": "/admin/sso-scim"})
    assert r.status_code == 200, r.text[:500]
    return browser


@pytest.fixture
def console(db: Database, server: LiveServer, tenant: Tenant) -> httpx.Client:
    return sign_in(server, owner_for(db, tenant))


def test_pages_need_a_session(server: LiveServer) -> None:
    for path in ("/admin/sso-scim", "/admin/activity", "/admin/members", "/admin/groups",
                 "/admin/activity.csv"):
        r = httpx.get(server.url + path)
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/login")


def test_set_password_link_is_one_time(db: Database, server: LiveServer, tenant: Tenant) -> None:
    email = f"new-{uuid.uuid4().hex[:6]}@example.com"
    _, token = Owners(db).create(tenant.org.slug, email)
    browser = httpx.Client(base_url=server.url, follow_redirects=False)
    page = browser.get("/admin/set-password", params={"token": token})
    assert page.status_code == 200
    short = browser.post(f"/admin/set-password?token={token}",
                         data={"password": "short", "confirm": "short", "csrf": csrf_of(page.text)})
    assert short.status_code == 400 and "12 characters" in short.text
    ok = browser.post(f"/admin/set-password?token={token}", data={
        "password": PASSWORD, "confirm": PASSWORD, "csrf": csrf_of(page.text)})
    assert ok.status_code == 303
    assert browser.get("/admin/set-password", params={"token": token}).status_code == 400
    sign_in(server, email)


def test_session_cookie_and_headers(db: Database, server: LiveServer, tenant: Tenant) -> None:
    email = owner_for(db, tenant)
    browser = httpx.Client(base_url=server.url)
    form = browser.get("/admin/login")
    r = browser.post("/admin/login", data={"email": email, "password": PASSWORD,
                                           "csrf": csrf_of(form.text)})
    cookie = r.headers["set-cookie"]
    assert "doorpost_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    page = browser.get("/admin/sso-scim")
    assert page.headers["x-frame-options"] == "DENY"
    assert "script-src 'self'" in page.headers["content-security-policy"]
    browser.post("/admin/logout", data={"csrf": csrf_of(page.text)})
    assert browser.get("/admin/sso-scim").status_code == 303


def test_wrong_password_and_throttling(db: Database, server: LiveServer, tenant: Tenant) -> None:
    email = owner_for(db, tenant)
    browser = httpx.Client(base_url=server.url)
    for _ in range(5):
        form = browser.get("/admin/login")
        r = browser.post("/admin/login", data={"email": email, "password": "nope",
                                               "csrf": csrf_of(form.text)})
        assert r.status_code == 401 and "Wrong email address or password" in r.text
    form = browser.get("/admin/login")
    r = browser.post("/admin/login", data={"email": email, "password": PASSWORD,
                                           "csrf": csrf_of(form.text)})
    assert r.status_code == 401 and "Too many failed sign-ins" in r.text
    form = browser.get("/admin/login")
    unknown = browser.post("/admin/login", data={"email": f"nobody-{uuid.uuid4().hex}@x.com",
                                                 "password": "x", "csrf": csrf_of(form.text)})
    assert unknown.status_code == 401 and "Wrong email address or password" in unknown.text


def test_forms_without_csrf_are_refused(console: httpx.Client, tenant: Tenant) -> None:
    r = console.post("/admin/tokens", data={"name": "sneaky"})
    assert r.status_code == 403
    r = console.post("/admin/tokens", data={"name": "sneaky", "csrf": "forged"})
    assert r.status_code == 403
    assert [t.name for t in tenant.orgs.list_tokens(tenant.org.slug)] == ["test"]


def test_token_shown_once_and_rotation_limit(console: httpx.Client, tenant: Tenant,
                                            server: LiveServer) -> None:
    page = console.get("/admin/sso-scim")
    state = re.search(r'name="state" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    r = console.post("/admin/tokens", data={"name": "Entra ID", "csrf": csrf_of(page.text),
                                            "state": state})
    token = re.search(r"(dp_scim_[A-Za-z0-9_-]{43})", r.text)
    assert token and "will not be shown again" in r.text
    assert httpx.get(server.scim_url + "/Users", headers={
        "Authorization": f"Bearer {token.group(1)}"}).status_code == 200
    again = console.get("/admin/sso-scim")
    assert token.group(1) not in again.text and "Entra ID" in again.text
    assert "disabled" in again.text.split("Generate Token")[0][-200:]  # two active: no third
    resent = console.post("/admin/tokens", data={"name": "Entra ID", "csrf": csrf_of(page.text),
                                                 "state": state})
    assert resent.status_code == 409 and "No token was created" in resent.text
    state = re.search(r'name="state" value="([^"]+)"', again.text).group(1)  # type: ignore[union-attr]
    third = console.post("/admin/tokens", data={"name": "x", "csrf": csrf_of(again.text),
                                                "state": state})
    assert third.status_code == 400 and "revoke one" in third.text


def test_sso_metadata_validation(console: httpx.Client, tenant: Tenant) -> None:
    page = console.get("/admin/sso-scim")
    csrf = csrf_of(page.text)
    for bad, why in (("<not xml", "well-formed"), ("<a/>", "EntityDescriptor"),
                     (METADATA.replace("IDPSSODescriptor", "SPSSODescriptor"), "IDPSSODescriptor"),
                     (METADATA.replace('entityID="https://sts.windows.net/tenant-1/"', ""),
                      "entityID"),
                     ('<!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>', "not well-formed")):
        r = console.post("/admin/sso", data={"metadata_xml": bad, "csrf": csrf})
        assert r.status_code == 400 and why.split()[-1] in r.text, (bad, r.text[:300])
    ok = console.post("/admin/sso", data={"metadata_xml": METADATA, "csrf": csrf})
    assert ok.status_code == 200 and "SSO metadata saved" in ok.text and "Test SSO" in ok.text
    assert "https://login.microsoftonline.com/tenant-1/saml2" in ok.text
    assert f"/saml/{tenant.org.slug}/acs" in ok.text


def test_unlicensed_organization_sees_only_the_explanation(db: Database,
                                                           server: LiveServer) -> None:
    t = make_tenant(db, server, scim=False)
    t.orgs.set_license(t.org.slug, False)
    page = sign_in(server, owner_for(db, t)).get("/admin/sso-scim")
    assert "No Organization license" in page.text
    assert "Generate Token" not in page.text and "metadata" not in page.text.lower()


def test_scim_toggle_needs_sso(db: Database, server: LiveServer) -> None:
    t = make_tenant(db, server, scim=False)
    t.orgs.set_sso_configured(t.org.slug, False)
    browser = sign_in(server, owner_for(db, t))
    page = browser.get("/admin/sso-scim")
    assert 'id="enable-scim"' in page.text and "Set up SSO first" in page.text
    r = browser.post("/admin/scim", data={"enabled": "on", "csrf": csrf_of(page.text)})
    assert r.status_code == 400 and "SSO verified" in r.text
    browser.post("/admin/sso", data={"metadata_xml": METADATA, "csrf": csrf_of(page.text)})
    r = browser.post("/admin/scim", data={"enabled": "on", "csrf": csrf_of(page.text)})
    assert r.status_code == 400, "saved metadata is not verified SSO (see test_saml.py)"
    t.orgs.set_sso_configured(t.org.slug, True)  # what a passing Test SSO does
    r = browser.post("/admin/scim", data={"enabled": "on", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "SCIM is enabled" in r.text
    assert t.client.get("/Users").status_code == 200


def wait_for(fn: Any, timeout: float = 5) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = fn()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def test_activity_diff_members_and_groups(console: httpx.Client, tenant: Tenant) -> None:
    u = tenant.post("/Users", user_body("seen@example.com", title="Engineer")).json()
    tenant.client.patch(f"/Users/{u['id']}", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "title", "value": "Lead"},
                       {"op": "Replace", "path": "active", "value": "False"}]})
    g = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                "displayName": "Lobby", "members": [{"value": u["id"]}]}).json()
    tenant.client.get("/Users/does-not-exist")
    listing = wait_for(lambda: (p := console.get("/admin/activity")).text.count("/admin/activity/")
                       >= 4 and p)
    assert "PATCH" in listing.text
    patch_id = re.search(r'href="/admin/activity/([0-9a-f]+)">[^<]+</a></td>\s*<td><code>PATCH',
                         listing.text).group(1)
    detail = console.get(f"/admin/activity/{patch_id}").text
    assert "Engineer" in detail and "Lead" in detail and "boolean-string" in detail
    assert tenant.token.token not in listing.text + detail
    errors = console.get("/admin/activity", params={"status": "4xx"}).text
    assert "does-not-exist" in errors and "seen@example.com" not in errors
    csv = console.get("/admin/activity.csv")
    assert csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("time,method,path,status")
    assert len(csv.text.splitlines()) >= 5
    members = console.get("/admin/members", params={"q": "seen@"}).text
    assert "seen@example.com" in members and "suspended by identity provider" in members
    assert "Managed by SCIM" in members and "Lobby" in members
    person = console.get(f"/admin/members/{u['id']}").text
    assert "Lead" in person and "PATCH" in person  # attributes and history
    groups = console.get("/admin/groups").text
    assert "Lobby" in groups and re.search(r"Lobby</a>.*?</td>\s*<td>1</td>", groups, re.S)
    assert "seen@example.com" in console.get(f"/admin/groups/{g['id']}").text


def test_owners_see_only_their_organization(db: Database, server: LiveServer, tenant: Tenant,
                                            other_tenant: Tenant) -> None:
    theirs = other_tenant.post("/Users", user_body("private@example.com")).json()
    browser = sign_in(server, owner_for(db, tenant))
    assert browser.get(f"/admin/members/{theirs['id']}").status_code == 404
    assert "private@example.com" not in browser.get("/admin/members").text
    other_rows = wait_for(lambda: other_tenant.orgs.list_tokens(other_tenant.org.slug)[0]
                          .last_used_us)
    assert other_rows
    assert "private@example.com" not in browser.get("/admin/activity").text


def test_metadata_by_url_and_retention(db: Database, tenant: Tenant, tmp_path: Any) -> None:
    import functools
    import http.server
    import threading

    from doorpost.service.activity import prune
    from doorpost.service.sso import InvalidMetadata, Sso
    from doorpost.store import tables as t
    (tmp_path / "idp.xml").write_text(METADATA)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}"
        saved = Sso(db).save(tenant.org.id, url=f"{base}/idp.xml")
        assert saved.idp_entity_id == "https://sts.windows.net/tenant-1/"
        with pytest.raises(InvalidMetadata, match="Could not fetch"):
            Sso(db).save(tenant.org.id, url=f"{base}/missing.xml")
    finally:
        httpd.shutdown()
    old = {"org_id": tenant.org.id, "id": uuid.uuid4().hex, "time_us": 1_000_000,
           "method": "GET", "path": "/scim/v2/Users", "status": 200, "latency_us": 5}
    with db.write() as conn:
        conn.execute(t.scim_requests.insert().values(**old))
    assert prune(db, 90) >= 1
    with db.read() as conn:
        assert conn.execute(t.scim_requests.select().where(
            t.scim_requests.c.id == old["id"])).first() is None


def test_activity_date_filter_and_group_paging(console: httpx.Client, tenant: Tenant,
                                               db: Database) -> None:
    from tests.store.test_scale_mechanisms import seed_group
    tenant.client.get("/Users")
    today = time.strftime("%Y-%m-%d", time.gmtime())
    assert wait_for(lambda: "/scim/v2/Users" in console.get(
        "/admin/activity", params={"since": today, "until": today}).text)
    assert "/scim/v2/Users" not in console.get(
        "/admin/activity", params={"until": "2001-01-01"}).text
    group_id, _ = seed_group(db, tenant.org.id, 120)
    first = console.get(f"/admin/groups/{group_id}").text
    assert "120 member(s)" in first and "Page 1 of 3" in first
    third = console.get(f"/admin/groups/{group_id}", params={"page": 3}).text
    assert third.count('href="/admin/members/') == 20


def test_identity_provider_data_is_escaped(console: httpx.Client, tenant: Tenant) -> None:
    evil = '<script>alert(1)</script>'
    u = tenant.post("/Users", user_body("xss@example.com", displayName=evil, title=evil)).json()
    tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                            "displayName": evil, "members": [{"value": u["id"]}]})
    for path in ("/admin/members", f"/admin/members/{u['id']}", "/admin/groups"):
        page = console.get(path).text
        assert evil not in page and "&lt;script&gt;" in page, path
    detail_id = wait_for(lambda: re.search(r'href="/admin/activity/([0-9a-f]+)"',
                                           console.get("/admin/activity").text))
    assert evil not in console.get(f"/admin/activity/{detail_id.group(1)}").text


def test_pages_keep_what_was_typed_and_unknown_urls_look_like_the_console(
        console: httpx.Client, server: LiveServer) -> None:
    page = console.get("/admin/sso-scim")
    bad = "<md:EntityDescriptor xmlns:md='urn:oasis:names:tc:SAML:2.0:metadata'/>"
    r = console.post("/admin/sso", data={"metadata_xml": bad, "csrf": csrf_of(page.text)})
    assert r.status_code == 400 and "EntityDescriptor xmlns:md=" in r.text  # kept, escaped
    missing = console.get("/admin/no-such-page")
    assert missing.status_code == 404 and "/admin/static/console.css" in missing.text
    assert "<title>Not found · Doorpost</title>" in missing.text
    with httpx.Client(base_url=server.url) as anonymous:
        form = anonymous.get("/admin/login")
        refused = anonymous.post("/admin/login", data={
            "email": "typed@example.com", "password": "wrong", "csrf": csrf_of(form.text)})
        assert refused.status_code == 401 and 'value="typed@example.com"' in refused.text


def test_activity_rows_name_the_person_group_and_token(console: httpx.Client,
                                                       tenant: Tenant) -> None:
    ann = tenant.post("/Users", user_body("ann.lee@example.com", displayName="Ann Lee")).json()
    group = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                    "displayName": "Front desk"}).json()
    gone = tenant.post("/Users", user_body("gone@example.com")).json()
    tenant.client.delete(f"/Users/{gone['id']}")
    page = wait_for(lambda: (p := console.get("/admin/activity")).text.count("Front desk")
                    and p)
    assert f'<a href="/admin/members/{ann["id"]}">Ann Lee (ann.lee@example.com)</a>' \
        in page.text
    assert f'<a href="/admin/groups/{group["id"]}">Front desk</a>' in page.text
    assert "(deleted)" in page.text
    assert f"<td>{tenant.token.record.name}</td>" in page.text  # the token by its name
