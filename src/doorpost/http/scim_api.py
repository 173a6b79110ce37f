"""The SCIM endpoints under `/scim/v2` (RFC 7644 §3): one small router, case-insensitive.

Entra and others append `/Users` to whatever tenant URL the owner pasted, sometimes with a
doubled slash or a different case; so paths are matched on their non-empty, lower-cased
segments. Unknown paths answer a SCIM 404 and wrong methods a SCIM 405.
"""

from __future__ import annotations

from urllib.parse import unquote_plus

import logging
import time
from typing import Any, Callable

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from doorpost.http.body import Body, read_body
from doorpost.http.rate_limits import RateLimits
from doorpost.http.responses import error_response, scim_response
from doorpost.http.scim_answers import answer_response
from doorpost.scim import discovery
from doorpost.scim.definitions import GROUP_TYPE, RESOURCE_TYPES, SCHEMAS, USER_TYPE
from doorpost.scim.dialects import Reading
from doorpost.scim.errors import (
    InternalError,
    MethodNotAllowed,
    NotFound,
    ScimError,
    Unauthorized,
    Unavailable,
)
from doorpost.scim.listing import list_response, parse_search_body
from doorpost.scim.schema import ResourceType
from doorpost.service.activity import Audit, RequestRecord
from doorpost.service.auth import Caller, authenticate
from doorpost.service.results import Answer
from doorpost.service.scim import ScimService
from doorpost.store.database import Busy, Database

log = logging.getLogger("doorpost.scim")

RESOURCES: dict[str, ResourceType] = {"users": USER_TYPE, "groups": GROUP_TYPE}


Recorder = Callable[[RequestRecord], None]
DialectChooser = Callable[[Request, Caller], Reading]


