"""Owner accounts over real HTTP: several owners per organization, one person owning several
organizations (choosing one after sign-in, switching, never into one they do not own),
invitations by link, "forgot password" by a one-time link that says the same for unknown
addresses and is throttled, and an expired link that is not a dead end."""

from __future__ import annotations

import logging
import re

import httpx
import pytest

from doorpost.service.owners import Owners
from doorpost.store.database import Database
from tests.conftest import LiveServer, make_tenant
from tests.console.test_console_http import PASSWORD, csrf_of, owner_for, sign_in


def _link_in(caplog: pytest.LogCaptureFixture) -> str:
    found = [r.getMessage() for r in caplog.records if r.name == "doorpost.mail"]
    assert found, "no link was written to the log"
    match = re.search(r"(http\S+/admin/set-password\?token=\S+)", found[-1])
    assert match
    return match.group(1)


def test_one_person_owns_two_organizations_and_chooses(db: Database,
                                                       server: LiveServer) -> None:
    first, second, third = (make_tenant(db, server) for _ in range(3))
    email = owner_for(db, first)
    _, token = Owners(db).create(second.org.slug, email)  # keeps their password
    browser = httpx.Client(base_url=server.url, follow_redirects=False, timeout=30)
    form = browser.get("/admin/login")
    r = browser.post("/admin/login", data={"email": email, "password": PASSWORD,
                                           "csrf": csrf_of(form.text)})
    assert r.status_code == 303 and r.headers["location"] == "/admin/choose"
    page = browser.get("/admin/choose")
    assert first.org.name in page.text and second.org.name in page.text
    assert third.org.name not in page.text
    r = browser.post("/admin/switch", data={"org": second.org.slug,
                                            "csrf": csrf_of(page.text)})
    assert r.status_code == 303
    assert second.org.name in browser.get("/admin/sso-scim").text
    page = browser.get("/admin/choose")
    r = browser.post("/admin/switch", data={"org": third.org.slug, "csrf": csrf_of(page.text)})
    assert r.status_code == 404  # not theirs
    assert second.org.name in browser.get("/admin/sso-scim").text
    for t in (first, second, third):
        t.client.close()


def test_owners_invite_and_remove_each_other(db: Database, server: LiveServer,
                                            caplog: pytest.LogCaptureFixture) -> None:
    tenant = make_tenant(db, server)
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get("/admin/owners")
    assert "(you)" in page.text and "Remove" not in page.text.split("(you)")[1][:200]
    caplog.set_level(logging.WARNING, "doorpost.mail")
    r = browser.post("/admin/owners", data={"email": "colleague@own.example",
                                            "csrf": csrf_of(page.text)})
    assert "written to the operator" in r.text and "invited" in r.text
    link = _link_in(caplog)
    # never shown to the inviting owner: whoever holds it sets that address's password,
    # and the address may own other organizations
    assert "token=" not in r.text and link.split("token=")[1] not in r.text
    again = browser.post("/admin/owners", data={"email": "COLLEAGUE@own.example",
                                                "csrf": csrf_of(r.text)})
    assert again.status_code == 400 and "already" in again.text
    assert 'value="COLLEAGUE@own.example"' in again.text  # the form keeps what was typed
    # the colleague sets a password from the link and signs in
    set_page = httpx.get(link)
    assert set_page.status_code == 200
    token = link.split("token=")[1]
    Owners(db).set_password(token, "colleague-password-1")
    colleague = sign_in(server, "colleague@own.example", "colleague-password-1")
    assert tenant.org.name in colleague.get("/admin/sso-scim").text
    # they remove the first owner, whose session ends at once
    page = colleague.get("/admin/owners")
    first_id = re.findall(r'/admin/owners/([0-9a-f-]+)/remove', page.text)
    assert len(first_id) == 1
    r = colleague.post(f"/admin/owners/{first_id[0]}/remove", data={"csrf": csrf_of(page.text)})
    assert "Owner removed" in r.text
    assert "/admin/login" in str(browser.get("/admin/sso-scim").url)
    page = colleague.get("/admin/owners")
    assert "/remove" not in page.text  # the last owner cannot be removed, nor oneself
    tenant.client.close()


def test_forgot_password_and_expired_links(db: Database, server: LiveServer,
                                           caplog: pytest.LogCaptureFixture) -> None:
    tenant = make_tenant(db, server)
    email = owner_for(db, tenant)
    caplog.set_level(logging.WARNING, "doorpost.mail")
    browser = httpx.Client(base_url=server.url, follow_redirects=True, timeout=30)

    def ask(address: str) -> httpx.Response:
        form = browser.get("/admin/forgot")
        return browser.post("/admin/forgot", data={"email": address,
                                                   "csrf": csrf_of(form.text)})
    unknown = ask("nobody@nowhere.example")
    known = ask(email)
    same = lambda r: r.text.replace("nobody@nowhere.example", "X").replace(email, "X")  # noqa: E731
    assert same(unknown) == same(known)  # no way to tell who has an account
    link = _link_in(caplog)
    form = browser.get(link)
    r = browser.post(link, data={"password": "a-brand-new-password", "confirm":
                                 "a-brand-new-password", "csrf": csrf_of(form.text)})
    assert "Your password is set" in r.text
    sign_in(server, email, "a-brand-new-password")
    used = browser.get(link)  # used once: not a dead end
    assert used.status_code == 400 and 'href="/admin/forgot"' in used.text
    caplog.clear()
    for _ in range(3):
        ask(email)
    assert len([r for r in caplog.records if r.name == "doorpost.mail"]) == 2  # 3 an hour
    tenant.client.close()
