"""`doorpost scim`: turn SCIM provisioning on or off for an organization."""

from __future__ import annotations

import typer

from doorpost.cli.context import admin_errors, organizations
from doorpost.cli.output import emit_json

app = typer.Typer(help="Enable or disable SCIM for an organization.", no_args_is_help=True)


@app.command("enable")
@admin_errors
def enable(org: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Enable SCIM (needs the Organization license and SSO)."""
    updated = organizations().enable_scim(org)
    emit_json(updated.to_json()) if as_json else typer.echo(f"SCIM enabled for '{org}'")


@app.command("disable")
@admin_errors
def disable(org: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Disable SCIM: every token stops working at once; no data is deleted."""
    updated = organizations().disable_scim(org)
    emit_json(updated.to_json()) if as_json else typer.echo(f"SCIM disabled for '{org}'")
