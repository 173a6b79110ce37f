"""`doorpost import`: load many users at once, through the same validation as the API."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from doorpost.cli.context import admin_errors, database
from doorpost.cli.output import emit_json
from doorpost.service.bulk_import import import_users

app = typer.Typer(help="Bulk-load resources into an organization.", no_args_is_help=True)


@app.command("users")
@admin_errors
def users(org: str, file: Path = typer.Argument(..., help="JSON lines of SCIM User objects; "
                                                "'-' reads standard input."),
          as_json: bool = typer.Option(False, "--json", help="Print JSON.")) -> None:
    """Import users (one SCIM User JSON object per line). Invalid lines are reported and
    skipped; exit status 1 if any line was refused."""
    handle = sys.stdin if str(file) == "-" else file.open(encoding="utf-8")
    with handle:
        report = import_users(database(), org, handle)
    if as_json:
        emit_json({"created": report.created,
                   "errors": [{"line": n, "detail": d} for n, d in report.errors]})
    else:
        typer.echo(f"created {report.created} user(s)")
        for number, detail in report.errors[:50]:
            typer.echo(f"line {number}: {detail}", err=True)
        if len(report.errors) > 50:
            typer.echo(f"... and {len(report.errors) - 50} more refused lines", err=True)
    if report.errors:
        raise typer.Exit(1)
