"""`doorpost door`: doors, which groups open them, and the access decision."""

from __future__ import annotations

import typer

from doorpost.cli.context import admin_errors, database
from doorpost.cli.output import emit_json, table
from doorpost.service.access import Doors

app = typer.Typer(help="Doors, the groups that open them, and access checks.",
                  no_args_is_help=True)


@app.command("create")
@admin_errors
def create(org: str, name: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")
           ) -> None:
    """Create a door."""
    door = Doors(database()).create(org, name)
    emit_json({"id": door.id, "name": door.name}) if as_json else typer.echo(
        f"created door '{door.name}' ({door.id})")


@app.command("list")
@admin_errors
def list_(org: str, as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """List doors."""
    doors = Doors(database()).all(org)
    if as_json:
        emit_json([{"id": d.id, "name": d.name} for d in doors])
        return
    table(["ID", "NAME"], [[d.id, d.name] for d in doors])


@app.command("grant")
@admin_errors
def grant(org: str, door: str = typer.Argument(..., help="Door id or name."),
          group_id: str = typer.Argument(..., help="The SCIM id of the group."),
          as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Let the members of a group open a door."""
    found = Doors(database()).grant(org, door, group_id)
    if as_json:
        emit_json({"door": found.id, "group": group_id})
    else:
        typer.echo(f"members of group {group_id} may open '{found.name}'")


@app.command("check")
@admin_errors
def check(org: str, user_id: str = typer.Argument(..., help="The SCIM id of the user."),
          door: str = typer.Argument(..., help="Door id or name."),
          as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Would this person be let through this door now? Exit status 0 if yes, 1 if not."""
    decision = Doors(database()).decide(org, user_id, door)
    if as_json:
        emit_json({"allowed": decision.allowed, "reason": decision.reason})
    else:
        typer.echo(f"{'ALLOW' if decision.allowed else 'DENY'}: {decision.reason}")
    if not decision.allowed:
        raise typer.Exit(1)
