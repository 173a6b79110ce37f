"""Replays Runscope-format test suites (Okta's SPEC and CRUD tests) against a live server.

Requests to `{{oktaOrgUrl}}` (Okta's own API, used by the CRUD suite to drive an Okta org)
are answered by `OktaModel`, which sends the SCIM requests Okta's provisioning sends for that
action (Okta's developer docs: match by `userName eq`, create by POST, update and deactivate
by PUT, never DELETE). Every request to the SCIM server and every assertion in the file is
replayed unchanged. JavaScript post-scripts are not run; their checks are listed by `skipped`.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

OKTA_UA = "Okta SCIM Client 1.0.0"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"


@dataclass
class Outcome:
    step: str
    check: str
    passed: bool
    detail: str = ""


@dataclass
class Replay:
    outcomes: list[Outcome] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.passed]


def _lookup(data: Any, prop: str) -> Any:
    if prop in ("", None):
        return data
    for part in re.findall(r"[^.\[\]]+", prop):
        if isinstance(data, list):
            idx = int(part)
            data = data[idx] if idx < len(data) else None
        elif isinstance(data, dict):
            data = data.get(part)
        else:
            return None
    return data


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _check(assertion: dict[str, Any], resp: httpx.Response, elapsed_ms: float,
           subst: Any) -> tuple[bool, str]:
    source = assertion["source"]
    comparison = assertion["comparison"]
    expected = subst(_text(assertion.get("value")))
    if source == "response_status":
        actual: Any = resp.status_code
    elif source == "response_time":
        actual = elapsed_ms
    else:
        try:
            actual = _lookup(resp.json(), assertion.get("property", ""))
        except ValueError:
            actual = None
    ok = {
        "equal_number": lambda: float(actual) == float(expected),
        "equal": lambda: _text(actual) == expected,
        "not_empty": lambda: actual not in (None, "", [], {}),
        "is_a_number": lambda: isinstance(actual, (int, float)) and not isinstance(actual, bool),
        "has_value": lambda: isinstance(actual, list) and expected in [_text(a) for a in actual],
        "contains": lambda: expected in (actual if isinstance(actual, (list, str)) else []),
        "is_less_than": lambda: float(actual) < float(expected),
    }[comparison]()
    return bool(ok), f"{source}.{assertion.get('property', '')} {comparison} {expected!r}: " \
                     f"got {actual!r}"


class OktaModel:
    """What an Okta org sends to a SCIM app when its own API is called."""

    def __init__(self, scim: httpx.Client) -> None:
        self.scim = scim
        self.users: dict[str, dict[str, Any]] = {}
        self.linked: dict[str, str] = {}  # okta user id -> SCIM id

    def handle(self, method: str, path: str, body: Any) -> httpx.Response:
        path = path.split("?")[0]
        if method == "GET" and re.fullmatch(r"/api/v1/apps/[^/]+", path):
            return httpx.Response(200, json={"id": path.rsplit("/", 1)[1]})
        if method == "POST" and path == "/api/v1/users":
            okta_id = "00u" + uuid.uuid4().hex[:17]
            self.users[okta_id] = dict(body["profile"])
            return httpx.Response(200, json={"id": okta_id, "status": "ACTIVE"})
        if method == "POST" and re.fullmatch(r"/api/v1/apps/[^/]+/users", path):
            self.assign(body["id"], body.get("profile", {}))
            return httpx.Response(200, json={"id": body["id"]})
        if method == "PUT" and re.fullmatch(r"/api/v1/users/[^/]+", path):
            okta_id = path.rsplit("/", 1)[1]
            self.users[okta_id].update(body["profile"])
            if okta_id in self.linked:
                self.push(okta_id, active=True)
            return httpx.Response(200, json={"id": okta_id})
        m = re.fullmatch(r"/api/v1/users/([^/]+)/lifecycle/(deactivate|activate)", path)
        if method == "POST" and m:
            if m.group(2) == "deactivate" and m.group(1) in self.linked:
                self.push(m.group(1), active=False)  # deactivation also unassigns in Okta
            return httpx.Response(200, json={})
        m = re.fullmatch(r"/api/v1/apps/[^/]+/users/([^/]+)", path)
        if method == "DELETE" and m:
            if m.group(1) in self.linked:
                self.push(m.group(1), active=False)  # Okta never DELETEs a SCIM user
            return httpx.Response(204)
        raise AssertionError(f"OktaModel does not know {method} {path}")

    def _scim_user(self, okta_id: str, active: bool) -> dict[str, Any]:
        p = self.users[okta_id]
        return {"schemas": [USER_URN], "userName": p["login"],
                "name": {"givenName": p["firstName"], "familyName": p["lastName"]},
                "emails": [{"primary": True, "value": p["email"], "type": "work"}],
                "displayName": f"{p['firstName']} {p['lastName']}", "active": active}

    def assign(self, okta_id: str, app_profile: dict[str, Any]) -> None:
        profile = self.users[okta_id]
        if app_profile.get("givenName"):
            profile["firstName"] = app_profile["givenName"]
        if okta_id in self.linked:
            self.push(okta_id, active=True)
            return
        found = self.scim.get("/Users", params={
            "filter": f'userName eq "{profile["login"]}"', "startIndex": 1, "count": 100})
        found.raise_for_status()
        if found.json()["totalResults"]:
            self.linked[okta_id] = found.json()["Resources"][0]["id"]
            self.push(okta_id, active=True)
            return
        created = self.scim.post("/Users", json=self._scim_user(okta_id, True))
        assert created.status_code == 201, created.text
        self.linked[okta_id] = created.json()["id"]

    def push(self, okta_id: str, *, active: bool) -> None:
        scim_id = self.linked[okta_id]
        current = self.scim.get(f"/Users/{scim_id}")
        current.raise_for_status()
        body = {**self._scim_user(okta_id, active), "id": scim_id}
        r = self.scim.put(f"/Users/{scim_id}", json=body)
        assert r.status_code == 200, r.text


def replay(suite: Path, variables: dict[str, str], scim_base: str, okta: OktaModel | None = None
           ) -> Replay:
    data = json.loads(suite.read_text())
    result = Replay()
    env = dict(variables)

    def subst(text: str) -> str:
        return re.sub(r"\{\{(\w+)\}\}", lambda m: env.get(m.group(1), m.group(0)), text)

    for step in data["steps"]:
        if step.get("step_type") != "request" or step.get("skipped"):
            continue
        name = step.get("note") or f"{step['method']} {step['url']}"
        url = subst(step["url"])
        raw_headers = step.get("headers") or {}
        headers = {k: subst(v[0] if isinstance(v, list) else v) for k, v in raw_headers.items()}
        body_text = subst(step.get("body") or "")
        body = json.loads(body_text) if body_text.strip() else None
        started = time.perf_counter()
        if url.startswith(env.get("oktaOrgUrl", "\0")):
            assert okta is not None
            resp = okta.handle(step["method"], url[len(env["oktaOrgUrl"]):], body)
        else:
            resp = httpx.request(step["method"], url, headers=headers,
                                 content=body_text.encode() if body_text else None, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        for assertion in step.get("assertions", []):
            ok, detail = _check(assertion, resp, elapsed, subst)
            result.outcomes.append(Outcome(name, assertion["comparison"], ok, detail))
        for var in step.get("variables", []):
            if var.get("name"):
                try:
                    env[var["name"]] = _text(_lookup(resp.json(), var["property"]))
                except ValueError:
                    pass
        if any(s.strip() for s in step.get("scripts") or []):
            result.skipped.append(f"{name}: JavaScript post-script not run")
    return result
