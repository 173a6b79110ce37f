"""`doorpost serve` and `doorpost demo`: run the server; set up a demo organization."""

from __future__ import annotations

import os
import socket
import tempfile

import typer
import uvicorn

from doorpost.cli.context import admin_errors, organizations, tenant_url
from doorpost.cli.output import emit_json, fail

DEMO_SLUG = "demo"


@admin_errors
def serve(host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
          port: int = typer.Option(8000, help="Port to listen on."),
          workers: int = typer.Option(1, min=1, help="Worker processes (stateless; about one "
                                      "per core, on PostgreSQL)."),
          graceful_timeout: int = typer.Option(
              30, min=1, help="On SIGTERM: seconds to let requests in flight finish."),
          ) -> None:
    """Serve the SCIM API, the console and the operational endpoints with uvicorn.

    SIGTERM stops accepting connections, lets requests in flight finish (up to
    --graceful-timeout seconds), writes the queued activity records, then exits. With
    several workers, metrics are kept per process in PROMETHEUS_MULTIPROC_DIR (a fresh
    temporary directory unless set) and every scrape sums them."""
    if workers > 1:
        _multiprocess_metrics()
    typer.echo(f"Doorpost SCIM endpoint: {tenant_url(host, port)}")
    uvicorn.run("doorpost.app:create_app", factory=True, host=host, port=port, workers=workers,
                log_level="info", access_log=False, proxy_headers=True,
                timeout_graceful_shutdown=graceful_timeout)


def _multiprocess_metrics() -> None:
    """Give the workers one metrics directory, emptied: files of an earlier run's processes
    would otherwise be summed into this one's."""
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if not directory:
        directory = tempfile.mkdtemp(prefix="doorpost-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = directory
    os.makedirs(directory, exist_ok=True)
    for name in os.listdir(directory):
        if name.endswith(".db"):
            os.remove(os.path.join(directory, name))


DEMO_TOKEN = "demo"


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


@admin_errors
def demo(host: str = typer.Option("127.0.0.1", help="Host the server will listen on."),
         port: int = typer.Option(8000, help="Port the server will listen on."),
         new_token: bool = typer.Option(False, "--new-token",
                                        help="Replace the demo's own token with a new one."),
         as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Ensure a demo organization with SCIM enabled and its own token named 'demo'.

    The token is shown once, when it is minted; later runs keep it (an identity provider
    may be using it) unless `--new-token` asks for a new one. No other token is touched,
    and nothing is minted when the port is taken."""
    if not _port_free(host, port):
        fail(f"port {port} on {host} is already in use: stop what runs there, or pick "
             "another port (make serve PORT=8001)")
    orgs = organizations()
    if not any(o.slug == DEMO_SLUG for o in orgs.all()):
        orgs.create("Demo Organization", slug=DEMO_SLUG, licensed=True, sso_configured=True)
    orgs.enable_scim(DEMO_SLUG)
    own = [t for t in orgs.list_tokens(DEMO_SLUG) if t.active and t.name == DEMO_TOKEN]
    if new_token:
        for old in own:
            orgs.revoke_token(DEMO_SLUG, old.id)
        own = []
    token = orgs.create_token(DEMO_SLUG, DEMO_TOKEN).token if not own else None
    url = tenant_url(host, port)
    if as_json:
        emit_json({"organization": DEMO_SLUG, "tenant_url": url, "token": token,
                   "token_prefix": own[0].prefix if own else None})
        return
    typer.echo("")
    typer.echo("  Point your identity provider at Doorpost:")
    typer.echo(f"    Tenant URL:   {url}")
    if token is not None:
        typer.echo(f"    Secret token: {token}")
        typer.echo("  (shown once: copy it now)")
    else:
        typer.echo(f"    Secret token: the demo token {own[0].prefix}… shown when it was made")
        typer.echo("  (lost it? `doorpost demo --new-token` replaces it; no other token is "
                   "touched)")
    typer.echo("")
    typer.echo(f"  Owner console: {url.removesuffix('/scim/v2')}/admin")
    typer.echo(f"    (create an owner: doorpost owner create {DEMO_SLUG} you@example.com)")
    typer.echo("")