class ScimApi:
    """ASGI-facing handler for everything under the SCIM base path."""

    def __init__(self, db: Database, service: ScimService, public_url: str | None,
                 choose_dialect: DialectChooser, record: Recorder | None = None,
                 rate_limits: RateLimits | None = None) -> None:
        self.db = db
        self.service = service
        self.public_url = public_url
        self.choose_dialect = choose_dialect
        self.record = record  # the batched path; a write's record commits with the write
        self.rate_limits = rate_limits

    def base_url(self, request: Request) -> str:
        if self.public_url:
            return f"{self.public_url}/scim/v2"
        scope = request.scope  # not `request.url`, which parses the whole URL again
        host = request.headers.get("host") or "{}:{}".format(*scope.get("server", ("", "")))
        return f"{scope.get('scheme', 'http')}://{host}/scim/v2"

    async def __call__(self, request: Request) -> Response:
        started = time.perf_counter_ns()
        state: dict[str, Any] = {"caller": None, "dialect": None, "rt": None, "outcome": None,
                                 "line": request_line(request)}
        error: str | None = None
        try:
            response = await self.dispatch(request, state, started)
        except ScimError as exc:
            response = error_response(exc)
            error = exc.detail
        except Busy:  # the pool stayed exhausted for its timeout: a quick 503, never a 500
            busy = Unavailable("The service is busy; retry in a moment.")
            response, error = error_response(busy), busy.detail
        except Exception:  # the outermost net: a SCIM-shaped 500, never a trace
            log.exception("unhandled error on %s %s", request.method, request.url.path)
            response = error_response(InternalError("An internal error occurred; it has been "
                                                    "logged."))
        outcome: Answer | None = state["outcome"]
        if self.record is not None and state["caller"] is not None and not (
                outcome is not None and outcome.recorded):
            rt: ResourceType | None = state["rt"]
            self.record(RequestRecord(
                state["caller"], request.method, state["line"], response.status_code,
                (time.perf_counter_ns() - started) // 1000,
                state["dialect"].label if state["dialect"] else None,
                rt.name if rt else None, outcome.resource_id if outcome else None,
                [n.to_json() for n in outcome.notes] if outcome else [],
                outcome.changes if outcome else None, error))
        return response

    async def dispatch(self, request: Request, state: dict[str, Any],
                       started_ns: int = 0) -> Response:
        """Route, read the body, then do everything else in one call: authenticate, pick the
        dialect, run the use case. On SQLite the call runs inline; on PostgreSQL in one
        worker-thread hop (see `Database.runs_inline`)."""
        raw = request.path_params.get("path", "")
        if "\x00" in raw:
            raise NotFound("No resource has a NUL character in its path.")
        segments = [s for s in raw.split("/") if s]
        method = request.method
        base = self.base_url(request)
        if not segments:
            raise NotFound("Nothing here: see /ServiceProviderConfig, /Users and /Groups.")
        head = segments[0].lower()
        if head in ("serviceproviderconfig", "resourcetypes", "schemas"):
            if method != "GET":
                raise MethodNotAllowed(f"{method} is not allowed on discovery endpoints.")
            return self.discovery(head, segments[1:], base)
        rt = RESOURCES.get(head)
        if head == ".search" and len(segments) == 1:
            rt = None
        elif rt is None or len(segments) > 2:
            raise NotFound(f"No SCIM endpoint at '/{'/'.join(segments)}'.")
        state["rt"] = rt
        action = self.action(method, rt, segments)
        body = await read_body(request, self.service.limits.max_body_bytes) \
            if method in ("POST", "PUT", "PATCH") else None
        authorization = request.headers.get("authorization")

        address = request.client.host if request.client else ""

        def run() -> Response:
            try:
                caller = authenticate(self.db, authorization)
            except Unauthorized:
                if self.rate_limits is not None:
                    self.rate_limits.count_bad_token(address)
                raise
            state["caller"] = caller
            if self.rate_limits is not None:
                self.rate_limits.count_request(caller.org.id)
            seen = request.scope.get("doorpost")
            if isinstance(seen, dict):  # for the access log: who, never the token
                seen.update(org=caller.org.slug, token_id=caller.token_id)
            dialect = self.choose_dialect(request, caller)
            state["dialect"] = dialect
            if isinstance(seen, dict):
                seen["dialect"] = dialect.name
            audit = Audit(caller, method, state["line"], started_ns, dialect,
                          rt.name if rt else None) if self.record is not None else None
            answer = action(caller, dialect, body, request, audit)
            state["outcome"] = answer
            # Rendered here, on the same thread: the first chunks of a body may read (a
            # group's first batch of members), and on PostgreSQL no read runs on the loop.
            return answer_response(answer, base, produce_on_loop=self.db.runs_inline)

        return run() if self.db.runs_inline else await run_in_threadpool(run)

    def action(self, method: str, rt: ResourceType | None, segments: list[str]
               ) -> Callable[[Caller, Reading, Body | None, Request, Audit | None], Answer]:
        """The use case for this method and path (405 when there is none)."""
        svc = self.service

        def params(request: Request) -> dict[str, Any]:
            return dict(request.query_params)

        if rt is None:  # /.search at the root
            if method != "POST":
                raise MethodNotAllowed("Use POST for /.search.")
            return lambda c, d, b, r, a: svc.search_all(
                c, parse_search_body(b.json()), d)  # type: ignore[union-attr]
        if len(segments) == 1:
            if method == "GET":
                return lambda c, d, b, r, a: svc.list_resources(c, rt, params(r), d)
            if method == "POST":
                return lambda c, d, b, r, a: svc.create(
                    c, rt, b.json(), d, params(r), a)  # type: ignore[union-attr]
            raise MethodNotAllowed(f"{method} is not allowed on /{rt.endpoint}.")
        if segments[1].lower() == ".search":
            if method != "POST":
                raise MethodNotAllowed(f"Use POST for /{rt.endpoint}/.search.")
            return lambda c, d, b, r, a: svc.list_resources(
                c, rt, parse_search_body(b.json()), d)  # type: ignore[union-attr]
        id_ = segments[1]
        if method == "GET":
            return lambda c, d, b, r, a: svc.get(c, rt, id_, params(r),
                                                 r.headers.get("if-none-match"))
        if method == "PUT":
            return lambda c, d, b, r, a: svc.replace(
                c, rt, id_, b.json(), r.headers.get("if-match"), d,  # type: ignore[union-attr]
                params(r), a)
        if method == "PATCH":
            return lambda c, d, b, r, a: svc.patch(
                c, rt, id_, b.json(), r.headers.get("if-match"), params(r),  # type: ignore[union-attr]
                d, a)
        if method == "DELETE":
            return lambda c, d, b, r, a: svc.delete(c, rt, id_, r.headers.get("if-match"), a)
        raise MethodNotAllowed(f"{method} is not allowed on /{rt.endpoint}/{{id}}.")

    def discovery(self, head: str, rest: list[str], base: str) -> Response:
        limits = self.service.limits
        if head == "serviceproviderconfig":
            if rest:
                raise NotFound("ServiceProviderConfig has no sub-resources.")
            return scim_response(200, discovery.service_provider_config(base, limits))
        items = discovery.resource_types(base) if head == "resourcetypes" else \
            discovery.schemas(base)
        known = [rt.name for rt in RESOURCE_TYPES] if head == "resourcetypes" else \
            [s.id for s in SCHEMAS]
        if not rest:
            return scim_response(200, list_response(items, len(items), 1))
        wanted = "/".join(rest).lower()
        for name, item in zip(known, items):
            if name.lower() == wanted:
                return scim_response(200, item)
        raise NotFound(f"No {'resource type' if head == 'resourcetypes' else 'schema'} "
                       f"'{'/'.join(rest)}'.")


def request_line(request: Request) -> str:
    """The path with its query, as the activity log keeps it (a failed filter must be seen;
    secrets in it are redacted when the record is made). Read from the ASGI scope:
    `request.url` would parse the whole URL again."""
    scope = request.scope
    query = scope.get("query_string", b"").decode("latin-1")
    path: str = scope["path"]
    return (path + (f"?{unquote_plus(query)}" if query else ""))[:2048]
