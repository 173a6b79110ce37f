"""The console's access pages over real HTTP: places, an owner's suspension (apart from the
identity provider's `active`, and saying which one closed the doors), the access log with
filters and CSV, and webhooks (secret shown once, pause, delivery log, dead letters,
replay), never another organization's."""

from __future__ import annotations

import csv
import io
import re

from doorpost.service.access import Doors
from doorpost.service.access_api import AccessApi
from doorpost.service.delivery import Deliverer
from doorpost.service.webhooks import Webhooks
from doorpost.store.database import Database
from tests.conftest import GROUP_URN, LiveServer, Tenant, make_tenant, user_body
from tests.console.test_console_http import csrf_of, owner_for, sign_in


def _member_with_door(db: Database, tenant: Tenant) -> tuple[str, str]:
    ann = tenant.post("/Users", user_body("ann@access.example")).json()["id"]
    group = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Lab crew",
                                    "members": [{"value": ann}]}).json()["id"]
    door = Doors(db).create(tenant.org.slug, "Lab").id
    Doors(db).grant(tenant.org.slug, door, group)
    return ann, group


def test_places_doors_and_the_group_page(db: Database, server: LiveServer,
                                         tenant: Tenant) -> None:
    ann, group = _member_with_door(db, tenant)
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get("/admin/doors")
    r = browser.post("/admin/places", data={"name": "Head office", "csrf": csrf_of(page.text)})
    assert r.status_code == 200 and "Place created" in r.text
    place = Doors(db).places(tenant.org.slug)[0]
    r = browser.post("/admin/doors", data={"name": "Side gate", "place": place.id,
                                           "csrf": csrf_of(r.text)})
    assert "Door created" in r.text and "· Head office" in r.text
    assert [d.place_id for d in Doors(db).all(tenant.org.slug) if d.name == "Side gate"] == \
        [place.id]
    again = browser.post("/admin/places", data={"name": "Head office", "csrf": csrf_of(r.text)})
    assert again.status_code == 400 and "already exists" in again.text
    group_page = browser.get(f"/admin/groups/{group}")
    assert "read-only here" in group_page.text and ">Lab</a>" in group_page.text


def test_suspension_closes_every_door_and_says_who(db: Database, server: LiveServer,
                                                  tenant: Tenant) -> None:
    ann, _ = _member_with_door(db, tenant)
    owner = owner_for(db, tenant)
    browser = sign_in(server, owner)
    page = browser.get(f"/admin/members/{ann}")
    assert "member of Lab crew" in page.text and "Suspend" in page.text
    r = browser.post(f"/admin/members/{ann}/suspend",
                     data={"reason": "Lost badge", "csrf": csrf_of(page.text)},
                     follow_redirects=True)
    assert "Suspended in Doorpost by" in r.text and "Lost badge" in r.text
    decision = Doors(db).decide(tenant.org.slug, ann, "Lab")
    assert not decision.allowed and "suspended in Doorpost" in decision.reason
    # the identity provider still sees the person as it left them
    assert tenant.client.get(f"/Users/{ann}").json()["active"] is True
    r = browser.post(f"/admin/members/{ann}/unsuspend", data={"csrf": csrf_of(r.text)},
                     follow_redirects=True)
    assert "Suspended in Doorpost" not in r.text
    assert Doors(db).decide(tenant.org.slug, ann, "Lab").allowed
    # deactivated at the identity provider: the page says that instead
    tenant.patch(f"/Users/{ann}", {"op": "replace", "path": "active", "value": False})
    page = browser.get(f"/admin/members/{ann}")
    assert re.search(r"Deactivated by your identity provider on \d{4}-\d\d-\d\d", page.text)


