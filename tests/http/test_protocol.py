"""HTTP-level protocol rules: media types, body limits, errors for every path, isolation."""

from __future__ import annotations

import httpx
import pytest

from doorpost.app import create_app
from doorpost.config import Settings
from doorpost.scim.discovery import Limits
from doorpost.service.scim import ScimService
from tests.conftest import LiveServer, Tenant, group_body, user_body

SCIM_JSON = "application/scim+json"


def test_accepts_application_json_and_answers_scim_json(tenant: Tenant) -> None:
    r = tenant.client.post("/Users", content=httpx.Request(
        "POST", "http://x", json=user_body("json@example.com")).content,
        headers={"Content-Type": "application/json", "Accept": "application/json"})
    assert r.status_code == 201
    assert r.headers["content-type"].startswith(SCIM_JSON)
    r = tenant.client.post("/Users", content=b'{"schemas":["urn:ietf:params:scim:schemas:core:'
                           b'2.0:User"],"userName":"cs@example.com"}',
                           headers={"Content-Type": "application/scim+json; charset=utf-8"})
    assert r.status_code == 201


@pytest.mark.parametrize("method, path, content, headers, status, scim_type", [
    ("POST", "/Users", b"{not json", {"Content-Type": SCIM_JSON}, 400, "invalidSyntax"),
    ("POST", "/Users", b"", {"Content-Type": SCIM_JSON}, 400, "invalidSyntax"),
    ("POST", "/Users", b"userName=x", {"Content-Type": "text/plain"}, 415, None),
    ("POST", "/Users", b"a=b", {"Content-Type": "application/x-www-form-urlencoded"}, 415, None),
    ("PUT", "/Users", b"{}", {"Content-Type": SCIM_JSON}, 405, None),
    ("DELETE", "/Groups", b"", {}, 405, None),
    ("PATCH", "/ServiceProviderConfig", b"{}", {"Content-Type": SCIM_JSON}, 405, None),
    ("GET", "/Widgets", b"", {}, 404, None),
    ("GET", "/Users/a/b", b"", {}, 404, None),
    ("GET", "/Users/no-such-id", b"", {}, 404, None),
    ("GET", "/Schemas/urn:nope", b"", {}, 404, None),
    ("GET", "", b"", {}, 404, None),
])
def test_every_error_is_a_scim_error(tenant: Tenant, method: str, path: str, content: bytes,
                                     headers: dict[str, str], status: int,
                                     scim_type: str | None) -> None:
    r = tenant.client.request(method, path, content=content, headers=headers)
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(SCIM_JSON)
    body = r.json()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)
    assert body.get("scimType") == scim_type
    assert body["detail"]


def test_body_over_the_limit_is_413_and_advertised(tenant: Tenant, server: LiveServer) -> None:
    limit = server.settings.limits.max_body_bytes
    big = user_body("big@example.com", title="x" * (limit + 1))
    r = tenant.post("/Users", big)
    assert r.status_code == 413 and r.json()["status"] == "413"
    assert str(limit) in tenant.client.get("/ServiceProviderConfig").text
    assert tenant.client.get("/Users").json()["totalResults"] == 0


def test_chunked_body_over_the_limit_is_413(tenant: Tenant, server: LiveServer) -> None:
    limit = server.settings.limits.max_body_bytes

    def chunks():  # type: ignore[no-untyped-def]
        yield b'{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"'
        for _ in range(limit // 65536 + 2):
            yield b"a" * 65536
        yield b'"}'
    r = tenant.client.post("/Users", content=chunks(), headers={"Content-Type": SCIM_JSON})
    assert r.status_code == 413


def test_routes_tolerate_case_and_double_slashes(tenant: Tenant) -> None:
    created = tenant.post("/Users", user_body("route@example.com")).json()
    assert tenant.client.get(f"/users/{created['id']}").status_code == 200
    assert tenant.client.get(f"{tenant.base}//Users/{created['id']}").status_code == 200
    assert tenant.client.get("/users?aadOptscim062020").status_code == 200


def test_unexpected_failure_is_a_scim_500_without_trace(monkeypatch: pytest.MonkeyPatch,
                                                        tenant: Tenant, server: LiveServer) -> None:
    def explode(*args: object, **kwargs: object) -> None:
        raise RuntimeError("secret internals")
    monkeypatch.setattr(ScimService, "list_resources", explode)
    app = create_app(Settings(database_url=server.settings.database_url, limits=Limits()))
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    import asyncio

    async def call() -> httpx.Response:
        async with httpx.AsyncClient(transport=transport, base_url="http://t/scim/v2") as c:
            return await c.get("/Users", headers={
                "Authorization": f"Bearer {tenant.token.token}"})
    r = asyncio.run(call())
    assert r.status_code == 500
    assert r.headers["content-type"].startswith(SCIM_JSON)
    assert r.json()["status"] == "500"
    assert "secret internals" not in r.text and "Traceback" not in r.text


def test_healthz_and_livez(server: LiveServer) -> None:
    r = httpx.get(server.url + "/healthz")
    assert r.status_code == 200 and r.json()["status"] == "ok"
    assert httpx.get(server.url + "/livez").text == "ok"


def test_healthz_reports_an_unreachable_database() -> None:
    import asyncio
    app = create_app(Settings(database_url="postgresql+psycopg://nobody@127.0.0.1:1/none"))

    async def call() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
            return await c.get("/healthz")
    r = asyncio.run(call())
    assert r.status_code == 503 and r.json()["database"] == "unreachable"


def test_organizations_are_isolated(tenant: Tenant, other_tenant: Tenant) -> None:
    user = other_tenant.post("/Users", user_body("secret@example.com")).json()
    group = other_tenant.post("/Groups", group_body("Their Vault", [user["id"]])).json()
    for kind, id_ in (("Users", user["id"]), ("Groups", group["id"])):
        assert tenant.client.get(f"/{kind}/{id_}").status_code == 404
        assert tenant.client.delete(f"/{kind}/{id_}").status_code == 404
        assert tenant.patch(f"/{kind}/{id_}", {"op": "replace", "path": "externalId",
                                               "value": "pwned"}).status_code == 404
    assert tenant.client.put(f"/Users/{user['id']}", json=user_body("x@example.com")
                             ).status_code == 404
    assert tenant.client.get("/Users").json()["totalResults"] == 0
    assert tenant.client.get("/Users", params={"filter": f'id eq "{user["id"]}"'}
                             ).json()["totalResults"] == 0
    assert tenant.client.get("/Groups", params={"filter": f'members[value eq "{user["id"]}"]'}
                             ).json()["totalResults"] == 0
    # the same userName and displayName are free in another organization
    assert tenant.post("/Users", user_body("secret@example.com")).status_code == 201
    assert tenant.post("/Groups", group_body("Their Vault")).status_code == 201
    theirs = other_tenant.client.get(f"/Groups/{group['id']}").json()
    assert theirs.get("externalId") is None and [m["value"] for m in theirs["members"]] == [
        user["id"]]
