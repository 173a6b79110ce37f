"""The access API for door controllers and readers, under `/api/v1` (described in
`/openapi.json`): `GET /doors`, `POST /access/decisions`, `GET /access/events` (decisions
made), `GET /events` (the change feed, with long-poll), and, without a key, each
organization's `GET /orgs/{slug}/jwks.json` (the keys of its Security Event Tokens).

Authenticated with a per-organization API key (`Authorization: Bearer dp_key_…`). Errors
are `{"error": {"code": …, "message": …}}` with the right status; bad input never gets a
5xx, and a door or person of another organization is simply not found.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Awaitable, Callable

import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from doorpost.service.access_api import AccessApi, ApiCaller, ApiUnauthorized, BadRequest
from doorpost.service.errors import NotFoundError
from doorpost.service.feed import event_json
from doorpost.store.database import Busy

log = logging.getLogger("doorpost.access_api")
MAX_BODY = 16 * 1024
MAX_WAIT_SECONDS = 30
POLL_SECONDS = 0.1  # how often a waiting long-poll looks at the outbox (one indexed read)


def _number(request: Request, name: str, default: int, low: int, high: int) -> int:
    text = request.query_params.get(name, str(default))
    if not (text.isascii() and text.isdigit() and len(text) <= 19 and low <= int(text) <= high):
        raise BadRequest(f"'{name}' must be a whole number from {low} to {high}.")
    return int(text)


def _json(status: int, body: Any, headers: dict[str, str] | None = None) -> Response:
    return Response(orjson.dumps(body), status, headers, media_type="application/json")


def _error(status: int, code: str, message: str) -> Response:
    headers = {"WWW-Authenticate": 'Bearer realm="doorpost-access"'} if status == 401 else \
        {"Retry-After": "1"} if status == 503 else None
    return _json(status, {"error": {"code": code, "message": message}}, headers)


Handler = Callable[[Request, ApiCaller], Awaitable[Response]]


def build_access_api(api: AccessApi) -> list[BaseRoute]:
    async def guarded(request: Request, handler: Handler) -> Response:
        try:
            caller = await run_in_threadpool(api.authenticate,
                                             request.headers.get("authorization"))
            return await handler(request, caller)
        except ApiUnauthorized as exc:
            return _error(401, "unauthorized", str(exc))
        except BadRequest as exc:
            return _error(400, "invalid_request", str(exc))
        except NotFoundError as exc:
            return _error(404, "not_found", str(exc))
        except Busy:
            return _error(503, "unavailable", "The service is busy; retry in a moment.")
        except Exception:  # the outermost net: a JSON 500, never a trace
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            return _error(500, "internal", "An internal error occurred; it has been logged.")

    async def doors(request: Request, caller: ApiCaller) -> Response:
        found = await run_in_threadpool(api.door_list, caller)
        return _json(200, {"doors": [{"id": d.id, "name": d.name} for d in found]})

    async def decisions(request: Request, caller: ApiCaller) -> Response:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise BadRequest("The body is larger than 16 KiB.")
        try:
            body = orjson.loads(raw)
        except orjson.JSONDecodeError as exc:
            raise BadRequest("The body is not JSON.") from exc
        if not isinstance(body, dict):
            raise BadRequest('The body must be {"door": ID, "user": ID or userName or email}.')
        answer = await run_in_threadpool(api.decide, caller, body.get("door"), body.get("user"))
        return _json(200, {"allowed": answer.allowed, "reason": answer.reason,
                           "decision_id": answer.decision_id, "user": answer.user_id})

    async def events(request: Request, caller: ApiCaller) -> Response:
        limit_text = request.query_params.get("limit", "100")
        if not (limit_text.isascii() and limit_text.isdigit() and len(limit_text) <= 4):
            raise BadRequest("'limit' must be a number from 1 to 500.")
        page, cursor = await run_in_threadpool(api.events, caller,
                                               request.query_params.get("after"),
                                               int(limit_text))
        return _json(200, {"events": [
            {"id": e.id, "time_us": e.time_us, "user": e.user_id or None, "door": e.door_id,
             "allowed": e.allowed, "reason": e.reason, "source": e.source} for e in page],
            "next": cursor})

    async def changes(request: Request, caller: ApiCaller) -> Response:
        """The pull feed: events after `after`; with `wait`, holds the request open (no
        transaction, no connection held) until one arrives or `wait` seconds pass."""
        after = _number(request, "after", 0, 0, 2**62)
        limit = _number(request, "limit", 100, 1, 500)
        wait = _number(request, "wait", 0, 0, MAX_WAIT_SECONDS)
        deadline = asyncio.get_running_loop().time() + wait
        while True:
            page = await run_in_threadpool(api.changes, caller, after, limit)
            if page or asyncio.get_running_loop().time() >= deadline:
                break
            await asyncio.sleep(POLL_SECONDS)
        return _json(200, {"events": [event_json(e) for e in page],
                           "next": page[-1].seq if page else after})

    async def jwks(request: Request) -> Response:
        try:
            keys = await run_in_threadpool(api.jwks, request.path_params["slug"])
        except NotFoundError as exc:
            return _error(404, "not_found", str(exc))
        return _json(200, keys, {"Cache-Control": "max-age=300"})

    def route(path: str, handler: Handler, method: str) -> Route:
        async def endpoint(request: Request) -> Response:
            return await guarded(request, handler)
        return Route(path, endpoint, methods=[method])

    return [route("/api/v1/doors", doors, "GET"),
            route("/api/v1/access/decisions", decisions, "POST"),
            route("/api/v1/access/events", events, "GET"),
            route("/api/v1/events", changes, "GET"),
            Route("/api/v1/orgs/{slug}/jwks.json", jwks, methods=["GET"])]
