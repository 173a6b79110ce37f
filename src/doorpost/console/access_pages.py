"""The console's access pages: the access log (filters, CSV), an owner's suspension of a
member, and the webhooks that carry the change feed (secret shown once, delivery log, dead
letters and replay). Thin handlers over `service.access` and `service.webhooks`.
"""

from __future__ import annotations

import csv
import io
from typing import Any, Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from doorpost.console.security import HEADERS, check_csrf
from doorpost.service.access import Doors
from doorpost.service.changes import EVENT_TYPES
from doorpost.service.errors import AdminError
from doorpost.service.owners import SignedIn
from doorpost.service.webhooks import Webhooks
from doorpost.scim.values import from_us

Render = Callable[..., Response]
Page = Callable[[Callable[[Request, SignedIn], Awaitable[Response]]],
                Callable[[Request], Awaitable[Response]]]
RESULTS = ("", "allowed", "denied")


def access_routes(doors: Doors, webhooks: Webhooks, render: Render, page: Page
                  ) -> list[Route]:
    # -- the access log ----------------------------------------------------------------
    def _filters(request: Request) -> dict[str, str]:
        q = request.query_params
        result = q.get("result", "")
        return {"door": q.get("door", "")[:64], "user": q.get("user", "")[:64],
                "result": result if result in RESULTS else ""}

    async def _log(request: Request, who: SignedIn, limit: int) -> tuple[Any, Any, Any]:
        f = _filters(request)
        rows = await run_in_threadpool(doors.access_log, who.org.id, f["door"], f["result"],
                                       f["user"], limit)
        all_doors = await run_in_threadpool(doors.all, who.org.slug)
        return f, rows, all_doors

    async def access_log(request: Request, who: SignedIn) -> Response:
        f, rows, all_doors = await _log(request, who, 200)
        return render(request, "access.html", who=who, section="access", rows=rows,
                      filters=f, doors=all_doors,
                      qs=str(request.url.query))

    async def access_csv(request: Request, who: SignedIn) -> Response:
        _, rows, _ = await _log(request, who, 50_000)
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["time", "user_id", "userName", "door_id", "door", "result",
                         "reason", "source", "decision_id"])
        for event, user_name, _display, door_name in rows:
            writer.writerow([from_us(event.time_us).isoformat(), event.user_id,
                             user_name or "", event.door_id, door_name or "",
                             "allowed" if event.allowed else "denied", event.reason,
                             event.source, event.id])
        response = Response(out.getvalue(), media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="access-events.csv"'})
        response.headers.update(HEADERS)
        return response

    # -- an owner's suspension ----------------------------------------------------------
    async def suspend(request: Request, who: SignedIn) -> Response:
        form = await check_csrf(request, who)
        user_id = request.path_params["id"]
        lift = request.url.path.endswith("/unsuspend")
        try:
            if lift:
                await run_in_threadpool(doors.unsuspend, who.org.slug, user_id, who.owner.email)
            else:
                await run_in_threadpool(doors.suspend, who.org.slug, user_id, who.owner.email,
                                        form.get("reason", ""))
        except AdminError:
            pass  # already in the state asked for: the page shows which
        return RedirectResponse(f"/admin/members/{user_id}", status_code=303)

    # -- webhooks -----------------------------------------------------------------------
    async def show(request: Request, who: SignedIn, *, error: str | None = None,
                   notice: str | None = None, added: Any = None, status: int = 200,
                   form: dict[str, str] | None = None) -> Response:
        hooks = await run_in_threadpool(webhooks.all, who.org.slug)
        return render(request, "webhooks.html", status, who=who, section="webhooks",
                      hooks=hooks, added=added, error=error, notice=notice,
                      types=list(EVENT_TYPES.values()), form=form or {},
                      insecure_allowed=webhooks.allow_insecure)

    async def webhooks_page(request: Request, who: SignedIn) -> Response:
        return await show(request, who)

    async def add(request: Request, who: SignedIn) -> Response:
        form = await check_csrf(request, who)
        events = [e.strip() for e in form.get("events", "").split(",") if e.strip()]
        try:
            added = await run_in_threadpool(
                webhooks.add, who.org.slug, form.get("url", ""), events or ["*"],
                form.get("format", "standard"), form.get("insecure") == "on")
        except AdminError as exc:
            return await show(request, who, error=str(exc), status=400, form=dict(form))
        return await show(request, who, notice="Webhook added.", added=added)

    async def change(request: Request, who: SignedIn) -> Response:
        await check_csrf(request, who)
        hook_id, action = request.path_params["id"], request.path_params["action"]
        actions: dict[str, tuple[Callable[[], Any], str]] = {
            "pause": (lambda: webhooks.pause(who.org.slug, hook_id, True),
                      "Paused: events wait, in order, until you resume."),
            "resume": (lambda: webhooks.pause(who.org.slug, hook_id, False),
                       "Resumed: what was missed is sent first."),
            "remove": (lambda: webhooks.remove(who.org.slug, hook_id), "Webhook removed."),
            "replay": (lambda: webhooks.replay(who.org.slug, hook_id),
                       "Dead letters will be sent again."),
        }
        if action not in actions:
            return render(request, "not_found.html", 404, who=who)
        work, done = actions[action]
        try:
            await run_in_threadpool(work)
        except AdminError as exc:
            return await show(request, who, error=str(exc), status=400)
        if action in ("replay",):
            return RedirectResponse(f"/admin/webhooks/{hook_id}", status_code=303)
        return await show(request, who, notice=done)

    async def deliveries(request: Request, who: SignedIn) -> Response:
        hook_id = request.path_params["id"]
        try:
            hook = await run_in_threadpool(webhooks.get, who.org.slug, hook_id)
        except AdminError:
            return render(request, "not_found.html", 404, who=who)
        log = await run_in_threadpool(webhooks.attempts, who.org.slug, hook_id, 200)
        dead = await run_in_threadpool(webhooks.dead_letters, who.org.slug, hook_id)
        return render(request, "webhook.html", who=who, section="webhooks", hook=hook,
                      log=log, dead=dead)

    return [
        Route("/access", page(access_log)),
        Route("/access.csv", page(access_csv)),
        Route("/members/{id}/suspend", page(suspend), methods=["POST"]),
        Route("/members/{id}/unsuspend", page(suspend), methods=["POST"]),
        Route("/webhooks", page(webhooks_page)),
        Route("/webhooks", page(add), methods=["POST"]),
        Route("/webhooks/{id}", page(deliveries)),
        Route("/webhooks/{id}/{action}", page(change), methods=["POST"]),
    ]
