"""The access API for door controllers, over real HTTP on both databases: API keys (shown
once, digests, revocable at once, one organization's key useless for another's doors),
decisions through the one access rule, recorded and paged as events, and bad input that
never gets a 5xx."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Iterator

import httpx
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from doorpost.service.access import Doors
from doorpost.service.access_api import AccessApi
from doorpost.store.database import Database
from tests.conftest import LiveServer, Tenant, make_tenant, user_body


@dataclass
class Site:
    tenant: Tenant
    api: httpx.Client
    key_id: str
    doors: dict[str, str]
    users: dict[str, str]


def _site(db: Database, server: LiveServer) -> Site:
    tenant = make_tenant(db, server)
    users = {}
    for name, active in (("Ann@Example.com", True), ("bob@example.com", False),
                         ("cy@example.com", True)):
        users[name.lower()] = tenant.post("/Users", user_body(name, active=active)
                                          ).json()["id"]
    group = tenant.post("/Groups", {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                    "displayName": "Lab crew", "members": [
                                        {"value": users["ann@example.com"]},
                                        {"value": users["bob@example.com"]}]}).json()
    doors = Doors(db)
    lab, vault = doors.create(tenant.org.slug, "Lab"), doors.create(tenant.org.slug, "Vault")
    doors.grant(tenant.org.slug, lab.id, group["id"])
    key, secret = AccessApi(db).create_key(tenant.org.slug, "front desk reader")
    api = httpx.Client(base_url=f"{server.url}/api/v1",
                       headers={"Authorization": f"Bearer {secret}"})
    return Site(tenant, api, key.id, {"Lab": lab.id, "Vault": vault.id}, users)


@pytest.fixture
def site(db: Database, server: LiveServer) -> Iterator[Site]:
    s = _site(db, server)
    yield s
    s.api.close()
    s.tenant.client.close()


def decide(site: Site, door: str, user: str) -> dict[str, Any]:
    r = site.api.post("/access/decisions", json={"door": door, "user": user})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_decisions_follow_the_one_access_rule(site: Site) -> None:
    lab, vault = site.doors["Lab"], site.doors["Vault"]
    ann = site.users["ann@example.com"]
    assert decide(site, lab, ann)["allowed"] is True
    by_name = decide(site, lab, "ANN@example.com")  # userName, folded
    assert by_name["allowed"] is True and by_name["user"] == ann
    assert "member of Lab crew" in by_name["reason"]
    assert decide(site, vault, ann)["allowed"] is False
    bob = decide(site, lab, "bob@example.com")
    assert bob["allowed"] is False and "deactivated" in bob["reason"]
    assert decide(site, lab, "cy@example.com")["allowed"] is False  # no group opens it
    stranger = decide(site, lab, "nobody@example.com")
    assert stranger["allowed"] is False and stranger["user"] is None
    doors = site.api.get("/doors").json()["doors"]
    assert {d["name"] for d in doors} == {"Lab", "Vault"}


def test_deprovisioning_closes_the_door_on_the_very_next_decision(site: Site) -> None:
    ann, lab = site.users["ann@example.com"], site.doors["Lab"]
    assert decide(site, lab, ann)["allowed"] is True
    r = site.tenant.patch(f"/Users/{ann}", {"op": "replace", "path": "active", "value": False})
    assert r.status_code in (200, 204)
    assert decide(site, lab, ann)["allowed"] is False


def test_every_decision_is_an_event_paged_in_order(site: Site) -> None:
    ids = [decide(site, site.doors["Lab"], site.users["ann@example.com"])["decision_id"]
           for _ in range(5)]
    seen: list[str] = []
    after = None
    while True:
        r = site.api.get("/access/events", params={"limit": 2, **({"after": after}
                                                                  if after else {})})
        assert r.status_code == 200
        body = r.json()
        if not body["events"]:
            break
        seen += [e["id"] for e in body["events"]]
        after = body["next"]
    assert seen == ids
    assert site.api.get("/access/events", params={"limit": 0}).status_code == 400
    assert site.api.get("/access/events", params={"after": "x.y.z"}).status_code == 400


def test_keys_are_refused_when_wrong_revoked_or_of_another_organization(
        db: Database, server: LiveServer, site: Site) -> None:
    url = f"{server.url}/api/v1/doors"
    for headers in ({}, {"Authorization": "Bearer dp_key_nope"}, {"Authorization": "Basic x"}):
        r = httpx.get(url, headers=headers)
        assert r.status_code == 401 and r.json()["error"]["code"] == "unauthorized"
    scim_token = {"Authorization": f"Bearer {site.tenant.token.token}"}
    assert httpx.get(url, headers=scim_token).status_code == 401  # a SCIM token is not a key
    other = _site(db, server)
    try:
        r = other.api.post("/access/decisions", json={"door": site.doors["Lab"],
                                                      "user": site.users["ann@example.com"]})
        assert r.status_code == 404  # another organization's door does not exist for it
        r = other.api.post("/access/decisions", json={"door": other.doors["Lab"],
                                                      "user": site.users["ann@example.com"]})
        assert r.status_code == 200 and r.json()["allowed"] is False  # nor its people
        assert all(e["door"] in other.doors.values()
                   for e in other.api.get("/access/events").json()["events"])
    finally:
        other.api.close()
        other.tenant.client.close()
    AccessApi(db).revoke_key(site.tenant.org.slug, site.key_id)
    assert site.api.get("/doors").status_code == 401  # at once


SCALARS = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False, allow_infinity=False),
                    st.text(max_size=50))
BODIES = st.one_of(SCALARS, st.lists(SCALARS, max_size=3),
                   st.dictionaries(st.sampled_from(["door", "user", "x"]),
                                   st.one_of(SCALARS, st.lists(SCALARS, max_size=2)),
                                   max_size=3))


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(body=BODIES)
def test_bad_input_never_gets_a_5xx(site: Site, body: Any) -> None:
    r = site.api.post("/access/decisions", json=body)
    assert r.status_code in (200, 400, 404), (body, r.status_code, r.text)
    assert "error" in r.json() or r.status_code == 200
    raw = site.api.post("/access/decisions", content=b"\xff{not json")
    assert raw.status_code == 400


def test_cli_creates_lists_and_revokes_keys(site: Site, database_url: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    import json

    from typer.testing import CliRunner

    from doorpost.cli.main import app
    monkeypatch.setenv("DOORPOST_DATABASE_URL", database_url)
    cli = CliRunner()
    slug = site.tenant.org.slug
    made = json.loads(cli.invoke(app, ["apikey", "create", slug, "--name", "gate",
                                       "--json"]).output)
    assert made["key"].startswith("dp_key_") and made["prefix"] == made["key"][:11]
    listed = json.loads(cli.invoke(app, ["apikey", "list", slug, "--json"]).output)
    assert made["key"] not in json.dumps(listed) and len(listed) == 2
    assert cli.invoke(app, ["apikey", "revoke", slug, made["id"]]).exit_code == 0
    again = cli.invoke(app, ["apikey", "revoke", slug, made["id"]])
    assert again.exit_code == 1 and "No active API key" in again.output
    r = httpx.get(f"{str(site.api.base_url).rstrip('/')}/doors",
                  headers={"Authorization": f"Bearer {made['key']}"})
    assert r.status_code == 401
    assert uuid.UUID(made["id"])
