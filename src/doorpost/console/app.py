"""The owner console's routes (mounted at /admin): sign-in, SSO & SCIM, activity, directory.

Handlers are thin: read the form or query, call a service, render a template. Everything that
changes state is a POST carrying the session's CSRF token; the generated SCIM token appears
only in the response to the POST that created it, never again.
"""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Awaitable, Callable, Sequence
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from doorpost.console.security import (
    COOKIE,
    HEADERS,
    CsrfFailure,
    check_csrf,
    clear_session_cookie,
    set_session_cookie,
    signed_in_only,
)
from doorpost.service.activity import ActivityQueries, Health
from doorpost.service.directory_view import PAGE, DirectoryView
from doorpost.service.errors import AdminError, NotPermittedError
from doorpost.service.organizations import Organizations, scim_prerequisites_missing
from doorpost.service.owners import set_password_link
from doorpost.service.owners import SESSION_SECONDS, Owners, SignedIn
from doorpost.console.access_pages import access_routes
from doorpost.console.chart import chart as svg_chart
from doorpost.service.diffs import attribute_lines, member_changes
from doorpost.console.owners_pages import owner_routes
from doorpost.service.mail import LogSender, Sender
from doorpost.console.doors_pages import door_routes
from doorpost.service.access import Doors
from doorpost.service.webhooks import Webhooks
from doorpost.service.access_api import AccessApi
from doorpost.service.sign_in import SsoSignIn
from doorpost.service.sso import Sso, sp_values

HERE = Path(__file__).parent
LOGIN_CSRF = "doorpost_login_csrf"


