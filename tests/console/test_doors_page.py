"""The console's Doors page over real HTTP: create doors, grant and revoke groups (the
access decision follows at once), and API keys shown once and revocable."""

from __future__ import annotations

import re

import httpx

from doorpost.service.access import Doors
from doorpost.store.database import Database
from tests.conftest import LiveServer, Tenant, make_tenant, user_body
from tests.console.test_console_http import csrf_of, owner_for, sign_in


def test_doors_grants_and_keys_in_the_console(db: Database, server: LiveServer,
                                             tenant: Tenant) -> None:
    ann = tenant.post("/Users", user_body("ann@doors.example")).json()["id"]
    group = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                    "displayName": "Night shift",
                                    "members": [{"value": ann}]}).json()["id"]
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get("/admin/doors")
    assert page.status_code == 200 and "No doors yet" in page.text
    r = browser.post("/admin/doors", data={"name": "Loading dock", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "Door created" in r.text
    door = Doors(db).all(tenant.org.slug)[0]
    assert Doors(db).decide(tenant.org.slug, ann, door.id).allowed is False
    r = browser.post(f"/admin/doors/{door.id}/grant", data={"group": group,
                                                            "csrf": csrf_of(r.text)})
    assert r.status_code == 200 and "Night shift" in r.text
    assert Doors(db).decide(tenant.org.slug, ann, door.id).allowed is True
    r = browser.post(f"/admin/doors/{door.id}/revoke", data={"group": group,
                                                             "csrf": csrf_of(r.text)})
    assert r.status_code == 200 and "Revoked" in r.text
    assert Doors(db).decide(tenant.org.slug, ann, door.id).allowed is False
    assert browser.post("/admin/doors", data={"name": "x", "csrf": "wrong"}).status_code == 403

    r = browser.post("/admin/api-keys", data={"name": "Dock reader", "csrf": csrf_of(r.text)})
    key = re.search(r'id="new-key">(dp_key_[^<]+)<', r.text)
    assert key is not None
    listed = browser.get("/admin/doors")
    assert key.group(1) not in listed.text and "Dock reader" in listed.text  # shown once
    api = httpx.Client(base_url=f"{server.url}/api/v1",
                       headers={"Authorization": f"Bearer {key.group(1)}"})
    assert api.get("/doors").json()["doors"][0]["name"] == "Loading dock"
    key_id = re.search(r'/admin/api-keys/([0-9a-f-]+)/revoke', listed.text)
    assert key_id is not None
    r = browser.post(f"/admin/api-keys/{key_id.group(1)}/revoke",
                     data={"csrf": csrf_of(listed.text)})
    assert r.status_code == 200 and api.get("/doors").status_code == 401
    api.close()


def test_another_organizations_door_cannot_be_granted(db: Database, server: LiveServer,
                                                      tenant: Tenant) -> None:
    other = make_tenant(db, server)
    foreign = Doors(db).create(other.org.slug, "Their vault")
    group = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                    "displayName": "Ours"}).json()["id"]
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get("/admin/doors")
    r = browser.post(f"/admin/doors/{foreign.id}/grant", data={"group": group,
                                                               "csrf": csrf_of(page.text)})
    assert r.status_code == 400 and "No door" in r.text
    assert "Their vault" not in browser.get("/admin/doors").text
    other.client.close()
