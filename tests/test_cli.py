"""The `doorpost` CLI, end to end on a real database, with tokens used over HTTP."""

from __future__ import annotations

import json
import uuid

import httpx
import pytest
from typer.testing import CliRunner

from doorpost.cli.main import app
from tests.conftest import LiveServer


@pytest.fixture
def cli(database_url: str, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("DOORPOST_DATABASE_URL", database_url)
    monkeypatch.delenv("DOORPOST_PUBLIC_URL", raising=False)
    return CliRunner()


def run(cli: CliRunner, *args: str, code: int = 0) -> str:
    result = cli.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def test_operator_flow(cli: CliRunner, server: LiveServer) -> None:
    run(cli, "db", "upgrade")
    assert "no drift" in run(cli, "db", "check")
    slug = f"acme-{uuid.uuid4().hex[:6]}"
    created = json.loads(run(cli, "org", "create", "Acme Corp", "--slug", slug, "--json"))
    assert created["slug"] == slug and created["licensed"] is False
    refused = run(cli, "scim", "enable", slug, code=1)
    assert "Organization license" in refused and "SSO" in refused
    run(cli, "org", "license", slug)
    run(cli, "org", "sso", slug)
    assert json.loads(run(cli, "scim", "enable", slug, "--json"))["scim_enabled"] is True
    listed = json.loads(run(cli, "org", "list", "--json"))
    assert any(o["slug"] == slug and o["scim_enabled"] for o in listed)

    issued = json.loads(run(cli, "token", "create", slug, "--name", "Entra", "--json"))
    assert issued["token"].startswith("dp_scim_")
    assert issued["tenant_url"] == "http://127.0.0.1:8000/scim/v2"
    url = f"{server.scim_url}/Users"
    headers = {"Authorization": f"Bearer {issued['token']}"}
    assert httpx.get(url, headers=headers).status_code == 200

    tokens = json.loads(run(cli, "token", "list", slug, "--json"))
    assert [t["name"] for t in tokens] == ["Entra"]
    assert issued["token"] not in json.dumps(tokens)
    assert "dp_scim_" in run(cli, "token", "list", slug)

    run(cli, "token", "create", slug)
    third = run(cli, "token", "create", slug, code=1)
    assert "revoke one" in third

    run(cli, "token", "revoke", slug, issued["id"])
    assert httpx.get(url, headers=headers).status_code == 401
    run(cli, "token", "revoke", slug, issued["id"], code=1)

    run(cli, "scim", "disable", slug)
    assert "SCIM disabled" not in run(cli, "org", "list")  # table, not a message
    assert run(cli, "org", "create", "Acme Corp", "--slug", slug, code=1)
    assert "not a valid slug" in run(cli, "org", "create", "X", "--slug", "Bad Slug!", code=1)
    assert "No organization" in run(cli, "token", "list", "nope-nope", code=1)


def test_demo_keeps_its_own_token_and_touches_no_other(cli: CliRunner,
                                                        server: LiveServer) -> None:
    import socket

    from doorpost.service.organizations import Organizations
    from doorpost.store.database import Database

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = str(probe.getsockname()[1])

    def works(token: str) -> bool:
        r = httpx.get(f"{server.scim_url}/Users", headers={"Authorization": f"Bearer {token}"})
        return r.status_code == 200
    first = json.loads(run(cli, "demo", "--port", port, "--json"))
    assert first["tenant_url"] == f"http://127.0.0.1:{port}/scim/v2" and works(first["token"])
    db = Database(server.settings.database_url, pool_size=1)
    idp = Organizations(db).create_token("demo", "Entra ID").token  # the owner's own token
    for _ in range(3):  # restarts keep the demo token, mint nothing, revoke nothing
        again = json.loads(run(cli, "demo", "--port", port, "--json"))
        assert again["token"] is None and first["token"].startswith(again["token_prefix"])
    assert works(first["token"]) and works(idp)
    assert "dp_scim_" in run(cli, "demo", "--port", port)
    renewed = json.loads(run(cli, "demo", "--port", port, "--new-token", "--json"))
    assert works(renewed["token"]) and not works(first["token"]) and works(idp)
    with socket.socket() as taken:  # a port in use: refused before anything is minted
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = str(taken.getsockname()[1])
        before = len(Organizations(db).list_tokens("demo"))
        assert "already in use" in run(cli, "demo", "--port", busy, "--new-token", code=1)
        assert len(Organizations(db).list_tokens("demo")) == before
    assert works(renewed["token"])
    db.dispose()


def test_dialect_pin_activity_and_doors(cli: CliRunner, server: LiveServer) -> None:
    slug = f"doors-{uuid.uuid4().hex[:6]}"
    run(cli, "org", "create", "Doors Inc", "--slug", slug, "--licensed", "--sso-configured")
    run(cli, "scim", "enable", slug)
    assert "entra" in run(cli, "org", "dialect", slug, "entra")
    assert json.loads(run(cli, "org", "list", "--json"))[-1]["dialect"] in ("entra", None)
    assert "unknown dialect" in run(cli, "org", "dialect", slug, "klingon", code=1)
    token = json.loads(run(cli, "token", "create", slug, "--json"))["token"]
    scim = httpx.Client(base_url=server.scim_url, headers={"Authorization": f"Bearer {token}"})
    user = scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                     "userName": "door@example.com"}).json()
    group = scim.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                       "displayName": "Lobby",
                                       "members": [{"value": user["id"]}]}).json()
    door = json.loads(run(cli, "door", "create", slug, "Front door", "--json"))
    run(cli, "door", "grant", slug, "Front door", group["id"])
    assert "ALLOW" in run(cli, "door", "check", slug, user["id"], door["id"])
    scim.patch(f"/Users/{user['id']}", json={
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]})
    denied = run(cli, "door", "check", slug, user["id"], "Front door", code=1)
    assert "DENY" in denied and "active: false" in denied
    import time
    deadline = time.monotonic() + 5
    rows: list[dict[str, object]] = []
    while time.monotonic() < deadline and not rows:
        rows = json.loads(run(cli, "org", "activity", slug, "--normalized", "--json"))
        time.sleep(0.05)
    assert rows[0]["dialect"] == "entra (pinned)"
    assert {"op-case", "boolean-string"} <= {n["rule"] for n in rows[0]["notes"]}  # type: ignore[union-attr]
    assert "boolean-string" in run(cli, "org", "activity", slug)
    assert [d["name"] for d in json.loads(run(cli, "door", "list", slug, "--json"))] == [
        "Front door"]


