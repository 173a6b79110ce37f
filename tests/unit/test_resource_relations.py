"""A body's relation is read only where the type writes it: `members` of a Group. For a
type that writes none (a User), no key, not even the empty one, is read as a relation; an
unknown key is refused, as for any attribute. (A User body with `"": [...]` was once read
as members and written as memberships of a user.)"""

from __future__ import annotations

import pytest
from hypothesis import given, strategies as st

from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.scim.errors import InvalidValue
from doorpost.scim.resource import parse_resource


@given(key=st.sampled_from(["", "members", "Members", " members"]))
def test_a_user_body_carries_no_members(key: str) -> None:
    body = {"schemas": [USER_TYPE.core.id], "userName": "ada", key: [{"value": "x"}]}
    with pytest.raises(InvalidValue):
        parse_resource(body, USER_TYPE)


@given(key=st.sampled_from(["members", "Members", "MEMBERS"]))
def test_a_group_body_carries_its_members_in_any_case(key: str) -> None:
    body = {"schemas": [GROUP_TYPE.core.id], "displayName": "Lab", key: [{"value": "u1"}]}
    parsed = parse_resource(body, GROUP_TYPE)
    assert parsed.members == ["u1"] and "members" not in parsed.doc


def test_an_empty_key_is_not_a_group_attribute_either() -> None:
    body = {"schemas": [GROUP_TYPE.core.id], "displayName": "Lab", "": [{"value": "u1"}]}
    with pytest.raises(InvalidValue):
        parse_resource(body, GROUP_TYPE)
