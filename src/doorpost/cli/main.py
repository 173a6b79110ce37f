"""`doorpost`: the operator CLI's entry point."""

from __future__ import annotations

import typer
from sqlalchemy.exc import ArgumentError, OperationalError, ProgrammingError

from doorpost.cli import (apikeys, db, doors, imports, orgs, owners, scim, serve, sso, tokens,
                          webhooks)

app = typer.Typer(help="Doorpost: SCIM 2.0 provisioning for physical access control.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(db.app, name="db")
app.add_typer(orgs.app, name="org")
app.add_typer(scim.app, name="scim")
app.add_typer(tokens.app, name="token")
app.add_typer(doors.places, name="place")
app.add_typer(doors.app, name="door")
app.add_typer(doors.members, name="member")
app.add_typer(webhooks.app, name="webhook")
app.add_typer(imports.app, name="import")
app.add_typer(owners.app, name="owner")
app.add_typer(sso.app, name="sso")
app.add_typer(apikeys.app, name="apikey")
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)
app.command("worker")(webhooks.worker)


def main() -> None:
    """Run the CLI; an operator's mistake is one clear line with a hint and exit status 1,
    never a traceback."""
    try:
        app(standalone_mode=True)
    except OSError as exc:  # a file to import that is not there, a directory, no access
        name = f" '{exc.filename}'" if getattr(exc, "filename", None) else ""
        typer.echo(f"error: cannot read{name}: {exc.strerror or exc}", err=True)
        raise SystemExit(1) from None
    except ArgumentError as exc:
        typer.echo(f"error: DOORPOST_DATABASE_URL is not a database URL ({exc}); use e.g. "
                   "sqlite:///data/doorpost.sqlite3 or postgresql://user@host/db", err=True)
        raise SystemExit(1) from None
    except (OperationalError, ProgrammingError) as exc:
        text = str(exc.orig).lower()
        if "no such table" in text or "does not exist" in text and "relation" in text:
            typer.echo("error: the database has not been migrated; run `doorpost db upgrade` "
                       "first", err=True)
        else:
            typer.echo(f"error: the database refused the command: {exc.orig}", err=True)
        raise SystemExit(1) from None
