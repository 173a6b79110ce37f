"""`doorpost db`: create, migrate and check the database (Alembic)."""

from __future__ import annotations

import typer

from doorpost.cli.context import settings
from doorpost.cli.output import emit_json, fail
from sqlalchemy.engine import make_url

from doorpost.store import migrate
from doorpost.store.engine import sqlite_path

app = typer.Typer(help="Create, migrate and check the database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade(revision: str = typer.Argument("head", help="Target revision."),
            as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Create the database or migrate it to the latest schema; says which one, and whether
    it was created."""
    url = settings().database_url
    path = sqlite_path(url)
    created = path is not None and not path.exists()
    migrate.upgrade(url, revision)
    where = str(path) if path is not None else make_url(url).render_as_string(
        hide_password=True)
    if as_json:
        emit_json({"upgraded_to": revision, "database": where, "created": created})
    else:
        typer.echo(f"{'created' if created else 'migrated'} {where}: schema is up to date")


@app.command("check")
def check(as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Fail when the database schema differs from the code's tables (migration drift)."""
    diffs = migrate.drift(settings().database_url)
    if as_json:
        emit_json({"drift": [repr(d) for d in diffs]})
        if diffs:
            raise typer.Exit(1)
        return
    if diffs:
        for d in diffs:
            typer.echo(repr(d))
        fail(f"{len(diffs)} difference(s) between the database and the code")
    typer.echo("no drift")


@app.command("revision")
def revision(message: str = typer.Argument(..., help="What the migration does.")) -> None:
    """Generate a migration from the difference between the tables and the database."""
    migrate.revision(settings().database_url, message)
