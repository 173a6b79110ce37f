"""Properties of the core's one-rule-per-concept functions, searched by Hypothesis: text
folding, "the same value", the PATCH engine on multi-valued attributes, times, projection,
and the access rule's test for a user's own document write."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from doorpost.scim.definitions import USER_TYPE
from doorpost.scim.errors import ScimError
from doorpost.scim.filter import matches, parse_element_filter
from doorpost.scim.multivalued import deduplicated, same
from doorpost.scim.patch import apply_patch, parse_patch_request
from doorpost.scim.render import Projection
from doorpost.scim.text import fold
from doorpost.scim.values import format_datetime, from_us, instant_us, parse_datetime
from doorpost.service.access_rule import document_changes_access, doors_open_to

EMAILS = USER_TYPE.core.attribute("emails")
assert EMAILS is not None
letters = st.text(st.characters(categories=("Lu", "Ll", "Lt", "Mn", "Nd")), max_size=8)


@given(st.text(max_size=20))
def test_fold_is_idempotent_and_ignores_normalization(text: str) -> None:
    assert fold(fold(text)) == fold(text)
    assert fold(unicodedata.normalize("NFD", text)) == fold(unicodedata.normalize("NFC", text))
    assert unicodedata.is_normalized("NFC", fold(text))


@pytest.mark.parametrize("variants", [("Straße", "STRASSE", "strasse"),
                                      ("Élodie", "ÉLODIE", "e\u0301lodie", "E\u0301LODIE"),
                                      ("ΣΊΣΥΦΟΣ", "σίσυφος", "σίσυφοσ"),
                                      ("Łódź", "ŁÓDŹ"), ("ÖREBRO", "örebro")])
def test_fold_ignores_case_fully(variants: tuple[str, ...]) -> None:
    assert len({fold(v) for v in variants}) == 1


email = st.fixed_dictionaries(
    {"value": st.sampled_from(["a@x.example", "A@X.example", "b@x.example", "SS@x.example",
                               "ss@x.example"])},
    optional={"type": st.sampled_from(["work", "WORK", "home"]), "primary": st.booleans(),
              "display": letters})


@given(email, email)
def test_same_is_reflexive_and_symmetric(a: dict[str, Any], b: dict[str, Any]) -> None:
    assert same(EMAILS, a, a)
    assert same(EMAILS, a, b) == same(EMAILS, b, a)
    if fold(a["value"]) != fold(b["value"]):
        assert not same(EMAILS, a, b)


@given(st.lists(email, max_size=6))
def test_a_deduplicated_list_holds_each_value_once(items: list[dict[str, Any]]) -> None:
    out = deduplicated(EMAILS, items)
    assert all(not same(EMAILS, x, y) for i, x in enumerate(out) for y in out[i + 1:])
    assert all(any(same(EMAILS, item, kept) for kept in out) for item in items)


def _ops(*items: dict[str, Any]) -> Any:
    return parse_patch_request({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                "Operations": list(items)})


def _one_primary(doc: dict[str, Any]) -> bool:
    return sum(1 for e in doc.get("emails", []) if e.get("primary") is True) <= 1


@settings(max_examples=300)
@given(start=st.lists(email, max_size=4), listed=st.lists(email, max_size=3),
       op=st.sampled_from(["add", "remove", "replace"]))
def test_patch_on_emails_changes_exactly_what_it_names(start: list[dict[str, Any]],
                                                       listed: list[dict[str, Any]],
                                                       op: str) -> None:
    start = deduplicated(EMAILS, start)
    if sum(1 for e in start if e.get("primary") is True) > 1:
        return
    doc = {"userName": "u", **({"emails": start} if start else {})}
    try:
        result = apply_patch(doc, _ops({"op": op, "path": "emails", "value": listed}),
                             USER_TYPE)
    except ScimError:
        assert sum(1 for e in listed if e.get("primary") is True) > 1 or op != "remove"
        return
    after = result.doc.get("emails", [])
    assert _one_primary(result.doc)
    assert all(not same(EMAILS, x, y) for i, x in enumerate(after) for y in after[i + 1:])
    if op == "remove":  # removes exactly the listed values: an empty list removes none
        assert after == [e for e in start if not any(same(EMAILS, e, x) for x in listed)]
    else:  # every listed value is there afterwards
        assert all(any(same(EMAILS, x, e) for e in after) for x in listed)
    if op == "add":  # and nothing that was there is lost
        assert all(any(same(EMAILS, e, x) for x in after) for e in start)


@settings(max_examples=200)
@given(start=st.lists(email, min_size=1, max_size=4), value=email,
       selector=st.sampled_from(['type eq "work"', 'value eq "a@x.example"', "primary eq true",
                                 'type eq "work" and not (value sw "b")']))
def test_filtered_replace_leaves_no_duplicates(start: list[dict[str, Any]], value: dict[str, Any],
                                               selector: str) -> None:
    start = deduplicated(EMAILS, start)
    if sum(1 for e in start if e.get("primary") is True) > 1:
        return
    element_filter = parse_element_filter(selector, USER_TYPE.resolve("emails"), USER_TYPE)  # type: ignore[arg-type]
    selected = [e for e in start if matches(element_filter, e)]
    if not selected:
        return
    result = apply_patch({"userName": "u", "emails": start},
                         _ops({"op": "replace", "path": f"emails[{selector}]", "value": value}),
                         USER_TYPE)
    after = result.doc["emails"]
    assert _one_primary(result.doc)
    assert all(not same(EMAILS, x, y) for i, x in enumerate(after) for y in after[i + 1:])
    untouched = [e for e in start if not matches(element_filter, e)]
    assert all(any(same(EMAILS, u, a) for a in after) for u in untouched)


@given(st.integers(min_value=0, max_value=2**62 // 1000))
def test_rendered_times_parse_back_to_the_stored_instant(us: int) -> None:
    text = format_datetime(from_us(us))
    parsed = parse_datetime(text)
    assert parsed is not None and instant_us(parsed) == us


def test_more_than_microsecond_precision_is_cut_not_refused() -> None:
    parsed = parse_datetime("2026-12-01T10:00:00.123456789Z")
    assert parsed is not None and parsed.microsecond == 123456


names = st.lists(st.sampled_from(
    ["userName", "emails", "emails.value", "emails.type", "password", "id", "name.givenName",
     USER_TYPE.core.id, "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "nope"]),
    max_size=4).map(",".join)


@given(names, names)
def test_projection_never_returns_password_and_always_returns_id(attributes: str,
                                                                 excluded: str) -> None:
    projection = Projection.parse(USER_TYPE, attributes, excluded)
    password, id_ = USER_TYPE.core.attribute("password"), USER_TYPE.common.attribute("id")  # type: ignore[union-attr]
    assert password is not None and id_ is not None
    assert not projection.selects(USER_TYPE.core, password)
    assert projection.selects(USER_TYPE.core, id_)
    value = EMAILS.sub("value")
    assert value is not None
    if projection.selects(USER_TYPE.core, EMAILS, value):  # a selected sub has its parent
        assert projection.selects(USER_TYPE.core, EMAILS)


ACTIVE_VALUES = st.one_of(st.none(), st.booleans(), st.sampled_from(["true", "False", 1, 0]))


@given(st.dictionaries(st.sampled_from(["active", "title"]), ACTIVE_VALUES),
       st.dictionaries(st.sampled_from(["active", "title"]), ACTIVE_VALUES),
       st.booleans(), st.frozensets(st.sampled_from("abc")),
       st.dictionaries(st.sampled_from("abc"), st.frozensets(st.sampled_from("xyz"))))
def test_a_document_write_that_the_rule_calls_harmless_opens_and_shuts_nothing(
        before: dict[str, Any], after: dict[str, Any], suspended: bool,
        groups: frozenset[str], grants: dict[str, frozenset[str]]) -> None:
    """The change feed skips watching a user's own PUT or PATCH when
    `document_changes_access` says it cannot matter: that must hold for every standing."""
    if not document_changes_access(before, after):
        assert doors_open_to(before.get("active"), suspended, groups, grants) == \
            doors_open_to(after.get("active"), suspended, groups, grants)
