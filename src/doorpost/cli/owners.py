"""`doorpost owner`: console accounts for organization owners (several per organization;
one person may own several organizations)."""

from __future__ import annotations

import typer

from doorpost.cli.context import admin_errors, database, settings
from doorpost.cli.output import emit_json, table, when
from doorpost.service.mail import sender_from
from doorpost.service.errors import NotFoundError
from doorpost.service.owners import SETUP_LINK_SECONDS, Owners, set_password_link

JSON = typer.Option(False, "--json", help="Print JSON.")
BASE = typer.Option("", "--base-url", help="Public URL of this server (default: "
                    "DOORPOST_PUBLIC_URL or http://127.0.0.1:8000).")
app = typer.Typer(help="Owner accounts for the console at /admin.", no_args_is_help=True)


def _link(base_url: str, token: str) -> str:
    root = (base_url or settings().public_url or "http://127.0.0.1:8000").rstrip("/")
    return set_password_link(root, token)


def _invite(org: str, email: str, base_url: str, as_json: bool, send: bool) -> None:
    owner, token = Owners(database()).create(org, email)
    link = _link(base_url, token)
    how = None
    if send:
        config = settings()
        how = sender_from(config.smtp_url, config.mail_from).send(
            owner.email, f"You are invited to own '{org}' in Doorpost",
            f"Set your password within {SETUP_LINK_SECONDS // 3600} hours:", link)
    if as_json:
        emit_json({"id": owner.id, "email": owner.email, "set_password_url": link,
                   "delivery": how})
        return
    typer.echo(f"Owner {owner.email} added to '{org}'." + (f" The link was {how}." if how
                                                           else ""))
    typer.echo(f"One-time link to set a password (valid {SETUP_LINK_SECONDS // 3600} hours):")
    typer.echo(f"  {link}")


@app.command("create")
@admin_errors
def create(org: str, email: str, base_url: str = BASE, as_json: bool = JSON) -> None:
    """Add an owner and print a one-time link to set the password (valid 72 hours)."""
    _invite(org, email, base_url, as_json, send=False)


@app.command("invite")
@admin_errors
def invite(org: str, email: str, base_url: str = BASE, as_json: bool = JSON) -> None:
    """Add an owner and send the link (by SMTP when configured, else to the log); the link
    is printed too."""
    _invite(org, email, base_url, as_json, send=True)


@app.command("list")
@admin_errors
def list_(org: str, as_json: bool = JSON) -> None:
    """The organization's owners."""
    rows = Owners(database()).owners(org)
    if as_json:
        emit_json([{"id": o.id, "email": o.email, "created_us": created,
                    "status": "active" if has else "invited"} for o, created, has in rows])
        return
    table(["ID", "EMAIL", "SINCE", "STATUS"],
          [[o.id, o.email, when(created), "active" if has else "invited"]
           for o, created, has in rows])


@app.command("reset")
@admin_errors
def reset(org: str, email: str, base_url: str = BASE, as_json: bool = JSON) -> None:
    """A new one-time set-password link for an owner (lost password, expired invitation);
    their older link stops working."""
    owner, token = Owners(database()).link(org, email)
    link = _link(base_url, token)
    emit_json({"id": owner.id, "email": owner.email, "set_password_url": link}) if as_json \
        else typer.echo(f"New one-time link for {owner.email} (valid "
                        f"{SETUP_LINK_SECONDS // 3600} hours):\n  {link}")


@app.command("link")
@admin_errors
def link(org: str, email: str, base_url: str = BASE, as_json: bool = JSON) -> None:
    """Show an owner a working link when no mail server is configured (same as `reset`)."""
    reset(org, email, base_url, as_json)


@app.command("remove")
@admin_errors
def remove(org: str, email: str, as_json: bool = JSON) -> None:
    """Remove an owner (never the last one); their sessions end at once."""
    service = Owners(database())
    found = [o for o, _, _ in service.owners(org) if o.email.lower() == email.strip().lower()]
    if not found:
        raise NotFoundError(f"'{email}' is not an owner of '{org}'.")
    service.remove(org, found[0].id)
    emit_json({"email": found[0].email, "removed": True}) if as_json else typer.echo(
        f"removed {found[0].email} from '{org}'")
