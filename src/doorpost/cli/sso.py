"""`doorpost sso`: an organization's SAML connection, for operators and scripted setups."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from doorpost.cli.context import admin_errors, database, organizations, settings
from doorpost.cli.output import emit_json, fail, when
from doorpost.service.saml import Endpoints, ServiceProvider
from doorpost.service.sso import Sso

app = typer.Typer(help="Single sign-on (SAML 2.0): the IdP metadata and the SP values.",
                  no_args_is_help=True)


def _base() -> str:
    return settings().public_url or "http://127.0.0.1:8000"


@app.command("set")
@admin_errors
def set_(org: str,
         metadata_file: Path | None = typer.Option(None, "--metadata-file",
                                                   help="IdP metadata XML file."),
         metadata_url: str | None = typer.Option(None, "--metadata-url",
                                                 help="IdP metadata URL (fetched now)."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Save the identity provider's metadata (validated). SSO is verified by a Test SSO in
    the console, or by `doorpost org sso ORG` for scripted setups."""
    if (metadata_file is None) == (metadata_url is None):
        fail("give exactly one of --metadata-file F or --metadata-url U")
    xml = metadata_file.read_text() if metadata_file is not None else None
    found = organizations().get(org)
    row = Sso(database()).save(found.id, xml=xml, url=metadata_url)
    if as_json:
        emit_json({"organization": org, "idp_entity_id": row.idp_entity_id,
                   "idp_sso_url": row.idp_sso_url, "verified": False})
        return
    typer.echo(f"saved: identity provider {row.idp_entity_id}; press Test SSO in the console "
               "to verify it")


@app.command("show")
@admin_errors
def show(org: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """The values to give the identity provider, and the saved connection."""
    found = organizations().get(org)
    endpoints = Endpoints.of(_base(), found.slug)
    keys = ServiceProvider(database()).keys(found.id, found.slug)
    connection = Sso(database()).get(found.id)
    out: dict[str, Any] = {
        "organization": found.slug, "entity_id": endpoints.entity_id,
        "acs_url": endpoints.acs_url, "sign_on_url": endpoints.sign_on_url,
        "metadata_url": endpoints.metadata_url, "certificate": keys.cert_pem,
        "verified": found.sso_configured,
        "idp_entity_id": connection.idp_entity_id if connection else None,
        "idp_sso_url": connection.idp_sso_url if connection else None,
        "last_test_us": connection.verified_us if connection else None}
    if as_json:
        emit_json(out)
        return
    for label, key in (("Identifier (Entity ID)", "entity_id"),
                       ("Reply URL (ACS)", "acs_url"), ("Sign on URL", "sign_on_url"),
                       ("SP metadata", "metadata_url"), ("Identity provider", "idp_entity_id"),
                       ("IdP sign-in URL", "idp_sso_url")):
        typer.echo(f"{label + ':':24} {out[key] or '-'}")
    typer.echo(f"{'Verified:':24} {'yes' if found.sso_configured else 'no'}"
               + (f" (last Test SSO {when(out['last_test_us'])})" if out["last_test_us"]
                  else ""))
    typer.echo(keys.cert_pem.rstrip())


@app.command("unset")
@admin_errors
def unset(org: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Forget the IdP metadata: SSO is no longer verified, so SCIM stops answering."""
    found = organizations().get(org)
    removed = Sso(database()).remove(found.id)
    if as_json:
        emit_json({"organization": org, "removed": removed})
        return
    typer.echo(f"'{org}': SSO connection {'removed' if removed else 'was not set'}; SCIM "
               "needs a verified SSO connection again")
