"""`doorpost`: the operator CLI's entry point."""

from __future__ import annotations

import typer

from doorpost.cli import db, doors, imports, orgs, owners, scim, serve, tokens

app = typer.Typer(help="Doorpost: SCIM 2.0 provisioning for physical access control.",
                  no_args_is_help=True, pretty_exceptions_enable=False)
app.add_typer(db.app, name="db")
app.add_typer(orgs.app, name="org")
app.add_typer(scim.app, name="scim")
app.add_typer(tokens.app, name="token")
app.add_typer(doors.app, name="door")
app.add_typer(imports.app, name="import")
app.add_typer(owners.app, name="owner")
app.command("serve")(serve.serve)
app.command("demo")(serve.demo)


def main() -> None:
    app()