def test_bulk_import_validates_like_the_api(cli: CliRunner, server: LiveServer,
                                            tmp_path: object) -> None:
    from pathlib import Path
    slug = f"bulk-{uuid.uuid4().hex[:6]}"
    run(cli, "org", "create", "Bulk", "--slug", slug, "--licensed", "--sso-configured")
    run(cli, "scim", "enable", slug)
    lines = [json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                         "userName": f"bulk{i}@example.com", "externalId": f"b-{i}",
                         "active": "True" if i % 2 else True,
                         "emails": [{"type": "work", "value": f"bulk{i}@example.com"}]})
             for i in range(2500)]
    lines += ['{"userName": 5}', "not json", json.dumps({"userName": "BULK7@example.com"})]
    path = Path(str(tmp_path)) / "users.jsonl"
    path.write_text("\n".join(lines))
    result = cli.invoke(app, ["import", "users", slug, str(path), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["created"] == 2500
    assert [e["line"] for e in report["errors"]] == [2501, 2502, 2503]
    assert "already taken" in report["errors"][2]["detail"]
    token = json.loads(run(cli, "token", "create", slug, "--json"))["token"]
    scim = httpx.Client(base_url=server.scim_url, headers={"Authorization": f"Bearer {token}"})
    found = scim.get("/Users", params={
        "filter": 'emails[type eq "work"].value eq "bulk42@example.com"'}).json()
    assert found["totalResults"] == 1 and found["Resources"][0]["externalId"] == "b-42"
    assert scim.get("/Users", params={"count": 0}).json()["totalResults"] == 2500
    assert scim.get("/Users", params={"filter": "active eq true", "count": 0}
                    ).json()["totalResults"] == 2500


def test_owner_create_prints_a_one_time_link(cli: CliRunner, server: LiveServer) -> None:
    slug = f"own-{uuid.uuid4().hex[:6]}"
    run(cli, "org", "create", "Own", "--slug", slug, "--licensed")
    out = json.loads(run(cli, "owner", "create", slug, f"boss-{slug}@example.com", "--json"))
    assert out["set_password_url"].startswith("http://127.0.0.1:8000/admin/set-password?token=")
    token = out["set_password_url"].split("token=")[1]
    assert httpx.get(f"{server.url}/admin/set-password", params={"token": token}
                     ).status_code == 200
    assert "an owner of" in run(cli, "owner", "create", slug, f"boss-{slug}@example.com",
                                code=1)
    assert "not an email address" in run(cli, "owner", "create", slug, "nope", code=1)
    text = run(cli, "owner", "create", slug, f"second-{slug}@example.com")
    assert "/admin/set-password?token=" in text
    invited = json.loads(run(cli, "owner", "invite", slug, f"third-{slug}@example.com",
                             "--json"))
    assert invited["delivery"].startswith("written to the operator's log")
    owners = json.loads(run(cli, "owner", "list", slug, "--json"))
    assert sorted(o["email"] for o in owners) == sorted(
        f"{who}-{slug}@example.com" for who in ("boss", "second", "third"))
    assert {o["status"] for o in owners} == {"invited"}
    fresh = json.loads(run(cli, "owner", "reset", slug, f"boss-{slug}@example.com", "--json"))
    assert httpx.get(f"{server.url}/admin/set-password", params={"token": token}
                     ).status_code == 400  # the older link stopped working
    new_token = fresh["set_password_url"].split("token=")[1]
    assert httpx.get(f"{server.url}/admin/set-password", params={"token": new_token}
                     ).status_code == 200
    assert "set-password?token=" in run(cli, "owner", "link", slug, f"boss-{slug}@example.com")
    run(cli, "owner", "remove", slug, f"third-{slug}@example.com", "--json")
    run(cli, "owner", "remove", slug, f"second-{slug}@example.com")
    assert "at least one owner" in run(cli, "owner", "remove", slug,
                                       f"boss-{slug}@example.com", code=1)
    assert "not an owner" in run(cli, "owner", "remove", slug, "x@example.com", code=1)


def test_every_printing_command_takes_json() -> None:
    """Scripts can rely on --json everywhere (serve and worker run until stopped and only
    say that they started)."""
    import typer.main as tm
    root = tm.get_command(app)
    missing = []
    for group_name, group in root.commands.items():  # type: ignore[attr-defined]
        commands = group.commands.items() if hasattr(group, "commands") else [(group_name, group)]
        for name, command in commands:
            if name in ("serve", "worker", "revision"):
                continue
            if "--json" not in {o for p in command.params for o in getattr(p, "opts", [])}:
                missing.append(f"{group_name} {name}")
    assert missing == []


def test_db_commands_json(cli: CliRunner) -> None:
    upgraded = json.loads(run(cli, "db", "upgrade", "--json"))
    assert upgraded["upgraded_to"] == "head" and upgraded["created"] is False
    assert json.loads(run(cli, "db", "check", "--json")) == {"drift": []}


def test_sso_set_show_unset(cli: CliRunner, tmp_path: object, monkeypatch: pytest.MonkeyPatch
                            ) -> None:
    from pathlib import Path

    from tests.console.test_console_http import METADATA
    monkeypatch.setenv("DOORPOST_PUBLIC_URL", "https://doors.example.com")
    slug = f"sso-{uuid.uuid4().hex[:6]}"
    run(cli, "org", "create", "SSO Corp", "--slug", slug, "--licensed")
    path = Path(str(tmp_path)) / "idp.xml"
    path.write_text(METADATA)
    assert "exactly one" in run(cli, "sso", "set", slug, code=1)
    saved = json.loads(run(cli, "sso", "set", slug, "--metadata-file", str(path), "--json"))
    assert saved["idp_entity_id"] == "https://sts.windows.net/tenant-1/"
    shown = json.loads(run(cli, "sso", "show", slug, "--json"))
    assert shown["entity_id"] == f"https://doors.example.com/saml/{slug}/metadata"
    assert shown["acs_url"] == f"https://doors.example.com/saml/{slug}/acs"
    assert shown["certificate"].startswith("-----BEGIN CERTIFICATE-----")
    assert shown["verified"] is False  # saved is not verified: Test SSO verifies
    assert "Reply URL (ACS)" in run(cli, "sso", "show", slug)
    assert "PRIVATE KEY" not in run(cli, "sso", "show", slug)
    run(cli, "org", "sso", slug)  # the operator's flag, for scripted setups
    assert json.loads(run(cli, "sso", "show", slug, "--json"))["verified"] is True
    assert json.loads(run(cli, "sso", "unset", slug, "--json"))["removed"] is True
    assert json.loads(run(cli, "sso", "show", slug, "--json"))["verified"] is False
    bad = path.with_name("bad.xml")
    bad.write_text("<x/>")
    assert "error" in run(cli, "sso", "set", slug, "--metadata-file", str(bad), code=1).lower()


def test_places_suspension_and_webhooks(cli: CliRunner, server: LiveServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    slug = f"feed-{uuid.uuid4().hex[:6]}"
    run(cli, "org", "create", "Feed Inc", "--slug", slug, "--licensed", "--sso-configured")
    run(cli, "scim", "enable", slug)
    token = json.loads(run(cli, "token", "create", slug, "--json"))["token"]
    scim = httpx.Client(base_url=server.scim_url, headers={"Authorization": f"Bearer {token}"})
    user = scim.post("/Users", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                                     "userName": "feed@example.com"}).json()["id"]
    group = scim.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                       "displayName": "Crew",
                                       "members": [{"value": user}]}).json()["id"]
    place = json.loads(run(cli, "place", "create", slug, "Depot", "--json"))
    assert json.loads(run(cli, "place", "list", slug, "--json")) == [place]
    door = json.loads(run(cli, "door", "create", slug, "Gate", "--place", "Depot", "--json"))
    assert door["place"] == place["id"]
    assert "No place" in run(cli, "door", "create", slug, "X", "--place", "Nowhere", code=1)
    run(cli, "door", "grant", slug, "Gate", group)
    listed = json.loads(run(cli, "door", "list", slug, "--json"))
    assert listed[0]["groups"] == [{"id": group, "displayName": "Crew"}]
    run(cli, "door", "check", slug, user, "Gate")
    suspended = json.loads(run(cli, "member", "suspend", slug, user, "--reason", "audit",
                               "--json"))
    assert suspended["suspended"] is True
    assert "suspended in Doorpost by cli" in run(cli, "door", "check", slug, user, "Gate",
                                                 code=1)
    assert "already" in run(cli, "member", "suspend", slug, user, code=1)
    run(cli, "member", "unsuspend", slug, user, "--json")
    run(cli, "door", "check", slug, user, "Gate")
    assert json.loads(run(cli, "door", "revoke", slug, "Gate", group, "--json"))[
        "granted"] is False
    assert "does not open" in run(cli, "door", "revoke", slug, "Gate", group, code=1)

    assert "https" in run(cli, "webhook", "add", slug, "http://127.0.0.1:9/x", code=1)
    assert "DOORPOST_WEBHOOK_ALLOW_INSECURE" in run(
        cli, "webhook", "add", slug, "http://127.0.0.1:9/x", "--allow-insecure", code=1)
    monkeypatch.setenv("DOORPOST_WEBHOOK_ALLOW_INSECURE", "1")
    added = json.loads(run(cli, "webhook", "add", slug, "http://127.0.0.1:9/x",
                           "--allow-insecure", "--events", "access.*,user.deleted",
                           "--json"))
    assert added["secret"].startswith("whsec_") and added["events"] == ["access.*",
                                                                        "user.deleted"]
    assert "Unknown event type" in run(cli, "webhook", "add", slug, "http://127.0.0.1:9/y",
                                       "--allow-insecure", "--events", "acess.*", code=1)
    hooks = json.loads(run(cli, "webhook", "list", slug, "--json"))
    assert [h["id"] for h in hooks] == [added["id"]] and added["secret"] not in json.dumps(hooks)
    run(cli, "webhook", "pause", slug, added["id"])
    assert json.loads(run(cli, "webhook", "list", slug, "--json"))[0]["paused"] is True
    run(cli, "webhook", "resume", slug, added["id"], "--json")
    assert json.loads(run(cli, "webhook", "dead", slug, added["id"], "--json")) == []
    assert json.loads(run(cli, "webhook", "replay", slug, added["id"], "--json"))[
        "replaying"] == 0
    assert json.loads(run(cli, "webhook", "attempts", slug, added["id"], "--json")) == []
    types = {e["type"] for e in json.loads(run(cli, "webhook", "events", "--json"))}
    assert {"access.revoked", "access.granted", "user.deactivated"} <= types
    run(cli, "webhook", "remove", slug, added["id"])
    assert "No webhook" in run(cli, "webhook", "remove", slug, added["id"], code=1)
    scim.close()
