"""The PATCH engine on documents (RFC 7644 §3.5.2), no database involved."""

from __future__ import annotations

from typing import Any

import pytest

from doorpost.scim.definitions import ENTERPRISE_URN, GROUP_TYPE, USER_TYPE
from doorpost.scim.errors import InvalidValue, Mutability, NoTarget
from doorpost.scim.patch import MemberChange, PatchPolicy, apply_patch, parse_patch_request

DOC: dict[str, Any] = {"userName": "u", "emails": [{"value": "a@x", "type": "work"}]}


def ops(*items: dict[str, Any]) -> Any:
    return parse_patch_request({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                "Operations": list(items)})


def test_op_names_are_case_insensitive() -> None:
    result = apply_patch(DOC, ops({"op": "Replace", "path": "title", "value": "T"}), USER_TYPE)
    assert result.doc["title"] == "T"


def test_failure_leaves_the_input_untouched() -> None:
    doc = {"userName": "u", "title": "before"}
    with pytest.raises(InvalidValue):
        apply_patch(doc, ops({"op": "replace", "path": "title", "value": "after"},
                             {"op": "replace", "path": "active", "value": "no"}), USER_TYPE)
    assert doc == {"userName": "u", "title": "before"}


def test_unmatched_replace_can_create_under_policy() -> None:
    o = ops({"op": "replace", "path": 'emails[type eq "home"].value', "value": "h@x"})
    with pytest.raises(NoTarget):
        apply_patch(DOC, o, USER_TYPE)
    result = apply_patch(DOC, o, USER_TYPE, PatchPolicy(create_on_unmatched_replace=True))
    assert result.doc["emails"][-1] == {"type": "home", "value": "h@x"}
    assert [n.rule for n in result.notes] == ["create-on-unmatched-filter"]


def test_pathless_dotted_keys_are_paths_and_noted() -> None:
    result = apply_patch(DOC, ops({"op": "replace", "value": {
        "name.givenName": "G", f"{ENTERPRISE_URN}:department": "D"}}), USER_TYPE)
    assert result.doc["name"] == {"givenName": "G"}
    assert result.doc[ENTERPRISE_URN] == {"department": "D"}
    assert {n.rule for n in result.notes} == {"pathless-key-as-path"}


def test_members_become_deltas_never_documents() -> None:
    result = apply_patch({"displayName": "g"}, ops(
        {"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]},
        {"op": "remove", "path": 'members[value eq "a" or value eq "c"]'},
        {"op": "remove", "path": "members", "value": [{"value": "b"}]},
        {"op": "remove", "path": 'members[value sw "z"]'},
        {"op": "replace", "path": "members", "value": [{"value": "d"}]},
    ), GROUP_TYPE)
    assert "members" not in result.doc
    kinds = [(c.kind, c.ids) for c in result.member_changes]
    assert kinds == [("add", ("a", "b")), ("remove", ("a", "c")), ("remove", ("b",)),
                     ("remove_where", ()), ("remove_all", ()), ("add", ("d",))]
    assert isinstance(result.member_changes[3], MemberChange)


def test_replace_members_as_add_policy() -> None:
    result = apply_patch({"displayName": "g"}, ops(
        {"op": "replace", "path": "members", "value": [{"value": "d"}]}), GROUP_TYPE,
        PatchPolicy(replace_members_adds=True))
    assert [(c.kind, c.ids) for c in result.member_changes] == [("add", ("d",))]


def test_member_values_are_immutable() -> None:
    with pytest.raises(Mutability):
        apply_patch({"displayName": "g"}, ops(
            {"op": "replace", "path": 'members[value eq "a"].value', "value": "b"}), GROUP_TYPE)


def test_remove_of_whole_extension() -> None:
    doc = {"userName": "u", ENTERPRISE_URN: {"department": "D"}}
    result = apply_patch(doc, ops({"op": "remove", "path": ENTERPRISE_URN}), USER_TYPE)
    assert ENTERPRISE_URN not in result.doc
