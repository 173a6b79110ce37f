"""`doorpost owner`: console accounts for organization owners."""

from __future__ import annotations

from urllib.parse import quote

import typer

from doorpost.cli.context import admin_errors, database, settings
from doorpost.cli.output import emit_json
from doorpost.service.owners import SETUP_LINK_SECONDS, Owners

app = typer.Typer(help="Owner accounts for the console at /admin.", no_args_is_help=True)


@app.command("create")
@admin_errors
def create(org: str, email: str,
           base_url: str = typer.Option("", help="Public URL of this server "
                                        "(default: DOORPOST_PUBLIC_URL or http://127.0.0.1:8000)."),
           as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create an owner and print a one-time link to set the password (valid 72 hours)."""
    owner, token = Owners(database()).create(org, email)
    root = (base_url or settings().public_url or "http://127.0.0.1:8000").rstrip("/")
    link = f"{root}/admin/set-password?token={quote(token)}"
    if as_json:
        emit_json({"id": owner.id, "email": owner.email, "set_password_url": link})
        return
    typer.echo(f"Owner {owner.email} created for '{org}'.")
    typer.echo(f"Send them this one-time link to set a password "
               f"(valid {SETUP_LINK_SECONDS // 3600} hours):")
    typer.echo(f"  {link}")
