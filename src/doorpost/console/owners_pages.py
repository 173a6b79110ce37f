"""The console's owner pages: the organization's owners (invite by link, remove), and for
someone who owns several organizations, choosing one (`/admin/choose`, `/admin/switch`).
Links go out through the configured sender (`service/mail.py`)."""

from __future__ import annotations

from typing import Awaitable, Callable
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from doorpost.console.security import COOKIE, check_csrf, set_session_cookie
from doorpost.service.errors import AdminError
from doorpost.service.mail import Sender
from doorpost.service.owners import (SESSION_SECONDS, SETUP_LINK_SECONDS, Owners, SignedIn,
                                     set_password_link)

Render = Callable[..., Response]
Page = Callable[[Callable[[Request, SignedIn], Awaitable[Response]]],
                Callable[[Request], Awaitable[Response]]]


def owner_routes(owners: Owners, sender: Sender, render: Render, page: Page,
                 base_url: Callable[[Request], str]) -> list[Route]:
    async def show(request: Request, who: SignedIn, *, error: str | None = None,
                   notice: str | None = None, status: int = 200, email: str = "") -> Response:
        rows = await run_in_threadpool(owners.owners, who.org.slug)
        return render(request, "owners.html", status, who=who, section="owners", rows=rows,
                      error=error, notice=notice, email=email,
                      hours=SETUP_LINK_SECONDS // 3600)

    async def owners_page(request: Request, who: SignedIn) -> Response:
        return await show(request, who)

    async def invite(request: Request, who: SignedIn) -> Response:
        form = await check_csrf(request, who)
        email = form.get("email", "").strip()[:320]
        try:
            owner, token = await run_in_threadpool(owners.create, who.org.slug, email)
        except AdminError as exc:
            return await show(request, who, error=str(exc), status=400, email=email)
        link = set_password_link(base_url(request), token)
        how = await run_in_threadpool(
            sender.send, owner.email, f"You are invited to own {who.org.name} in Doorpost",
            f"{who.owner.email} invited you to manage {who.org.name}'s doors and "
            f"provisioning. Set your password within {SETUP_LINK_SECONDS // 3600} hours:",
            link)
        # The link is never shown to the inviting owner: whoever holds it sets the password
        # of that address, which may own other organizations too. It reaches only the
        # mailbox (SMTP) or the operator (the log; `doorpost owner link`).
        return await show(request, who, notice=f"Invited {owner.email}: the one-time link "
                          f"was {how}.")

    async def remove(request: Request, who: SignedIn) -> Response:
        await check_csrf(request, who)
        try:
            await run_in_threadpool(owners.remove, who.org.slug, request.path_params["id"],
                                    who.owner)
        except AdminError as exc:
            return await show(request, who, error=str(exc), status=400)
        return await show(request, who, notice="Owner removed; their sessions ended.")

    async def choose(request: Request, who: SignedIn) -> Response:
        orgs = await run_in_threadpool(owners.organizations_of, who.owner)
        return render(request, "choose.html", who=who, section="choose", orgs=orgs)

    async def switch(request: Request, who: SignedIn) -> Response:
        form = await check_csrf(request, who)
        try:
            owner = await run_in_threadpool(owners.switch, who, form.get("org", ""))
        except AdminError:
            return render(request, "not_found.html", 404, who=who)
        await run_in_threadpool(owners.end_session, request.cookies.get(COOKIE))
        cookie = await run_in_threadpool(owners.start_session, owner)
        response = RedirectResponse("/admin/sso-scim", status_code=303)
        set_session_cookie(response, request, cookie, SESSION_SECONDS)
        return response

    return [
        Route("/owners", page(owners_page)),
        Route("/owners", page(invite), methods=["POST"]),
        Route("/owners/{id}/remove", page(remove), methods=["POST"]),
        Route("/choose", page(choose)),
        Route("/switch", page(switch), methods=["POST"]),
    ]
