"""OneLogin and JumpCloud as they provision, dialect detection, and the promise that detection
never changes the meaning of a valid RFC 7644 request."""

from __future__ import annotations

import time

import httpx
import pytest

from doorpost.scim.dialects import choose
from doorpost.service.activity import recent_activity
from doorpost.store.database import Database
from tests.conftest import GROUP_URN, Tenant, user_body

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def client(tenant: Tenant, agent: str, media: str = "application/scim+json") -> httpx.Client:
    return httpx.Client(base_url=tenant.base, timeout=30, headers={
        "Authorization": f"Bearer {tenant.token.token}", "User-Agent": agent,
        "Content-Type": media, "Accept": media})


def dialects_seen(db: Database, tenant: Tenant, wanted: str) -> set[str | None]:
    deadline = time.monotonic() + 5
    seen: set[str | None] = set()
    while time.monotonic() < deadline and wanted not in seen:
        seen = {r.dialect for r in recent_activity(db, tenant.org.slug, 100)}
        time.sleep(0.05)
    return seen


def test_onelogin_with_plain_json(db: Database, tenant: Tenant) -> None:
    with client(tenant, "OneLogin-SCIM/1.0", "application/json") as c:
        u = c.post("/Users", json=user_body("ol@example.com"))
        assert u.status_code == 201
        assert u.headers["content-type"].startswith("application/scim+json")
        r = c.patch(f"/Users/{u.json()['id']}", json={"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "active", "value": False}]})
        assert r.status_code == 200 and r.json()["active"] is False
    assert "onelogin (user-agent)" in dialects_seen(db, tenant, "onelogin (user-agent)")


def test_jumpcloud_users_groups_and_repeated_adds(db: Database, tenant: Tenant) -> None:
    with client(tenant, "JumpCloud SCIM") as c:
        ids = [c.post("/Users", json=user_body(f"jc{i}@example.com")).json()["id"]
               for i in range(2)]
        g = c.post("/Groups", json={"schemas": [GROUP_URN], "displayName": "JC"}).json()
        add = {"schemas": [PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": i} for i in ids]}]}
        for _ in range(3):  # JumpCloud repeats the same add: it must stay a no-op
            assert c.patch(f"/Groups/{g['id']}", json=add).status_code == 204
        after = c.get(f"/Groups/{g['id']}").json()
        assert sorted(m["value"] for m in after["members"]) == sorted(ids)
        assert after["meta"]["version"] == 'W/"2"'
    assert "jumpcloud (user-agent)" in dialects_seen(db, tenant, "jumpcloud (user-agent)")


@pytest.mark.parametrize("agent", ["Azure AD provisioning", "Okta SCIM Client 1.0.0",
                                   "python-httpx"])
def test_detection_never_changes_a_valid_rfc_request(tenant: Tenant, agent: str) -> None:
    """`replace members` (valid RFC) replaces the list whoever is detected; only a pin changes it."""
    with client(tenant, agent) as c:
        ids = [c.post("/Users", json=user_body(f"{n}@example.com")).json()["id"] for n in "abc"]
        g = c.post("/Groups", json={"schemas": [GROUP_URN], "displayName": "G",
                                    "members": [{"value": ids[0]}, {"value": ids[1]}]}).json()
        c.patch(f"/Groups/{g['id']}", json={"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "members", "value": [{"value": ids[2]}]}]})
        assert [m["value"] for m in c.get(f"/Groups/{g['id']}").json()["members"]] == [ids[2]]


def test_choose() -> None:
    assert choose("okta", "Azure", {"aadOptscim062020"}).label == "okta (pinned)"
    assert choose(None, "x", {"AADOPTSCIM062020"}).label == "entra (flag)"
    assert choose(None, "Microsoft.Azure.Provisioning", set()).label == "entra (user-agent)"
    assert choose(None, "Okta SCIM Client 1.0.0", set()).label == "okta (user-agent)"
    assert choose(None, "curl/8", set()).label == "rfc (default)"
    assert choose("entra", "", set()).policy.replace_members_adds
    assert not choose(None, "Azure", set()).policy.replace_members_adds
    assert choose(None, "Azure", set()).policy.create_on_unmatched_replace
    assert not choose(None, "curl", set()).policy.create_on_unmatched_replace
