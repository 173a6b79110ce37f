"""`doorpost org`: organizations and their license / SSO / dialect settings."""

from __future__ import annotations

from typing import Optional

import typer

from doorpost.cli.context import admin_errors, database, organizations
from doorpost.cli.output import emit_json, fail, table, when
from doorpost.service.activity import recent_activity
from doorpost.scim.dialects.registry import DIALECTS

app = typer.Typer(help="Create and inspect organizations.", no_args_is_help=True)


@app.command("create")
@admin_errors
def create(
    name: str = typer.Argument(..., help="The organization's name."),
    slug: Optional[str] = typer.Option(None, help="URL-safe id; derived from NAME if omitted."),
    licensed: bool = typer.Option(False, "--licensed", help="Holds the Organization license."),
    sso_configured: bool = typer.Option(False, "--sso-configured", help="SSO is set up."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Create an organization."""
    org = organizations().create(name, slug=slug, licensed=licensed, sso_configured=sso_configured)
    if as_json:
        emit_json(org.to_json())
    else:
        typer.echo(f"created organization '{org.slug}' ({org.name})")


@app.command("list")
@admin_errors
def list_(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List organizations."""
    orgs = organizations().all()
    if as_json:
        emit_json([o.to_json() for o in orgs])
        return
    table(["SLUG", "NAME", "LICENSED", "SSO", "SCIM", "DIALECT"],
          [[o.slug, o.name, _yn(o.licensed), _yn(o.sso_configured), _yn(o.scim_enabled),
            o.dialect or "auto"] for o in orgs])


@app.command("license")
@admin_errors
def license_(org: str, revoke: bool = typer.Option(False, "--revoke", help="Take it away."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Grant (or --revoke) the Organization license."""
    updated = organizations().set_license(org, not revoke)
    emit_json(updated.to_json()) if as_json else typer.echo(
        f"'{org}' license: {_yn(updated.licensed)}")


@app.command("sso")
@admin_errors
def sso(org: str, unset: bool = typer.Option(False, "--unset", help="Mark SSO as not set up."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Mark SSO as verified (or --unset) without a Test SSO: for scripted setups and tests.

    Normally an owner saves the IdP metadata and presses Test SSO in the console (or an
    operator runs `doorpost sso set`); this flag skips that sign-in check."""
    updated = organizations().set_sso_configured(org, not unset)
    emit_json(updated.to_json()) if as_json else typer.echo(
        f"'{org}' SSO configured: {_yn(updated.sso_configured)}")


@app.command("dialect")
@admin_errors
def dialect(org: str, name: str = typer.Argument(..., help="auto, or one of: "
                                                 + ", ".join(DIALECTS)),
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Pin the identity-provider dialect of an organization ('auto' detects per request)."""
    if name != "auto" and name not in DIALECTS:
        fail(f"unknown dialect '{name}'; choose auto or one of {', '.join(DIALECTS)}")
    updated = organizations().set_dialect(org, None if name == "auto" else name)
    emit_json(updated.to_json()) if as_json else typer.echo(
        f"'{org}' dialect: {updated.dialect or 'auto'}")


def _yn(value: bool) -> str:
    return "yes" if value else "no"


@app.command("activity")
@admin_errors
def activity(org: str, limit: int = typer.Option(50, help="How many requests, newest first."),
             normalized: bool = typer.Option(False, "--normalized",
                                             help="Only requests where a normalization fired."),
             as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Recent SCIM requests of an organization, with the dialect and normalizations applied."""
    rows = recent_activity(database(), org, limit, normalized_only=normalized)
    if as_json:
        emit_json([r.to_json() for r in rows])
        return
    table(["TIME", "METHOD", "PATH", "STATUS", "MS", "DIALECT", "NORMALIZED"],
          [[when(r.time_us), r.method, r.path, r.status, f"{r.latency_us / 1000:.1f}",
            r.dialect or "-", "; ".join(n["rule"] for n in r.notes) or "-"] for r in rows])
