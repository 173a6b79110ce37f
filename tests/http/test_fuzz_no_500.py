"""Seeded fuzzing of PATCH operations and POST bodies: whatever arrives, the answer is a
SCIM response below 500, and a failed PATCH leaves the resource unchanged."""

from __future__ import annotations

import random
from typing import Any

from tests.conftest import ENTERPRISE_URN, GROUP_URN, USER_URN, Tenant, user_body

PATHS = ["title", "name", "name.givenName", "name.nosuch", "emails", 'emails[type eq "work"]',
         'emails[type eq "work"].value', 'emails[type eq "work"].primary', "emails.value",
         'phoneNumbers[value co "5"].type', "active", "userName", "id", "meta", "groups",
         f"{ENTERPRISE_URN}:manager", f"{ENTERPRISE_URN}:department", ENTERPRISE_URN,
         "members", 'members[value eq "x"]', "x509Certificates", "addresses[type eq \"work\"]",
         "emails[", "]", "urn:nope:attr", "", "name[type eq \"x\"]", 'emails[primary eq true]']
VALUES: list[Any] = [None, "", "x", "True", "false", True, 0, 1.5, [], {}, [{}],
                     [{"value": "a@b.c", "type": "work", "primary": True}],
                     {"value": "x"}, {"givenName": "G"}, [1, 2], {"nested": {"deep": [1]}},
                     "a" * 600, [{"value": None}], {"value": ["x"]}]
OPS = ["add", "replace", "remove", "Add", "REMOVE", "move", None, 5]


def random_op(rng: random.Random) -> dict[str, Any]:
    op: dict[str, Any] = {"op": rng.choice(OPS)}
    if rng.random() < 0.85:
        op["path"] = rng.choice(PATHS)
    if rng.random() < 0.8:
        op["value"] = rng.choice(VALUES)
    return op


def random_body(rng: random.Random, i: int) -> Any:
    body: dict[str, Any] = {"schemas": rng.choice([[USER_URN], [USER_URN, ENTERPRISE_URN],
                                                   [GROUP_URN], "x", None]),
                            "userName": rng.choice([f"f{i}@x.y", 5, None, "", ["a"]])}
    for _ in range(rng.randrange(4)):
        body[rng.choice(["title", "name", "emails", "active", ENTERPRISE_URN, "members",
                         "groups", "meta", "id", "bogus"])] = rng.choice(VALUES)
    return rng.choice([body, body, [body], "string", 42])


def test_fuzzed_requests_never_get_a_500(tenant: Tenant) -> None:
    rng = random.Random(4242)
    user = tenant.post("/Users", user_body("fuzz@example.com")).json()
    group = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Fuzz"}).json()
    statuses: dict[int, int] = {}
    for i in range(250):
        kind, id_ = rng.choice([("Users", user["id"]), ("Groups", group["id"])])
        before = tenant.client.get(f"/{kind}/{id_}").json()
        ops = [random_op(rng) for _ in range(rng.randrange(1, 4))]
        r = tenant.client.patch(f"/{kind}/{id_}", json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops})
        statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
        assert r.status_code < 500, (ops, r.text)
        if r.status_code >= 400:
            assert r.headers["content-type"].startswith("application/scim+json")
            assert tenant.client.get(f"/{kind}/{id_}").json() == before, ops
        r = tenant.post(f"/{rng.choice(['Users', 'Groups'])}", random_body(rng, i))
        assert r.status_code < 500, r.text
    assert statuses.get(400, 0) > 50 and statuses.get(200, 0) + statuses.get(204, 0) >= 5
