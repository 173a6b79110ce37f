"""Differential test of the filter semantics.

For generated filters, the database's answer must equal scim2-models' in-memory
`ScimFilter.match` (an independent implementation of RFC 7644 §3.4.2.2) over the same users,
on SQLite and PostgreSQL. The population has non-ASCII text (in letters whose lower case is
their case folding, where scim2-models' `lower()` and Doorpost's `fold` agree), unassigned
values, several multi-valued attributes, and the filters compare full-precision times taken
from the users' own `meta`.

The same filters' value paths are also evaluated by Doorpost's own in-memory evaluator
(`filter.matches`, the one PATCH value filters use): it must select exactly the users SQL
selects, so a PATCH path and a list filter can never disagree.""" 

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from scim2_models import EnterpriseUser, ScimFilter, User

from doorpost.scim.definitions import USER_TYPE
from doorpost.scim.filter import And, Compare, Filter, Not, Or, Present, ValuePath
from doorpost.scim.filter import matches, parse_filter

from tests.conftest import ENTERPRISE_URN, USER_URN, Tenant

WORDS = ["ana", "Ben", "cy", "dee", "Eng", "ops", "lead", "x-1", "acme", "home",
         "Élan", "élan", "ÖRN", "örn", "Łódź", "ŁÓDŹ"]
ASCII = [w for w in WORDS if w.isascii()]
STRING_ATTRS = ["userName", "displayName", "title", "nickName", "name.givenName",
                "name.familyName", f"{ENTERPRISE_URN}:department",
                f"{ENTERPRISE_URN}:employeeNumber", "externalId"]
OPS = ["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]


def make_user(rng: random.Random, i: int) -> dict[str, Any]:
    def maybe(value: Any) -> Any:
        return value if rng.random() < 0.7 else None
    body: dict[str, Any] = {"schemas": [USER_URN, ENTERPRISE_URN],
                            "userName": f"{rng.choice(ASCII)}{i}@{rng.choice(ASCII)}.example"}
    for key, value in (("displayName", maybe(f"{rng.choice(WORDS)} {rng.choice(WORDS)}")),
                       ("title", maybe(rng.choice(WORDS))), ("nickName", maybe(rng.choice(WORDS))),
                       ("externalId", maybe(f"{rng.choice(WORDS)}-{i}")),
                       ("active", maybe(rng.random() < 0.5))):
        if value is not None:
            body[key] = value
    name = {k: rng.choice(WORDS) for k in ("givenName", "familyName") if rng.random() < 0.7}
    if name:
        body["name"] = name
    emails = [{"value": f"{rng.choice(ASCII)}{i}{j}@{rng.choice(ASCII)}.example",
               "type": rng.choice(["work", "home", "other"])} for j in range(rng.randrange(3))]
    if emails:
        body["emails"] = emails
    addresses = [{"locality": rng.choice(WORDS), "type": rng.choice(["work", "home"])}
                 for _ in range(rng.randrange(3))]
    if addresses:
        body["addresses"] = addresses
    phones = [{"value": f"+1-555-{rng.randrange(10)}", "type": rng.choice(["work", "mobile"])}
              for _ in range(rng.randrange(3))]
    if phones:
        body["phoneNumbers"] = phones
    ext = {k: rng.choice(WORDS) for k in ("department", "employeeNumber") if rng.random() < 0.6}
    if ext:
        body[ENTERPRISE_URN] = ext
    return body


def make_filter(rng: random.Random, depth: int = 0, times: list[str] | None = None) -> str:
    roll = rng.random()
    if times and roll < 0.06:
        attr = rng.choice(["meta.lastModified", "meta.created"])
        return f'{attr} {rng.choice(["eq", "gt", "ge", "lt", "le"])} "{rng.choice(times)}"'
    if roll > 0.93:
        return rng.choice([
            "name pr", "addresses pr", "phoneNumbers pr",
            f'addresses[locality eq "{rng.choice(WORDS)}"]',
            f'addresses[locality sw "{rng.choice(WORDS)[:2]}" and type eq "work"]',
            f'addresses.locality co "{rng.choice(WORDS)[1:3]}"',
            f'phoneNumbers[type eq "mobile" and value ew "{rng.randrange(10)}"]',
            f'phoneNumbers.value eq "+1-555-{rng.randrange(10)}"',
            f'phoneNumbers.value ne "+1-555-{rng.randrange(10)}"',
            f'addresses.locality ne "{rng.choice(WORDS)}"'])
    if depth < 2 and roll < 0.25:
        joiner = rng.choice(["and", "or"])
        return (f"({make_filter(rng, depth + 1, times)} {joiner} "
                f"{make_filter(rng, depth + 1, times)})")
    if depth < 2 and roll < 0.32:
        return f"not ({make_filter(rng, depth + 1, times)})"
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
    times = [u["meta"][k] for u in population[:10] for k in ("created", "lastModified")]
    rng = random.Random(7)
    mismatches = []
    checked = 0
    for _ in range(300):
        text = make_filter(rng, times=times)
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


def _value_paths(node: Filter) -> list[ValuePath]:
    if isinstance(node, (And, Or)):
        return [v for i in node.items for v in _value_paths(i)]
    if isinstance(node, Not):
        return _value_paths(node.item)
    return [node] if isinstance(node, ValuePath) else []


def test_patch_value_filters_agree_with_sql(tenant: Tenant,
                                            population: list[dict[str, Any]]) -> None:
    """Every value path (`emails[...]`, `addresses[...]`, `phoneNumbers[...]`) selects, in
    memory (`filter.matches`, PATCH's evaluator), exactly the users SQL selects."""
    rng = random.Random(11)
    checked = 0
    for _ in range(400):
        text = make_filter(rng)
        for vp in _value_paths(parse_filter(text, USER_TYPE)):
            attr = vp.path.attr.name
            in_memory = {u["id"] for u in population
                         if any(matches(vp.filter, e) for e in u.get(attr, []))}
            inner = text_of(vp)
            r = tenant.client.get("/Users", params={"filter": inner, "count": 1000,
                                                    "attributes": "id"})
            assert r.status_code == 200, (inner, r.text)
            assert {u["id"] for u in r.json()["Resources"]} == in_memory, inner
            checked += 1
    assert checked >= 100


def text_of(vp: ValuePath) -> str:
    """A value path back as filter text (the generator's value paths are simple)."""
    def one(node: Filter) -> str:
        if isinstance(node, And):
            return " and ".join(one(i) for i in node.items)
        if isinstance(node, Or):
            return "(" + " or ".join(one(i) for i in node.items) + ")"
        if isinstance(node, Not):
            return f"not ({one(node.item)})"
        assert isinstance(node, (Compare, Present)) and node.path.sub is not None
        if isinstance(node, Present):
            return f"{node.path.sub.name} pr"
        return f'{node.path.sub.name} {node.op} {json.dumps(node.value)}'
    return f"{vp.path.attr.name}[{one(vp.filter)}]"
