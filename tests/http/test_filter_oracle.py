"""Differential test of the filter → SQL translation: for generated filters, the database's
answer must equal scim2-models' in-memory `ScimFilter.match` (an independent implementation
of RFC 7644 §3.4.2.2) over the same users, on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from typing import Any

import pytest
from scim2_models import EnterpriseUser, ScimFilter, User

from tests.conftest import ENTERPRISE_URN, USER_URN, Tenant

WORDS = ["ana", "Ben", "cy", "dee", "Eng", "ops", "lead", "x-1", "acme", "home"]
STRING_ATTRS = ["userName", "displayName", "title", "nickName", "name.givenName",
                "name.familyName", f"{ENTERPRISE_URN}:department",
                f"{ENTERPRISE_URN}:employeeNumber", "externalId"]
OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]


def make_user(rng: random.Random, i: int) -> dict[str, Any]:
    def maybe(value: Any) -> Any:
        return value if rng.random() < 0.7 else None
    body: dict[str, Any] = {"schemas": [USER_URN, ENTERPRISE_URN],
                            "userName": f"{rng.choice(WORDS)}{i}@{rng.choice(WORDS)}.example"}
    for key, value in (("displayName", maybe(f"{rng.choice(WORDS)} {rng.choice(WORDS)}")),
                       ("title", maybe(rng.choice(WORDS))), ("nickName", maybe(rng.choice(WORDS))),
                       ("externalId", maybe(f"{rng.choice(WORDS)}-{i}")),
                       ("active", maybe(rng.random() < 0.5))):
        if value is not None:
            body[key] = value
    name = {k: rng.choice(WORDS) for k in ("givenName", "familyName") if rng.random() < 0.7}
    if name:
        body["name"] = name
    emails = [{"value": f"{rng.choice(WORDS)}{i}{j}@{rng.choice(WORDS)}.example",
               "type": rng.choice(["work", "home", "other"])} for j in range(rng.randrange(3))]
    if emails:
        body["emails"] = emails
    ext = {k: rng.choice(WORDS) for k in ("department", "employeeNumber") if rng.random() < 0.6}
    if ext:
        body[ENTERPRISE_URN] = ext
    return body


def make_filter(rng: random.Random, depth: int = 0) -> str:
    roll = rng.random()
    if depth < 2 and roll < 0.25:
        joiner = rng.choice(["and", "or"])
        return f"({make_filter(rng, depth + 1)} {joiner} {make_filter(rng, depth + 1)})"
    if depth < 2 and roll < 0.32:
        return f"not ({make_filter(rng, depth + 1)})"
    if roll < 0.42:
        inner = f'type eq "{rng.choice(["work", "home"])}"'
        if rng.random() < 0.6:
            inner += f' and value {rng.choice(["co", "sw", "ew"])} "{rng.choice(WORDS).lower()}"'
        return f"emails[{inner}]"
    if roll < 0.5:
        return rng.choice(["active eq true", "active eq false", "active pr", "emails pr",
                           f'emails.value co "{rng.choice(WORDS)}"',
                           f'emails.type eq "{rng.choice(["work", "home"])}"'])
    attr = rng.choice(STRING_ATTRS)
    if rng.random() < 0.12:
        return f"{attr} pr"
    op = rng.choice(OPS)
    word = rng.choice(WORDS)
    value = word[: rng.randrange(1, len(word) + 1)] if op in ("co", "sw", "ew") else word
    return f'{attr} {op} "{value}"'


@pytest.fixture
def population(tenant: Tenant) -> list[dict[str, Any]]:
    rng = random.Random(20261129)
    for i in range(40):
        r = tenant.post("/Users", make_user(rng, i))
        assert r.status_code == 201, r.text
    return list(tenant.client.get("/Users", params={"count": 1000}).json()["Resources"])


def test_sql_filters_agree_with_the_oracle(tenant: Tenant,
                                           population: list[dict[str, Any]]) -> None:
    models = [(u["id"], User[EnterpriseUser].model_validate(u)) for u in population]
    rng = random.Random(7)
    mismatches = []
    checked = 0
    for _ in range(300):
        text = make_filter(rng)
        oracle = {id_ for id_, model in models if ScimFilter[User[EnterpriseUser]](text).match(model)}
        r = tenant.client.get("/Users", params={"filter": text, "count": 1000,
                                                "attributes": "id"})
        assert r.status_code == 200, (text, r.text)
        ours = {u["id"] for u in r.json()["Resources"]}
        checked += 1
        if ours != oracle:
            mismatches.append(f"{text}: ours-only {len(ours - oracle)}, oracle-only "
                              f"{len(oracle - ours)}")
    assert checked == 300
    assert mismatches == [], "\n".join(mismatches)