def _when(us: int | None) -> str:
    if not us:
        return "never"
    return datetime.fromtimestamp(us / 1e6, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")


def _readable_path(row: Any, labels: dict[str, str]) -> str:
    """A request line with the resource's id shown as its name (`/Users/‹Ann Lee›`); the
    detail page keeps the exact line."""
    label = labels.get(row.resource_id or "")
    return row.path.replace(row.resource_id, f"‹{label.split(' (')[0]}›") if label else \
        str(row.path)


def _changed(changes: dict[str, Any] | None) -> str:
    """The attributes a write changed, by name (`name.givenName, department`), and its
    member changes (`members +3 −1`)."""
    names = [line.path for line in attribute_lines(changes)]
    members = member_changes(changes).summary
    return ", ".join(names + ([f"members {members}"] if members else [])) or "nothing"


def _parse_day(text: str | None, end: bool = False) -> int | None:
    if not text:
        return None
    try:
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None
    return int(day.timestamp() * 1e6) + (86_400_000_000 if end else 0)


def console_templates() -> Jinja2Templates:
    """The console's templates (also used by the SSO pages and `/me`)."""
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["when"] = _when
    templates.env.filters["changed"] = _changed
    templates.env.filters["readable_path"] = _readable_path
    return templates


def build_console(orgs: Organizations, owners: Owners, sso: Sso, activity: ActivityQueries,
                  directory: DirectoryView, public_url: str | None,
                  sign_in: SsoSignIn | None = None, doors: Doors | None = None,
                  keys: AccessApi | None = None, webhooks: Webhooks | None = None,
                  sender: Sender | None = None) -> Starlette:
    templates = console_templates()
    mail = sender or LogSender()

    def base_url(request: Request) -> str:
        return public_url or f"{request.url.scheme}://{request.url.netloc}"

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        response = templates.TemplateResponse(request, name, context, status_code=status)
        response.headers.update(HEADERS)
        return response

    def page(fn: Callable[[Request, SignedIn], Awaitable[Response]]
             ) -> Callable[[Request], Awaitable[Response]]:
        return signed_in_only(owners, fn)

    async def not_found(request: Request, exc: Exception) -> Response:
        """Unknown console URLs get the console's own page, not plain text."""
        del exc
        return render(request, "not_found.html", 404, who=None)

    async def server_error(request: Request, exc: Exception) -> Response:
        del exc
        return render(request, "error.html", 500, who=None)

    # -- sign-in -------------------------------------------------------------------------
    def login_form(request: Request, error: str | None = None, status: int = 200,
                   email: str = "") -> Response:
        token = secrets.token_urlsafe(24)
        response = render(request, "login.html", status, csrf=token, error=error, email=email,
                          next=request.query_params.get("next", "/admin/sso-scim"))
        response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict",
                            path="/admin", secure=request.url.scheme == "https")
        return response

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return login_form(request)
        form = await request.form()
        if not secrets.compare_digest(str(form.get("csrf", "")),
                                      request.cookies.get(LOGIN_CSRF, "-")):
            return login_form(request, "Your form expired; please try again.", 400)
        try:
            owner = await run_in_threadpool(owners.login, str(form.get("email", "")),
                                            str(form.get("password", "")))
        except AdminError as exc:
            return login_form(request, str(exc), 401, str(form.get("email", ""))[:320])
        cookie = await run_in_threadpool(owners.start_session, owner)
        target = str(form.get("next") or "/admin/sso-scim")
        if not target.startswith("/admin") or target.startswith("//"):
            target = "/admin/sso-scim"
        if len(await run_in_threadpool(owners.organizations_of, owner)) > 1:
            target = "/admin/choose"  # several organizations: the owner picks one
        response = RedirectResponse(target, status_code=303)
        set_session_cookie(response, request, cookie, SESSION_SECONDS)
        response.delete_cookie(LOGIN_CSRF, path="/admin")
        return response

    async def forgot(request: Request) -> Response:
        """"Forgot password": the same answer whether or not the address has an account."""
        if request.method == "GET":
            token = secrets.token_urlsafe(24)
            response = render(request, "forgot.html", csrf=token, sent=False, email="")
            response.set_cookie(LOGIN_CSRF, token, httponly=True, samesite="strict",
                                path="/admin", secure=request.url.scheme == "https")
            return response
        form = await request.form()
        email = str(form.get("email", "")).strip()[:320]
        if not secrets.compare_digest(str(form.get("csrf", "")),
                                      request.cookies.get(LOGIN_CSRF, "-")):
            return render(request, "forgot.html", 400, csrf="", sent=False, email=email,
                          error="Your form expired; reload the page.")
        found = await run_in_threadpool(owners.forgot, email)
        if found is not None:
            owner, token = found
            await run_in_threadpool(
                mail.send, owner.email, "Reset your Doorpost password",
                "Someone asked to reset your Doorpost password. If it was you, set a new "
                "one within the hour:", set_password_link(base_url(request), token))
        return render(request, "forgot.html", csrf="", sent=True, email=email)

    async def login_sso(request: Request) -> Response:
        """"Sign in with SSO": on to the organization's SP-initiated sign-in."""
        slug = request.query_params.get("org", "").strip().lower()
        if not slug or not slug.replace("-", "").isalnum() or not slug.isascii() \
                or len(slug) > 64:
            return login_form(request, "Enter your organization's name in Doorpost.", 400)
        return RedirectResponse(f"/saml/{slug}/login?as=owner", status_code=303)

    async def set_password(request: Request) -> Response:
        token = request.query_params.get("token", "")
        if request.method == "GET":
            valid = await run_in_threadpool(owners.setup_link_valid, token)
            csrf = secrets.token_urlsafe(24)
            response = render(request, "set_password.html", 200 if valid else 400,
                              token=token, valid=valid, csrf=csrf, error=None)
            response.set_cookie(LOGIN_CSRF, csrf, httponly=True, samesite="strict",
                                path="/admin", secure=request.url.scheme == "https")
            return response
        form = await request.form()
        csrf = str(form.get("csrf", ""))
        if not secrets.compare_digest(csrf, request.cookies.get(LOGIN_CSRF, "-")):
            return render(request, "set_password.html", 400, token=token, valid=True,
                          csrf=csrf, error="Your form expired; reload the page.")
        password, again = str(form.get("password", "")), str(form.get("confirm", ""))
        try:
            if password != again:
                raise AdminError("The two passwords differ.")
            await run_in_threadpool(owners.set_password, token, password)
        except AdminError as exc:
            return render(request, "set_password.html", 400, token=token, valid=True,
                          csrf=csrf, error=str(exc))
        return RedirectResponse("/admin/login?set=1", status_code=303)

    async def logout(request: Request, who: SignedIn) -> Response:
        await check_csrf(request, who)
        await run_in_threadpool(owners.end_session, request.cookies.get(COOKIE))
        response = RedirectResponse("/admin/login", status_code=303)
        clear_session_cookie(response)
        return response

    # -- SSO & SCIM ----------------------------------------------------------------------
    async def setup_page(request: Request, who: SignedIn, *, new_token: Any = None,
                         error: str | None = None, notice: str | None = None,
                         status: int = 200, metadata_xml: str | None = None) -> Response:
        org = await run_in_threadpool(orgs.get, who.org.slug)
        connection = await run_in_threadpool(sso.get, org.id)
        tokens = await run_in_threadpool(orgs.list_tokens, org.slug)
        health, labels = await health_of(org.id, tokens)
        url = base_url(request)
        return render(request, "sso_scim.html", status, who=who, org=org, sso=connection,
                      sp=sp_values(url, org.slug), tokens=tokens, new_token=new_token,
                      token_state=_token_state(tokens),
                      tenant_url=f"{url}/scim/v2", health=health, labels=labels,
                      error=error, notice=notice,
                      scim_missing=scim_prerequisites_missing(org),
                      active_tokens=sum(1 for t in tokens if t.active),
                      metadata_xml=metadata_xml)

    async def sso_scim(request: Request, who: SignedIn) -> Response:
        return await setup_page(request, who)

    async def health_of(org_id: int, tokens: Sequence[Any]
                        ) -> tuple[Health, dict[str, str]]:
        """The health panel's figures (waiting until the newest token is used) and names
        for the resources its request lines mention."""
        newest = max((t.created_us for t in tokens if t.active), default=None)
        health = await run_in_threadpool(activity.health, org_id, newest)
        labels = await run_in_threadpool(activity.labels, org_id, [
            *health.latest, *([health.last_error] if health.last_error else [])])
        return health, labels

    async def health_panel(request: Request, who: SignedIn) -> Response:
        """The panel alone, for its refresh every two seconds: not the whole page."""
        tokens = await run_in_threadpool(orgs.list_tokens, who.org.slug)
        health, labels = await health_of(who.org.id, tokens)
        return render(request, "health_panel.html", who=who, health=health, labels=labels)

    async def save_sso(request: Request, who: SignedIn) -> Response:
        form = await check_csrf(request, who)
        try:
            await run_in_threadpool(lambda: sso.save(who.org.id, xml=form.get("metadata_xml"),
                                                     url=form.get("metadata_url")))
        except AdminError as exc:
            return await setup_page(request, who, error=f"Metadata not saved: {exc}",
                                    status=_status(exc), metadata_xml=form.get("metadata_xml"))
        return await setup_page(request, who, notice="SSO metadata saved. Press Test SSO to "
                                "sign in once through your identity provider and verify it.")

    async def test_sso(request: Request, who: SignedIn) -> Response:
        """Test SSO: a real SP-initiated sign-in; its result comes back to `test_result`."""
        await check_csrf(request, who)
        if sign_in is None:
            return await setup_page(request, who, error="SSO sign-in is not available.",
                                    status=503)
        try:
            url, fields = await run_in_threadpool(sign_in.start, who.org.slug,
                                                  base_url(request), "test", who.owner.id)
        except AdminError as exc:
            return await setup_page(request, who, error=f"Test SSO: {exc}", status=400)
        if fields is None:
            return RedirectResponse(url, status_code=303)
        return render(request, "sso_post.html", action=url, fields=fields)

    async def new_certificate(request: Request, who: SignedIn) -> Response:
        """"Generate certificate": a new SP key pair for identity providers that encrypt."""
        await check_csrf(request, who)
        if sign_in is None:
            return await setup_page(request, who, error="SSO is not available.", status=503)
        await run_in_threadpool(lambda: sign_in.sp.keys(who.org.id, who.org.slug, renew=True))
        return await setup_page(request, who, notice="A new certificate was generated: give "
                                "the new SP metadata to identity providers that encrypt.")

    async def test_result(request: Request, who: SignedIn) -> Response:
        result = None if sign_in is None else await run_in_threadpool(
            sign_in.test_result, who.org.id, request.path_params["id"], who.owner.id)
        if result is None:
            return render(request, "not_found.html", 404, who=who)
        return render(request, "sso_test.html", who=who, section="setup", result=result)

    async def scim_toggle(request: Request, who: SignedIn) -> Response:
        form = await check_csrf(request, who)
        try:
            if form.get("enabled") == "on":
                await run_in_threadpool(orgs.enable_scim, who.org.slug)
                notice = "SCIM is enabled."
            else:
                await run_in_threadpool(orgs.disable_scim, who.org.slug)
                notice = "SCIM is disabled: every token stopped working; no data was deleted."
        except AdminError as exc:
            return await setup_page(request, who, error=str(exc), status=_status(exc))
        return await setup_page(request, who, notice=notice)

    async def create_token(request: Request, who: SignedIn) -> Response:
        form = await check_csrf(request, who)
        current = await run_in_threadpool(orgs.list_tokens, who.org.slug)
        if form.get("state") != _token_state(current):
            return await setup_page(request, who, status=409, error=(
                "The token list changed since this page was loaded (was the form sent "
                "twice, or the page reloaded?). No token was created."))
        try:
            issued = await run_in_threadpool(orgs.create_token, who.org.slug,
                                             form.get("name") or None)
        except AdminError as exc:
            return await setup_page(request, who, error=str(exc), status=_status(exc))
        return await setup_page(request, who, new_token=issued)

    async def revoke_token(request: Request, who: SignedIn) -> Response:
        await check_csrf(request, who)
        try:
            await run_in_threadpool(orgs.revoke_token, who.org.slug,
                                    request.path_params["token_id"])
        except AdminError as exc:
            return await setup_page(request, who, error=str(exc), status=400)
        return await setup_page(request, who, notice="Token revoked: the next request with "
                                                     "it is refused.")

    # -- activity ----------------------------------------------------------------------
    def activity_filters(request: Request) -> dict[str, Any]:
        q = request.query_params
        return {"status": q.get("status") or None, "method": q.get("method") or None,
                "resource_type": q.get("type") or None,
                "since_us": _parse_day(q.get("since")), "until_us": _parse_day(q.get("until"),
                                                                               end=True)}

    async def activity_list(request: Request, who: SignedIn) -> Response:
        filters = activity_filters(request)
        page_no = _page_number(request.query_params.get("page"))
        total, rows = await run_in_threadpool(
            lambda: activity.search(who.org.id, limit=PAGE, offset=(page_no - 1) * PAGE,
                                    **filters))
        chart = svg_chart(await run_in_threadpool(activity.chart, who.org.id))
        labels = await run_in_threadpool(activity.labels, who.org.id, rows)
        return render(request, "activity.html", who=who, rows=rows, total=total, chart=chart,
                      labels=labels,
                      page=page_no, pages=max(1, -(-total // PAGE)), q=request.query_params,
                      qs=_query_without_page(request))

    async def activity_csv(request: Request, who: SignedIn) -> Response:
        filters = activity_filters(request)
        _, rows = await run_in_threadpool(
            lambda: activity.search(who.org.id, limit=100_000, **filters))
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["time", "method", "path", "status", "latency_ms", "resource_type",
                         "resource_id", "dialect", "normalizations", "error"])
        for r in rows:
            writer.writerow([_when(r.time_us), r.method, r.path, r.status,
                             f"{r.latency_us / 1000:.1f}", r.resource_type or "",
                             r.resource_id or "", r.dialect or "",
                             " ".join(n["rule"] for n in r.notes), r.error or ""])
        response = Response(out.getvalue(), media_type="text/csv", headers={
            "Content-Disposition": 'attachment; filename="scim-activity.csv"'})
        response.headers.update(HEADERS)
        return response

    async def activity_detail(request: Request, who: SignedIn) -> Response:
        found = await run_in_threadpool(activity.detail, who.org.id,
                                        request.path_params["id"])
        if found is None:
            return render(request, "not_found.html", 404, who=who)
        row, lines, members, names = found
        return render(request, "activity_detail.html", who=who, row=row, lines=lines,
                      members=members, names=names)

    # -- members and groups ------------------------------------------------------------
    async def members(request: Request, who: SignedIn) -> Response:
        q = request.query_params
        page_no = _page_number(q.get("page"))
        total, rows = await run_in_threadpool(
            directory.members, who.org.id, q.get("q", ""), q.get("status", ""), page_no)
        return render(request, "members.html", who=who, rows=rows, total=total, q=q,
                      page=page_no, pages=max(1, -(-total // PAGE)),
                      qs=_query_without_page(request))

    async def member(request: Request, who: SignedIn) -> Response:
        found = await run_in_threadpool(directory.member, who.org.id,
                                        request.path_params["id"])
        if found is None:
            return render(request, "not_found.html", 404, who=who)
        person, history = found
        user_id = request.path_params["id"]
        door_list = await run_in_threadpool(doors.member_doors, who.org.id, user_id) \
            if doors else []
        suspension = await run_in_threadpool(doors.suspension, who.org.id, user_id) \
            if doors else None
        return render(request, "member.html", who=who, m=person, history=history,
                      doors=door_list, suspension=suspension)

    async def groups(request: Request, who: SignedIn) -> Response:
        q = request.query_params
        page_no = _page_number(q.get("page"))
        total, rows = await run_in_threadpool(directory.groups, who.org.id, q.get("q", ""),
                                              page_no)
        return render(request, "groups.html", who=who, rows=rows, total=total, q=q,
                      page=page_no, pages=max(1, -(-total // PAGE)),
                      qs=_query_without_page(request))

    async def group(request: Request, who: SignedIn) -> Response:
        page_no = _page_number(request.query_params.get("page"))
        search = request.query_params.get("q", "")[:200]
        found = await run_in_threadpool(directory.group, who.org.id, request.path_params["id"],
                                        page_no, search)
        if found is None:
            return render(request, "not_found.html", 404, who=who)
        row, matched, people = found
        opens = await run_in_threadpool(doors.group_doors, who.org.id,
                                        request.path_params["id"]) if doors else []
        return render(request, "group.html", who=who, g=row, people=people, opens=opens,
                      page=page_no, q=search, matched=matched,
                      pages=max(1, -(-matched // PAGE)), qs=_query_without_page(request))

    async def home(_request: Request) -> Response:
        return RedirectResponse("/admin/sso-scim", status_code=303)

    app = Starlette(routes=[
        Route("/", home),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/login/sso", login_sso),
        Route("/set-password", set_password, methods=["GET", "POST"]),
        Route("/forgot", forgot, methods=["GET", "POST"]),
        *owner_routes(owners, mail, render, page, base_url),
        Route("/logout", page(logout), methods=["POST"]),
        Route("/sso-scim", page(sso_scim)),
        Route("/sso-scim/health", page(health_panel)),
        Route("/sso", page(save_sso), methods=["POST"]),
        Route("/sso/test", page(test_sso), methods=["POST"]),
        Route("/sso/certificate", page(new_certificate), methods=["POST"]),
        Route("/sso/test/{id}", page(test_result)),
        Route("/scim", page(scim_toggle), methods=["POST"]),
        Route("/tokens", page(create_token), methods=["POST"]),
        Route("/tokens/{token_id}/revoke", page(revoke_token), methods=["POST"]),
        Route("/activity", page(activity_list)),
        Route("/activity.csv", page(activity_csv)),
        Route("/activity/{id}", page(activity_detail)),
        Route("/members", page(members)),
        Route("/members/{id}", page(member)),
        Route("/groups", page(groups)),
        Route("/groups/{id}", page(group)),
        *(door_routes(doors, keys, render, page) if doors and keys else []),
        *(access_routes(doors, webhooks, render, page) if doors and webhooks else []),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ], exception_handlers={CsrfFailure: _csrf_failed, 404: not_found, 405: not_found,
                           500: server_error})
    return app


def _query_without_page(request: Request) -> str:
    """The page's query string minus `page`, for pager links and the CSV export."""
    return urlencode([(k, v) for k, v in request.query_params.multi_items() if k != "page"])


MAX_PAGE = 1_000_000


def _page_number(raw: str | None) -> int:
    """`?page=` as a page number: anything that is not a plain decimal number is page 1, and
    no page lies beyond MAX_PAGE (an offset the databases can always take)."""
    text = (raw or "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > 7:
        return 1 if not (text.isascii() and text.isdigit()) else MAX_PAGE
    return min(max(1, int(text)), MAX_PAGE)


def _status(exc: AdminError) -> int:
    """403 when the organization's license or setup forbids it, else 400."""
    return 403 if isinstance(exc, NotPermittedError) else 400


def _token_state(tokens: Any) -> str:
    """A fingerprint of the active tokens a form was rendered with: resubmitting the form
    (a reload after "Generate Token") no longer matches, so it creates no second token."""
    ids = ",".join(sorted(t.id for t in tokens if t.active))
    return hashlib.sha256(ids.encode()).hexdigest()[:16]


async def _csrf_failed(request: Request, exc: Exception) -> Response:
    del exc
    response = Response("The form was not sent from this console (missing or wrong CSRF "
                        "token). Reload the page and try again.", status_code=403,
                        media_type="text/plain")
    response.headers.update(HEADERS)
    return response
