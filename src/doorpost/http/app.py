"""The Starlette application: `/scim/v2/…`, `/healthz`, and a small landing page."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import os
import time
from typing import Any, AsyncIterator, Callable, Sequence

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from doorpost.http import metrics
from doorpost.http.scim_api import ScimApi
from doorpost.store.database import Database

SCIM_PREFIX = "/scim/v2"
log = logging.getLogger("doorpost.http")


REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
access_log = logging.getLogger("doorpost.access")


def route_of(path: str) -> str:
    """The route template of a path, for logs: ids become `{id}`, so requests group."""
    parts = [p for p in path.split("/") if p]
    if path.lower().startswith(SCIM_PREFIX) and len(parts) >= 4:
        parts = parts[:3] + (["{id}"] if parts[3].lower() != ".search" else [parts[3]]) \
            + parts[4:]
    elif parts[:1] == ["admin"] and len(parts) >= 3 and parts[1] in (
            "members", "groups", "activity", "tokens"):
        parts = parts[:2] + ["{id}"] + parts[3:]
    return "/" + "/".join(parts)


def build_http_app(db: Database, scim: ScimApi, console: ASGIApp | None = None,
                   on_shutdown: Sequence[Callable[[], None]] = (),
                   on_startup: Sequence[Callable[[], None]] = (),
                   readiness: Callable[[], str | None] | None = None,
                   gauges: Callable[[], None] | None = None,
                   openapi: dict[str, Any] | None = None,
                   pages: Sequence[BaseRoute] = ()) -> Starlette:
    """`gauges` refreshes this worker's gauges (after each request and at each scrape);
    `openapi` is the document served at `/openapi.json`."""
    async def healthz(_request: Request) -> Response:
        try:
            await run_in_threadpool(db.ping)
        except Exception:
            log.exception("health check: database unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        return JSONResponse({"status": "ok", "database": db.backend})

    async def readyz(_request: Request) -> Response:
        """Ready for traffic: the database answers and its schema is the code's (run
        `doorpost db upgrade` before starting new workers)."""
        try:
            await run_in_threadpool(db.ping)
            behind = await run_in_threadpool(readiness) if readiness is not None else None
        except Exception:
            log.exception("readiness check: database unreachable")
            return JSONResponse({"status": "unavailable", "database": "unreachable"}, 503)
        if behind is not None:
            return JSONResponse({"status": "unavailable", "migrations": behind}, 503)
        return JSONResponse({"status": "ready", "database": db.backend, "migrations": "head"})

    async def livez(_request: Request) -> Response:
        """The process answers (no database): liveness, and the benchmark's floor."""
        return PlainTextResponse("ok")

    async def metrics_endpoint(_request: Request) -> Response:
        """Prometheus text format, every worker's counters summed (multiprocess mode)."""
        body, content_type = metrics.exposition(gauges)
        return Response(body, media_type=content_type)

    openapi_body = json.dumps(openapi or {}).encode()

    async def openapi_endpoint(_request: Request) -> Response:
        return Response(openapi_body, media_type="application/json")

    async def index(_request: Request) -> Response:
        return PlainTextResponse("Doorpost: SCIM 2.0 provisioning for physical access control.\n"
                                 f"Point your identity provider at {SCIM_PREFIX}; owners sign "
                                 "in at /admin.\n")

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        for hook in on_startup:
            hook()
        yield
        for hook in on_shutdown:
            hook()

    routes: list[BaseRoute] = [Route("/healthz", healthz), Route("/readyz", readyz),
                               Route("/livez", livez), Route("/metrics", metrics_endpoint),
                               Route("/", index)]
    if openapi is not None:
        routes.append(Route("/openapi.json", openapi_endpoint))
    routes += pages  # browser pages outside the console: /saml/{org}/…, /me
    if console is not None:
        routes.append(Mount("/admin", app=console))
    app = Starlette(routes=routes, lifespan=lifespan)

    async def route(scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        if scope["type"] == "http" and (path == SCIM_PREFIX or path.lower().startswith(
                SCIM_PREFIX + "/") or path.lower() == SCIM_PREFIX):
            scope = dict(scope)
            scope["path_params"] = {"path": path[len(SCIM_PREFIX):]}
            response = await scim(Request(scope, receive))
            await response(scope, receive, send)
            return
        await app(scope, receive, send)

    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        """Every HTTP request gets a request id (the client's `X-Request-Id` when it is a
        sane one), echoed in the response, and one JSON log line: id, method, route,
        status, latency, and the organization and token id a SCIM request ran as."""
        if scope["type"] != "http":
            await route(scope, receive, send)
            return
        started = time.perf_counter()
        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode(
            "latin-1").strip()
        request_id = given if REQUEST_ID.fullmatch(given) else os.urandom(16).hex()
        seen: dict[str, Any] = {"status": 500}
        scope = dict(scope)
        scope["doorpost"] = seen  # the SCIM API notes who called

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
                message = dict(message)
                message["headers"] = [*message.get("headers", []),
                                      (b"x-request-id", request_id.encode())]
            await send(message)
        try:
            await route(scope, receive, send_with_id)
        finally:
            seconds = time.perf_counter() - started
            if access_log.isEnabledFor(logging.INFO):  # the line costs nothing when off
                access_log.info(json.dumps({
                    "request_id": request_id, "method": scope.get("method"),
                    "route": route_of(scope.get("path", "")), "status": seen["status"],
                    "latency_ms": round(seconds * 1000, 2),
                    "org": seen.get("org"), "token_id": seen.get("token_id")}))
            metrics.observe(scope.get("path", ""), scope.get("method", ""), seen["status"],
                            seconds, seen.get("dialect"))
            if gauges is not None:
                gauges()

    return asgi  # type: ignore[return-value]
