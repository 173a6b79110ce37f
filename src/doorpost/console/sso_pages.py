"""The browser side of SSO: the SAML endpoints under `/saml/{org}` and the member page `/me`.

- `GET /saml/{org}/metadata`: the organization's SP metadata (entity id, ACS, certificate).
- `GET /saml/{org}/login?as=owner|member`: SP-initiated sign-in (Entra's "Sign on URL").
- `POST /saml/{org}/acs`: the identity provider's answer, SP- or IdP-initiated. A refusal
  is a page that says what the person can do; the reason goes to the activity log only.
- `/me`: a signed-in member's name, status and doors, with an Unlock button per door.
"""

from __future__ import annotations

import hmac
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from doorpost.console.security import HEADERS, set_session_cookie
from doorpost.service.errors import AdminError, NotFoundError
from doorpost.service.members import COOKIE, SESSION_SECONDS, Ended, Member, Members
from doorpost.service.owners import SESSION_SECONDS as OWNER_SESSION_SECONDS
from doorpost.service.saml import SsoRefused
from doorpost.service.sign_in import SsoSignIn

METADATA_TYPE = "application/samlmetadata+xml"
MAX_ACS_BODY = 512 * 1024  # a SAMLResponse, base64, with room to spare (checked before reading)


def build_sso_pages(sign_in: SsoSignIn, members: Members, templates: Jinja2Templates,
                    public_url: str | None) -> list[BaseRoute]:
    def base_url(request: Request) -> str:
        return public_url or f"{request.url.scheme}://{request.url.netloc}"

    def render(request: Request, name: str, status: int = 200, **context: Any) -> Response:
        response = templates.TemplateResponse(request, name, {"who": None, "home": "/me",
                                                              **context},
                                              status_code=status)
        response.headers.update(HEADERS)
        return response

    def refused(request: Request, message: str, status: int = 403) -> Response:
        return render(request, "sso_refused.html", status, message=message)

    async def metadata(request: Request) -> Response:
        try:
            xml = await run_in_threadpool(sign_in.metadata, request.path_params["org"],
                                          base_url(request))
        except NotFoundError:
            return refused(request, "No such organization.", 404)
        return Response(xml, media_type=METADATA_TYPE)

    async def login(request: Request) -> Response:
        purpose = "owner" if request.query_params.get("as") == "owner" else "member"
        return await start(request, request.path_params["org"], purpose, None)

    async def start(request: Request, slug: str, purpose: str, owner_id: str | None
                    ) -> Response:
        try:
            url, form = await run_in_threadpool(sign_in.start, slug, base_url(request),
                                                purpose, owner_id)
        except NotFoundError:
            return refused(request, "No such organization.", 404)
        except AdminError as exc:
            return refused(request, str(exc), 400)
        if form is None:
            return RedirectResponse(url, status_code=303)
        return render(request, "sso_post.html", action=url, fields=form)

    async def acs(request: Request) -> Response:
        length = request.headers.get("content-length", "")
        if not (length.isascii() and length.isdigit()) or int(length) > MAX_ACS_BODY:
            return refused(request, "The identity provider's answer is too large.", 413)
        form = await request.form()
        response_text, relay = str(form.get("SAMLResponse", "")), str(form.get("RelayState", ""))
        try:
            done = await run_in_threadpool(sign_in.finish, request.path_params["org"],
                                           base_url(request), response_text, relay)
        except NotFoundError:
            return refused(request, "No such organization.", 404)
        except SsoRefused as exc:
            if exc.request_id is not None:
                test = f"/admin/sso/test/{exc.request_id}"
                return render(request, "sso_refused.html", 403, message=str(exc), test=test)
            return refused(request, str(exc))
        if done.kind == "test":
            return RedirectResponse(f"/admin/sso/test/{done.request_id}", status_code=303)
        assert done.cookie is not None
        if done.kind == "owner":
            response = RedirectResponse("/admin/sso-scim", status_code=303)
            set_session_cookie(response, request, done.cookie, OWNER_SESSION_SECONDS)
            return response
        response = RedirectResponse("/me", status_code=303)
        response.set_cookie(COOKIE, done.cookie, max_age=SESSION_SECONDS, httponly=True,
                            samesite="lax", secure=request.url.scheme == "https", path="/me")
        return response

    async def member(request: Request) -> Member | Response:
        found = await run_in_threadpool(members.session, request.cookies.get(COOKIE))
        if isinstance(found, Member):
            return found
        response = render(request, "me_sign_in.html", 401 if found else 200,
                          ended=found.reason if isinstance(found, Ended) else None)
        if found is not None:
            response.delete_cookie(COOKIE, path="/me")
        return response

    async def me(request: Request) -> Response:
        who = await member(request)
        if isinstance(who, Response):
            return who
        doors = await run_in_threadpool(members.doors_of, who)
        return render(request, "me.html", member=who, doors=doors,
                      unlocked=request.query_params.get("unlocked"),
                      denied=request.query_params.get("denied"))

    async def me_sign_in(request: Request) -> Response:
        slug = request.query_params.get("org", "").strip().lower()
        if not slug or not slug.replace("-", "").isalnum() or not slug.isascii() \
                or len(slug) > 64:
            return render(request, "me_sign_in.html", 400, ended=None,
                          error="Enter your organization's name in Doorpost.")
        return RedirectResponse(f"/saml/{slug}/login?as=member", status_code=303)

    async def unlock(request: Request) -> Response:
        who = await member(request)
        if isinstance(who, Response):
            return who
        form = await request.form()
        if not hmac.compare_digest(str(form.get("csrf", "")).encode(), who.csrf.encode()):
            return refused(request, "Your form expired; reload the page.", 400)
        try:
            decision = await run_in_threadpool(members.unlock, who,
                                               request.path_params["door"])
        except NotFoundError:
            return refused(request, "No such door.", 404)
        key = "unlocked" if decision.allowed else "denied"
        return RedirectResponse(f"/me?{key}={request.path_params['door']}", status_code=303)

    async def sign_out(request: Request) -> Response:
        await run_in_threadpool(members.end_session, request.cookies.get(COOKIE))
        response = RedirectResponse("/me", status_code=303)
        response.delete_cookie(COOKIE, path="/me")
        return response

    return [
        Route("/saml/{org}/metadata", metadata),
        Route("/saml/{org}/login", login),
        Route("/saml/{org}/acs", acs, methods=["POST"]),
        Route("/me", me),
        Route("/me/sign-in", me_sign_in),
        Route("/me/doors/{door}/unlock", unlock, methods=["POST"]),
        Route("/me/logout", sign_out, methods=["POST"]),
    ]
