"""`doorpost apikey`: keys of the access API (door controllers and readers)."""

from __future__ import annotations

import typer

from doorpost.cli.context import admin_errors, database
from doorpost.cli.output import emit_json, table, when
from doorpost.service.access_api import AccessApi

app = typer.Typer(help="API keys for the access API (/api/v1): shown once, revocable.",
                  no_args_is_help=True)


@app.command("create")
@admin_errors
def create(org: str, name: str = typer.Option(..., "--name", help="What uses the key."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create a key; it is printed once and stored only as a digest."""
    key, secret = AccessApi(database()).create_key(org, name)
    if as_json:
        emit_json({"id": key.id, "name": key.name, "prefix": key.prefix, "key": secret})
        return
    typer.echo(f"API key {key.name!r} ({key.id}):\n  {secret}\n(shown once: copy it now)")


@app.command("list")
@admin_errors
def list_(org: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List keys (never the secrets)."""
    keys = AccessApi(database()).keys(org)
    if as_json:
        emit_json([{"id": k.id, "name": k.name, "prefix": k.prefix, "active": k.active,
                    "created_us": k.created_us, "last_used_us": k.last_used_us}
                   for k in keys])
        return
    table(["id", "name", "prefix", "active", "last used"],
          [[k.id, k.name, k.prefix, "yes" if k.active else "no", when(k.last_used_us)]
           for k in keys])


@app.command("revoke")
@admin_errors
def revoke(org: str, key_id: str,
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Revoke a key: the next request with it is refused."""
    AccessApi(database()).revoke_key(org, key_id)
    emit_json({"id": key_id, "revoked": True}) if as_json else typer.echo(
        f"revoked API key {key_id}")
