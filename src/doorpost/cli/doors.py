"""`doorpost place`, `doorpost door` and `doorpost member`: places, doors, which groups open
them, owners' suspensions, and the access decision."""

from __future__ import annotations

from typing import Optional

import typer

from doorpost.cli.context import admin_errors, database
from doorpost.cli.output import emit_json, table, when
from doorpost.service.access import Doors

JSON = typer.Option(False, "--json", help="Print JSON.")
app = typer.Typer(help="Doors, the groups that open them, and access checks.",
                  no_args_is_help=True)
places = typer.Typer(help="Places (sites, buildings) that doors belong to.",
                     no_args_is_help=True)
members = typer.Typer(help="An owner's suspension of a member, apart from the identity "
                      "provider's `active`.", no_args_is_help=True)


@places.command("create")
@admin_errors
def create_place(org: str, name: str, as_json: bool = JSON) -> None:
    """Create a place."""
    place = Doors(database()).create_place(org, name)
    emit_json({"id": place.id, "name": place.name}) if as_json else typer.echo(
        f"created place '{place.name}' ({place.id})")


@places.command("list")
@admin_errors
def list_places(org: str, as_json: bool = JSON) -> None:
    """List places."""
    found = Doors(database()).places(org)
    if as_json:
        emit_json([{"id": p.id, "name": p.name} for p in found])
        return
    table(["ID", "NAME"], [[p.id, p.name] for p in found])


@app.command("create")
@admin_errors
def create(org: str, name: str,
           place: Optional[str] = typer.Option(None, "--place", help="Place id or name."),
           as_json: bool = JSON) -> None:
    """Create a door (in a place)."""
    door = Doors(database()).create(org, name, place)
    emit_json({"id": door.id, "name": door.name, "place": door.place_id}) if as_json else \
        typer.echo(f"created door '{door.name}' ({door.id})")


@app.command("list")
@admin_errors
def list_(org: str, as_json: bool = JSON) -> None:
    """List doors with the groups that open them."""
    doors, _ = Doors(database()).overview(org)
    if as_json:
        emit_json([{"id": d.id, "name": d.name, "place": d.place_id,
                    "groups": [{"id": g, "displayName": n} for g, n in groups]}
                   for d, groups in doors])
        return
    table(["ID", "NAME", "OPENED BY"],
          [[d.id, d.name, ", ".join(n for _, n in groups) or "-"] for d, groups in doors])


@app.command("grant")
@admin_errors
def grant(org: str, door: str = typer.Argument(..., help="Door id or name."),
          group_id: str = typer.Argument(..., help="The SCIM id of the group."),
          as_json: bool = JSON) -> None:
    """Let the members of a group open a door."""
    found = Doors(database()).grant(org, door, group_id)
    if as_json:
        emit_json({"door": found.id, "group": group_id, "granted": True})
    else:
        typer.echo(f"members of group {group_id} may open '{found.name}'")


@app.command("revoke")
@admin_errors
def revoke(org: str, door: str = typer.Argument(..., help="Door id or name."),
           group_id: str = typer.Argument(..., help="The SCIM id of the group."),
           as_json: bool = JSON) -> None:
    """Stop a group's members from opening a door (at once, and announced)."""
    found = Doors(database()).revoke(org, door, group_id)
    if as_json:
        emit_json({"door": found.id, "group": group_id, "granted": False})
    else:
        typer.echo(f"members of group {group_id} may no longer open '{found.name}'")


@app.command("check")
@admin_errors
def check(org: str, user_id: str = typer.Argument(..., help="The SCIM id of the user."),
          door: str = typer.Argument(..., help="Door id or name."),
          as_json: bool = JSON) -> None:
    """Would this person be let through this door now? Exit status 0 if yes, 1 if not."""
    decision = Doors(database()).decide(org, user_id, door)
    if as_json:
        emit_json({"allowed": decision.allowed, "reason": decision.reason})
    else:
        typer.echo(f"{'ALLOW' if decision.allowed else 'DENY'}: {decision.reason}")
    if not decision.allowed:
        raise typer.Exit(1)


@members.command("suspend")
@admin_errors
def suspend(org: str, user_id: str = typer.Argument(..., help="The SCIM id of the user."),
            reason: str = typer.Option("", "--reason", help="Why (shown to owners)."),
            as_json: bool = JSON) -> None:
    """Close every door for this person until unsuspended, whatever the identity provider
    says; their record stays as the identity provider sees it."""
    s = Doors(database()).suspend(org, user_id, "cli", reason)
    emit_json({"user": user_id, "suspended": True, "at_us": s.at_us, "reason": s.reason}) \
        if as_json else typer.echo(f"suspended {user_id} at {when(s.at_us)}")


@members.command("unsuspend")
@admin_errors
def unsuspend(org: str, user_id: str = typer.Argument(..., help="The SCIM id of the user."),
              as_json: bool = JSON) -> None:
    """Lift an owner's suspension (the identity provider's `active` still applies)."""
    Doors(database()).unsuspend(org, user_id, "cli")
    emit_json({"user": user_id, "suspended": False}) if as_json else typer.echo(
        f"lifted the suspension of {user_id}")
