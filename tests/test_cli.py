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


def test_demo_prints_tenant_url_and_a_working_token(cli: CliRunner, server: LiveServer) -> None:
    first = json.loads(run(cli, "demo", "--json"))
    for _ in range(3):  # rerunnable: old demo tokens make room for the new one
        again = json.loads(run(cli, "demo", "--json"))
    assert first["tenant_url"] == "http://127.0.0.1:8000/scim/v2"
    headers = {"Authorization": f"Bearer {again['token']}"}
    assert httpx.get(f"{server.scim_url}/Users", headers=headers).status_code == 200
    text = run(cli, "demo")
    assert "Tenant URL:" in text and "dp_scim_" in text
