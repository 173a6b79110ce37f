"""`doorpost serve` and `doorpost demo`: run the server; set up a demo organization."""

from __future__ import annotations

import typer
import uvicorn

from doorpost.cli.context import admin_errors, organizations, tenant_url
from doorpost.cli.output import emit_json
from doorpost.service.organizations import MAX_ACTIVE_TOKENS

DEMO_SLUG = "demo"


@admin_errors
def serve(host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          workers: int = typer.Option(1, help="Worker processes (stateless; add freely)."),
          ) -> None:
    """Serve the SCIM API (and /healthz) with uvicorn."""
    typer.echo(f"Doorpost SCIM endpoint: {tenant_url(host, port)}")
    uvicorn.run("doorpost.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=False, proxy_headers=True)


@admin_errors
def demo(host: str = typer.Option("127.0.0.1", help="Host the server will listen on."),
         port: int = typer.Option(8000, help="Port the server will listen on."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Ensure a demo organization with SCIM enabled, and print a fresh token once."""
    orgs = organizations()
    if not any(o.slug == DEMO_SLUG for o in orgs.all()):
        orgs.create("Demo Organization", slug=DEMO_SLUG, licensed=True, sso_configured=True)
    orgs.enable_scim(DEMO_SLUG)
    active = [t for t in orgs.list_tokens(DEMO_SLUG) if t.active]
    for old in active[: max(0, len(active) - MAX_ACTIVE_TOKENS + 1)]:
        orgs.revoke_token(DEMO_SLUG, old.id)  # keep rotation room: oldest demo token goes
    issued = orgs.create_token(DEMO_SLUG, "demo")
    url = tenant_url(host, port)
    if as_json:
        emit_json({"organization": DEMO_SLUG, "tenant_url": url, "token": issued.token})
        return
    typer.echo("")
    typer.echo("  Point your identity provider at Doorpost:")
    typer.echo(f"    Tenant URL:   {url}")
    typer.echo(f"    Secret token: {issued.token}")
    typer.echo("  (shown once; run `make serve` again for a new one)")
    typer.echo("")
    typer.echo(f"  Owner console: {url.removesuffix('/scim/v2')}/admin")
    typer.echo(f"    (create an owner: doorpost owner create {DEMO_SLUG} you@example.com)")
    typer.echo("")