def test_the_access_log_filters_and_exports(db: Database, server: LiveServer,
                                            tenant: Tenant) -> None:
    ann, _ = _member_with_door(db, tenant)
    door = Doors(db).all(tenant.org.slug)[0]
    api = AccessApi(db)
    caller = api.authenticate(f"Bearer {api.create_key(tenant.org.slug, 'reader')[1]}")
    api.decide(caller, door.id, "ann@access.example")
    api.decide(caller, door.id, "nobody@access.example")
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get("/admin/access")
    assert "member of Lab crew" in page.text and "no such user" in page.text
    denied = browser.get("/admin/access", params={"result": "denied"})
    assert "no such user" in denied.text and "member of Lab crew" not in denied.text
    rows = list(csv.reader(io.StringIO(browser.get("/admin/access.csv",
                                                   params={"result": "allowed"}).text)))
    assert rows[0][:3] == ["time", "user_id", "userName"]
    assert [(r[1], r[2], r[5]) for r in rows[1:]] == [(ann, "ann@access.example", "allowed")]


def test_webhooks_in_the_console(db: Database, server: LiveServer, tenant: Tenant) -> None:
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get("/admin/webhooks")
    assert "No webhooks yet" in page.text
    refused = browser.post("/admin/webhooks", data={"url": "http://127.0.0.1:9/x",
                                                    "events": "access.*",
                                                    "csrf": csrf_of(page.text)})
    assert refused.status_code == 400 and "https" in refused.text
    assert 'value="http://127.0.0.1:9/x"' in refused.text  # the form keeps what was typed
    r = browser.post("/admin/webhooks", data={"url": "https://93.184.215.14/doorpost",
                                              "events": "access.*", "format": "standard",
                                              "csrf": csrf_of(refused.text)})
    secret = re.search(r'id="new-secret">(whsec_[^<]+)<', r.text)
    assert r.status_code == 200 and secret is not None
    listed = browser.get("/admin/webhooks")
    assert secret.group(1) not in listed.text and "93.184.215.14" in listed.text
    hook = Webhooks(db).all(tenant.org.slug)[0]
    r = browser.post(f"/admin/webhooks/{hook.id}/pause", data={"csrf": csrf_of(listed.text)})
    assert "paused" in r.text and Webhooks(db).get(tenant.org.slug, hook.id).disabled_us
    # another organization's owner can neither see nor change it
    other = make_tenant(db, server)
    stranger = sign_in(server, owner_for(db, other))
    assert stranger.get(f"/admin/webhooks/{hook.id}").status_code == 404
    page = stranger.get("/admin/webhooks")
    r = stranger.post(f"/admin/webhooks/{hook.id}/remove", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 400 and Webhooks(db).get(tenant.org.slug, hook.id)
    other.client.close()


def test_dead_letters_are_shown_and_replayed_from_the_console(
        db: Database, server: LiveServer, tenant: Tenant) -> None:
    hooks = Webhooks(db, resolver=lambda h, p: ["93.184.215.14"])
    hook = hooks.add(tenant.org.slug, "https://receiver.example/x", ["user.created"]).webhook
    tenant.post("/Users", user_body("dead@access.example"))
    # delivery to a name that now resolves to a private address fails, then dies
    Deliverer(db, (), resolver=lambda h, p: ["10.0.0.1"]).run_once()
    assert hooks.dead_letters(tenant.org.slug, hook.id)
    browser = sign_in(server, owner_for(db, tenant))
    page = browser.get(f"/admin/webhooks/{hook.id}")
    assert "Dead letters" in page.text and "Send them again" in page.text
    assert "non-public" in page.text  # the delivery log says why
    r = browser.post(f"/admin/webhooks/{hook.id}/replay", data={"csrf": csrf_of(page.text)},
                     follow_redirects=True)
    assert r.status_code == 200
    Deliverer(db, (), resolver=lambda h, p: ["10.0.0.1"]).run_once()  # still failing
    log = hooks.attempts(tenant.org.slug, hook.id)
    assert [a.outcome for a in log][:1] == ["dead"] and len(log) == 2
