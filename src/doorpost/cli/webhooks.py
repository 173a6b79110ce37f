"""`doorpost webhook` and `doorpost worker`: the change feed's endpoints and their delivery."""

from __future__ import annotations

import signal
import threading
from typing import Optional

import typer

from doorpost.cli.context import admin_errors, database, settings
from doorpost.cli.output import emit_json, table, when
from doorpost.service.changes import EVENT_TYPES
from doorpost.service.webhooks import Webhooks

JSON = typer.Option(False, "--json", help="Print JSON.")
app = typer.Typer(help="Signed webhooks that receive the change feed (access.revoked, …).",
                  no_args_is_help=True)


def _service() -> Webhooks:
    return Webhooks(database(), settings().webhook_allow_insecure)


@app.command("add")
@admin_errors
def add(org: str, url: str,
        events: Optional[str] = typer.Option(None, "--events",
                                             help="Comma-separated types or patterns, e.g. "
                                             "'access.*,user.deleted' (default: all)."),
        fmt: str = typer.Option("standard", "--format",
                                help="standard (Standard Webhooks JSON) or set (RFC 8935 "
                                "push of RFC 9967 Security Event Tokens)."),
        allow_insecure: bool = typer.Option(False, "--allow-insecure",
                                            help="Allow http and private addresses (needs "
                                            "DOORPOST_WEBHOOK_ALLOW_INSECURE=1)."),
        from_start: bool = typer.Option(False, "--from-start",
                                        help="Also send every event the feed holds."),
        as_json: bool = JSON) -> None:
    """Add an endpoint; its signing secret is printed once."""
    patterns = [e for e in (events or "*").split(",")]
    added = _service().add(org, url, patterns, fmt, allow_insecure, from_start)
    hook = added.webhook
    if as_json:
        emit_json({"id": hook.id, "url": hook.url, "format": hook.format,
                   "events": hook.events, "secret": added.secret})
        return
    typer.echo(f"webhook {hook.id} → {hook.url}\n  signing secret: {added.secret}\n"
               "(shown once: copy it now)")


@app.command("list")
@admin_errors
def list_(org: str, as_json: bool = JSON) -> None:
    """List endpoints and where their delivery stands (never the secrets)."""
    hooks = _service().all(org)
    if as_json:
        emit_json([{"id": h.id, "url": h.url, "format": h.format, "events": h.events,
                    "paused": h.disabled_us is not None, "delivered_through": h.cursor_seq,
                    "failed_attempts": h.attempts, "last_error": h.last_error}
                   for h in hooks])
        return
    table(["ID", "URL", "EVENTS", "THROUGH", "STATE"],
          [[h.id, h.url, ",".join(h.events), str(h.cursor_seq),
            "paused" if h.disabled_us else (f"retrying: {h.last_error}" if h.attempts
                                            else "ok")] for h in hooks])


@app.command("remove")
@admin_errors
def remove(org: str, webhook_id: str, as_json: bool = JSON) -> None:
    """Remove an endpoint and its delivery log."""
    _service().remove(org, webhook_id)
    emit_json({"id": webhook_id, "removed": True}) if as_json else typer.echo(
        f"removed webhook {webhook_id}")


@app.command("pause")
@admin_errors
def pause(org: str, webhook_id: str, as_json: bool = JSON) -> None:
    """Stop delivering; events wait, in order, until `resume`."""
    _service().pause(org, webhook_id, True)
    emit_json({"id": webhook_id, "paused": True}) if as_json else typer.echo("paused")


@app.command("resume")
@admin_errors
def resume(org: str, webhook_id: str, as_json: bool = JSON) -> None:
    """Deliver again, starting with what was missed."""
    _service().pause(org, webhook_id, False)
    emit_json({"id": webhook_id, "paused": False}) if as_json else typer.echo("resumed")


@app.command("attempts")
@admin_errors
def attempts(org: str, webhook_id: str, as_json: bool = JSON) -> None:
    """The delivery log, newest first."""
    found = _service().attempts(org, webhook_id)
    if as_json:
        emit_json([a.__dict__ for a in found])
        return
    table(["TIME", "EVENT", "TRY", "OUTCOME", "STATUS", "ERROR"],
          [[when(a.time_us), str(a.seq), str(a.attempt), a.outcome,
            str(a.status_code or "-"), a.error or ""] for a in found])


@app.command("dead")
@admin_errors
def dead(org: str, webhook_id: str, as_json: bool = JSON) -> None:
    """Dead-lettered events (their retries ran out): replay them with `replay`."""
    seqs = _service().dead_letters(org, webhook_id)
    emit_json(seqs) if as_json else typer.echo(" ".join(map(str, seqs)) or "none")


@app.command("replay")
@admin_errors
def replay(org: str, webhook_id: str,
           seq: Optional[list[int]] = typer.Option(None, "--seq",
                                                   help="Only these events (default: all "
                                                   "dead letters)."),
           as_json: bool = JSON) -> None:
    """Send dead-lettered events again."""
    count = _service().replay(org, webhook_id, seq)
    emit_json({"id": webhook_id, "replaying": count}) if as_json else typer.echo(
        f"{count} event(s) will be sent again")


@app.command("events")
def events(as_json: bool = JSON) -> None:
    """The event types one can subscribe to."""
    if as_json:
        emit_json([{"type": e.name, "description": e.description, "set_event": e.set_uri}
                   for e in EVENT_TYPES.values()])
        return
    table(["TYPE", "WHAT"], [[e.name, e.description] for e in EVENT_TYPES.values()])


@admin_errors
def worker(idle: float = typer.Option(0.1, help="Seconds to wait when nothing is due.")
           ) -> None:
    """Deliver webhooks until SIGTERM or Ctrl-C (as many as you like: they share the work
    through leases, and never send one event twice at once)."""
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    from doorpost.app import deliverer  # here: metrics must not load before `serve` sets up
    typer.echo("delivering webhooks (Ctrl-C stops)")
    deliverer(settings(), database()).run(stop, idle)
