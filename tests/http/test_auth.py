"""Bearer tokens and SCIM enablement, as an identity provider experiences them."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from doorpost.service.auth import authenticate
from doorpost.service.errors import AdminError
from doorpost.scim.errors import Unauthorized
from doorpost.store.database import Database
from tests.conftest import LiveServer, Tenant, make_tenant, user_body

import httpx


def assert_401(r: httpx.Response) -> None:
    assert r.status_code == 401
    assert r.headers["content-type"].startswith("application/scim+json")
    assert r.headers["www-authenticate"].lower().startswith("bearer")
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert r.json()["status"] == "401"


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer dp_scim_unknown", "Basic Zm9vOmJhcg==",
                                    "Bearer " + "x" * 5000])
def test_missing_or_unknown_token_is_401(server: LiveServer, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    for path in ("/Users", "/Groups", "/Users/some-id"):
        assert_401(httpx.get(server.scim_url + path, headers=headers))


def test_token_shape(tenant: Tenant) -> None:
    token = tenant.token.token
    assert token.startswith("dp_scim_")
    assert len(token) == len("dp_scim_") + 43  # 32 random bytes, url-safe base64
    assert tenant.token.record.prefix == token[:12]


def test_token_is_stored_only_as_digest(db: Database, tenant: Tenant) -> None:
    with db.read() as conn:
        rows = conn.execute(sa.text("SELECT * FROM scim_tokens")).fetchall()
    dumped = repr(rows)
    assert tenant.token.token not in dumped
    assert hashlib.sha256(tenant.token.token.encode()).hexdigest() in dumped


def test_revoked_token_fails_on_the_very_next_request(tenant: Tenant) -> None:
    assert tenant.client.get("/Users").status_code == 200
    tenant.orgs.revoke_token(tenant.org.slug, tenant.token.record.id)
    assert_401(tenant.client.get("/Users"))


def test_two_tokens_allow_rotation_without_gap(tenant: Tenant) -> None:
    second = tenant.orgs.create_token(tenant.org.slug, "rotation")
    with pytest.raises(AdminError, match="2 active tokens"):
        tenant.orgs.create_token(tenant.org.slug, "third")
    new_client = httpx.Client(base_url=tenant.base,
                              headers={"Authorization": f"Bearer {second.token}"})
    assert new_client.get("/Users").status_code == 200
    assert tenant.client.get("/Users").status_code == 200
    tenant.orgs.revoke_token(tenant.org.slug, tenant.token.record.id)
    assert new_client.get("/Users").status_code == 200
    assert_401(tenant.client.get("/Users"))
    assert tenant.orgs.create_token(tenant.org.slug, "third").token  # room again


def test_disabling_scim_stops_every_token_and_keeps_data(tenant: Tenant) -> None:
    created = tenant.post("/Users", user_body("keep@example.com")).json()
    tenant.orgs.disable_scim(tenant.org.slug)
    assert_401(tenant.client.get("/Users"))
    assert_401(tenant.client.get(f"/Users/{created['id']}"))
    tenant.orgs.enable_scim(tenant.org.slug)
    assert tenant.client.get(f"/Users/{created['id']}").json()["userName"] == "keep@example.com"


def test_scim_needs_license_and_sso(db: Database, server: LiveServer) -> None:
    t = make_tenant(db, server, scim=False)
    assert_401(t.client.get("/Users"))
    slug = t.org.slug
    t.orgs.set_sso_configured(slug, False)
    t.orgs.set_license(slug, False)
    with pytest.raises(AdminError, match="Organization license and SSO"):
        t.orgs.enable_scim(slug)
    t.orgs.set_license(slug, True)
    with pytest.raises(AdminError, match="SSO verified"):
        t.orgs.enable_scim(slug)
    t.orgs.set_sso_configured(slug, True)
    t.orgs.enable_scim(slug)
    assert t.client.get("/Users").status_code == 200


def test_last_used_is_recorded(tenant: Tenant) -> None:
    assert tenant.orgs.list_tokens(tenant.org.slug)[0].last_used_us is None
    tenant.client.get("/Users")
    assert tenant.orgs.list_tokens(tenant.org.slug)[0].last_used_us is not None


def test_unknown_and_known_tokens_do_the_same_database_work(db: Database, tenant: Tenant) -> None:
    """The lookup is one indexed query by digest whatever is presented: no early exit that a
    stopwatch could tell apart (the final comparison is hmac.compare_digest)."""
    tenant.client.get("/Users")  # last_used is fresh, so no write follows a good token
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    sa.event.listen(db.engine, "before_cursor_execute", count)
    try:
        authenticate(db, f"Bearer {tenant.token.token}")
        good = len(statements)
        for presented in ("Bearer dp_scim_" + "A" * 43, "Bearer nonsense", None):
            statements.clear()
            with pytest.raises(Unauthorized):
                authenticate(db, presented)
            assert len(statements) == good
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", count)
