"""Incoming documents (`scim/resource.py`) and outgoing ones (`scim/render.py`), no database."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest

from doorpost.scim.definitions import ENTERPRISE_URN, GROUP_TYPE, GROUP_URN, USER_TYPE, USER_URN
from doorpost.scim.errors import InvalidSyntax, InvalidValue
from doorpost.scim.render import Meta, Projection, render
from doorpost.scim.resource import check_document, parse_members, parse_resource

WHEN = datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
META = Meta("id-1", WHEN, WHEN, 3)


def test_names_ignore_case_and_are_stored_canonically() -> None:
    parsed = parse_resource({"SCHEMAS": [USER_URN], "USERNAME": "u", "Name": {"GIVENNAME": "G"},
                             ENTERPRISE_URN.upper(): {"Department": "D"}}, USER_TYPE)
    assert parsed.doc == {"userName": "u", "name": {"givenName": "G"},
                          ENTERPRISE_URN: {"department": "D"}}


@pytest.mark.parametrize("body,fragment", [
    ([], "JSON object"),
    ({"schemas": [USER_URN]}, "'userName' is required"),
    ({"schemas": [USER_URN], "userName": "u", "nope": 1}, "not an attribute"),
    ({"schemas": [USER_URN], "userName": "u", "active": "yes"}, "boolean"),
    ({"schemas": [USER_URN], "userName": "u", "emails": {"value": "a"}}, "multi-valued"),
    ({"schemas": [USER_URN], "userName": "u", "emails": [
        {"value": "a@x", "primary": True}, {"value": "b@x", "primary": True}]}, "primary"),
    ({"schemas": [USER_URN], "userName": "u", "USERNAME": "w"}, "more than once"),
    ({"schemas": [GROUP_URN], "userName": "u"}, "must include"),
    ({"schemas": [USER_URN], "userName": "a\x00b"}, "NUL"),
])
def test_bad_bodies_are_refused_with_a_reason(body: Any, fragment: str) -> None:
    with pytest.raises((InvalidValue, InvalidSyntax)) as caught:
        parse_resource(body, USER_TYPE)
    assert fragment in caught.value.detail


def test_read_only_values_are_ignored_and_duplicates_merged() -> None:
    parsed = parse_resource({"schemas": [USER_URN], "userName": "u", "id": "mine",
                             "meta": {"version": "x"}, "groups": [{"value": "g"}],
                             "emails": [{"value": "A@x.example", "type": "work"},
                                        {"value": "a@X.example", "type": "work",
                                         "primary": True}]}, USER_TYPE)
    assert parsed.doc == {"userName": "u", "emails": [
        {"value": "a@X.example", "type": "work", "primary": True}]}


def test_members_are_ids_display_is_accepted_nested_groups_are_not() -> None:
    assert parse_members([{"value": "a", "display": "Ann", "$ref": "x"}, {"value": "a"},
                          {"value": "b", "type": "User"}]) == ["a", "b"]
    with pytest.raises(InvalidValue):
        parse_members([{"value": "g", "type": "Group"}])
    with pytest.raises(InvalidValue):
        parse_members([{"value": "a", "displayName": "x"}])
    assert parse_resource({"schemas": [GROUP_URN], "displayName": "G"}, GROUP_TYPE).members is None


def test_check_document_refuses_what_a_patch_could_leave_behind() -> None:
    with pytest.raises(InvalidValue):
        check_document({"title": "t"}, USER_TYPE)  # userName gone
    with pytest.raises(InvalidValue):
        check_document({"userName": "u", "urn:x:unknown": {}}, USER_TYPE)


def test_render_shape_times_and_never_returned() -> None:
    doc = {"userName": "u", "password": "scrypt$digest", "externalId": "e",
           ENTERPRISE_URN: {"department": "D"}}
    out = render(USER_TYPE, doc, META, "https://h/scim/v2", {"groups": []})
    assert out["schemas"] == [USER_URN, ENTERPRISE_URN] and "password" not in out
    assert out["meta"] == {"resourceType": "User", "created": "2026-12-01T10:00:00.123456Z",
                           "lastModified": "2026-12-01T10:00:00.123456Z",
                           "location": "https://h/scim/v2/Users/id-1", "version": 'W/"3"'}
    assert "groups" not in out  # an empty relation is unassigned, not []


@pytest.mark.parametrize("attributes,excluded,keys", [
    ("userName", None, {"schemas", "id", "userName"}),
    (USER_URN, None, {"schemas", "id", "userName", "externalId", "emails", "meta"}),
    (ENTERPRISE_URN, None, {"schemas", "id", ENTERPRISE_URN}),
    (None, "emails,meta", {"schemas", "id", "userName", "externalId", ENTERPRISE_URN}),
    (None, USER_URN, {"schemas", "id", ENTERPRISE_URN}),
    ("meta.version", None, {"schemas", "id", "meta"}),
])
def test_projection_by_attribute_and_schema(attributes: str | None, excluded: str | None,
                                            keys: set[str]) -> None:
    doc = {"userName": "u", "externalId": "e", "emails": [{"value": "a@x", "type": "work"}],
           ENTERPRISE_URN: {"department": "D"}}
    out = render(USER_TYPE, doc, META, "https://h", None,
                 Projection.parse(USER_TYPE, attributes, excluded))
    assert set(out) == keys
    if "meta" in keys and attributes == "meta.version":
        assert out["meta"] == {"version": 'W/"3"'}
