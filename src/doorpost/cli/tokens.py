"""`doorpost token`: SCIM bearer tokens (shown once, stored as digests, at most two active)."""

from __future__ import annotations

from typing import Optional

import typer

from doorpost.cli.context import admin_errors, organizations, tenant_url
from doorpost.cli.output import emit_json, table, when

app = typer.Typer(help="Create, list and revoke SCIM tokens.", no_args_is_help=True)


@app.command("create")
@admin_errors
def create(org: str, name: Optional[str] = typer.Option(None, help="A label for the token."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create a token. It is printed once and cannot be shown again."""
    issued = organizations().create_token(org, name)
    if as_json:
        emit_json({"id": issued.record.id, "name": issued.record.name, "token": issued.token,
                   "tenant_url": tenant_url()})
        return
    typer.echo(f"Tenant URL:   {tenant_url()}")
    typer.echo(f"Secret token: {issued.token}")
    typer.echo("Copy the token now: it is stored only as a digest and will not be shown again.")


@app.command("list")
@admin_errors
def list_(org: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List an organization's tokens (never their secrets)."""
    records = organizations().list_tokens(org)
    if as_json:
        emit_json([{"id": r.id, "name": r.name, "prefix": r.prefix, "created": when(r.created_us),
                    "last_used": when(r.last_used_us) if r.last_used_us else None,
                    "revoked": when(r.revoked_us) if r.revoked_us else None} for r in records])
        return
    table(["ID", "NAME", "PREFIX", "CREATED", "LAST USED", "STATUS"],
          [[r.id, r.name, r.prefix + "…", when(r.created_us), when(r.last_used_us),
            "active" if r.active else f"revoked {when(r.revoked_us)}"] for r in records])


@app.command("revoke")
@admin_errors
def revoke(org: str, token_id: str,
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Revoke a token: the very next request with it is refused."""
    organizations().revoke_token(org, token_id)
    emit_json({"id": token_id, "revoked": True}) if as_json else typer.echo(
        f"revoked token {token_id}")
