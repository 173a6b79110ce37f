"""The console's Doors page: places, doors, which groups open them, and the access API's
keys.

Grants are the owner's to give (the identity provider owns who is in a group; Doorpost
owns which doors a group opens). An API key is shown once, like a SCIM token.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from doorpost.console.security import check_csrf
from doorpost.service.access import Doors
from doorpost.service.access_api import AccessApi
from doorpost.service.errors import AdminError
from doorpost.service.owners import SignedIn

Render = Callable[..., Response]
Page = Callable[[Callable[[Request, SignedIn], Awaitable[Response]]],
                Callable[[Request], Awaitable[Response]]]


def door_routes(doors: Doors, keys: AccessApi, render: Render, page: Page) -> list[Route]:
    async def show(request: Request, who: SignedIn, *, error: str | None = None,
                   notice: str | None = None, new_key: Any = None, status: int = 200
                   ) -> Response:
        slug = who.org.slug
        overview, choices = await run_in_threadpool(doors.overview, slug)
        api_keys = await run_in_threadpool(keys.keys, slug)
        places = await run_in_threadpool(doors.places, slug)
        return render(request, "doors.html", status, who=who, section="doors",
                      doors=overview, choices=choices, keys=api_keys, new_key=new_key,
                      error=error, notice=notice, places=places,
                      place_names={p.id: p.name for p in places})

    async def doors_page(request: Request, who: SignedIn) -> Response:
        return await show(request, who)

    async def act(request: Request, who: SignedIn, action: Callable[[dict[str, str]], Any],
                  done: str) -> Response:
        form = await check_csrf(request, who)
        try:
            result = await run_in_threadpool(action, form)
        except AdminError as exc:
            return await show(request, who, error=str(exc), status=400)
        if isinstance(result, tuple):  # a new key: shown once
            return await show(request, who, notice=done, new_key=result)
        return await show(request, who, notice=done)

    async def create(request: Request, who: SignedIn) -> Response:
        return await act(request, who, lambda f: doors.create(
            who.org.slug, f.get("name", ""), f.get("place") or None), "Door created.")

    async def create_place(request: Request, who: SignedIn) -> Response:
        return await act(request, who, lambda f: doors.create_place(who.org.slug,
                                                                    f.get("name", "")),
                         "Place created.")

    async def grant(request: Request, who: SignedIn) -> Response:
        door = request.path_params["id"]
        return await act(request, who, lambda f: doors.grant(who.org.slug, door,
                                                             f.get("group", "")),
                         "Granted: members of the group can open the door now.")

    async def revoke(request: Request, who: SignedIn) -> Response:
        door = request.path_params["id"]
        return await act(request, who, lambda f: doors.revoke(who.org.slug, door,
                                                              f.get("group", "")),
                         "Revoked: the group's members lost this door on the next decision.")

    async def new_key(request: Request, who: SignedIn) -> Response:
        return await act(request, who, lambda f: keys.create_key(who.org.slug,
                                                                 f.get("name", "")),
                         "API key created.")

    async def revoke_key(request: Request, who: SignedIn) -> Response:
        key_id = request.path_params["id"]
        return await act(request, who, lambda f: keys.revoke_key(who.org.slug, key_id),
                         "API key revoked: its next request is refused.")

    return [
        Route("/doors", page(doors_page)),
        Route("/doors", page(create), methods=["POST"], name="door-create"),
        Route("/places", page(create_place), methods=["POST"]),
        Route("/doors/{id}/grant", page(grant), methods=["POST"]),
        Route("/doors/{id}/revoke", page(revoke), methods=["POST"]),
        Route("/api-keys", page(new_key), methods=["POST"]),
        Route("/api-keys/{id}/revoke", page(revoke_key), methods=["POST"]),
    ]
