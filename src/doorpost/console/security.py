"""Console security: session cookies, CSRF on every form, and response headers.

The session cookie is random, HttpOnly, SameSite=Lax, Secure when served over HTTPS, and
stored server-side only as a digest. Every POST must carry the session's CSRF token (checked
in constant time). Pages forbid framing and inline scripts from elsewhere.
"""

from __future__ import annotations

import hmac
from typing import Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from doorpost.service.owners import Owners, SignedIn

COOKIE = "doorpost_session"
HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; "
                               "style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    "Cache-Control": "no-store",
}


class CsrfFailure(Exception):
    """A form arrived without this session's CSRF token."""


def set_session_cookie(response: Response, request: Request, value: str, max_age: int) -> None:
    response.set_cookie(COOKIE, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=request.url.scheme == "https", path="/admin")


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/admin")


async def check_csrf(request: Request, signed_in: SignedIn) -> dict[str, str]:
    """The submitted form, after checking its CSRF token against the session's."""
    form = await request.form()
    token = str(form.get("csrf", ""))
    if not hmac.compare_digest(token.encode(), signed_in.csrf.encode()):
        raise CsrfFailure()
    return {k: str(v) for k, v in form.items()}


Page = Callable[[Request, SignedIn], Awaitable[Response]]


def signed_in_only(owners: Owners, page: Page) -> Callable[[Request], Awaitable[Response]]:
    """Wrap a page: no session → the sign-in page; the owner sees only their organization."""
    async def handler(request: Request) -> Response:
        who = await run_in_threadpool(owners.session, request.cookies.get(COOKIE))
        if who is None:
            return RedirectResponse(f"/admin/login?next={request.url.path}", status_code=303)
        response = await page(request, who)
        response.headers.update(HEADERS)
        return response
    return handler
