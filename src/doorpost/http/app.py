"""The Starlette application: `/scim/v2/…`, `/healthz`, and a small landing page."""

from __future__ import annotations

import contextlib
import logging
from typing import AsyncIterator, Callable, Sequence

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from doorpost.http.scim_api import ScimApi
from doorpost.store.database import Database

SCIM_PREFIX = "/scim/v2"
log = logging.getLogger("doorpost.http")


def build_http_app(db: Database, scim: ScimApi, console: ASGIApp | None = None,
                   on_shutdown: Sequence[Callable[[], None]] = ()) -> Starlette:
    async def healthz(_request: Request) -> Response:
        try:
            await run_in_threadpool(db.ping)
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": db.backend})

    async def livez(_request: Request) -> Response:
        """The process answers (no database): liveness, and the benchmark's floor."""
        return PlainTextResponse("ok")

    async def index(_request: Request) -> Response:
        return PlainTextResponse("Doorpost: SCIM 2.0 provisioning for physical access control.\n"
                                 f"Point your identity provider at {SCIM_PREFIX}; owners sign "
                                 "in at /admin.\n")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        yield
        for hook in on_shutdown:
            hook()

    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/livez", livez),
                               Route("/", index)]
    if console is not None:
        routes.append(Mount("/admin", app=console))
    app = Starlette(routes=routes, lifespan=lifespan)

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == SCIM_PREFIX or path.lower().startswith(
                SCIM_PREFIX + "/") or path.lower() == SCIM_PREFIX):
            scope = dict(scope)
            scope["path_params"] = {"path": path[len(SCIM_PREFIX):]}
            response = await scim(Request(scope, receive))
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    return asgi  # type: ignore[return-value]
