"""PATCH paths (`scim/paths.py`) and list parameters (`scim/listing.py`), no database."""

from __future__ import annotations

from typing import Any

import pytest

from doorpost.scim.definitions import ENTERPRISE_URN, USER_TYPE
from doorpost.scim.errors import InvalidFilter, InvalidPath, InvalidSyntax, InvalidValue
from doorpost.scim.filter import Present
from doorpost.scim.listing import MAX_START_INDEX, parse_list_query, parse_search_body
from doorpost.scim.paths import parse_patch_path


def test_paths_bind_to_the_schema() -> None:
    p = parse_patch_path(f"{ENTERPRISE_URN}:manager.value", USER_TYPE)
    assert p.attr is not None and p.attr.extension and p.attr.sub is not None
    p = parse_patch_path('emails[type eq "work" and value co "]"].value', USER_TYPE)
    assert p.filter is not None and p.sub is not None and p.sub.name == "value"
    p = parse_patch_path(ENTERPRISE_URN, USER_TYPE)
    assert p.extension is not None and p.attr is None


@pytest.mark.parametrize("text", ["", "nope", "emails[", 'emails[type eq "w"]x', 'title[a eq "b"]',
                                  'emails[type eq "w"].nope', "name.nope",
                                  "urn:ietf:params:scim:schemas:core:2.0:User"])
def test_bad_paths_are_invalid_path(text: str) -> None:
    with pytest.raises(InvalidPath):
        parse_patch_path(text, USER_TYPE)


def _query(**params: Any) -> Any:
    return parse_list_query(params, USER_TYPE, default_count=100, max_count=1000)


def test_paging_is_clamped_not_overflowed() -> None:
    q = _query(startIndex="0", count="-5")
    assert (q.start_index, q.count) == (1, 0)
    q = _query(startIndex=str(10**25), count=str(10**25))
    assert (q.start_index, q.count) == (MAX_START_INDEX, 1000)


@pytest.mark.parametrize("value", ["1.5", "abc", "１", "1_0", "٣", True, [1], "\x00"])
def test_integers_are_plain_decimal(value: Any) -> None:
    with pytest.raises(InvalidValue):
        _query(startIndex=value)


def test_sort_by_rules() -> None:
    assert _query(sortBy="emails").sort_by.attr.name == "emails"  # type: ignore[union-attr]
    assert _query(sortBy="name.givenName").sort_by.sub.name == "givenName"  # type: ignore[union-attr]
    for bad in ("name", "groups", "password", "nope", ["userName"]):
        with pytest.raises(InvalidValue):
            _query(sortBy=bad)
    with pytest.raises(InvalidValue):
        _query(sortBy="userName", sortOrder="sideways")
    with pytest.raises(InvalidValue):
        _query(cursor="", startIndex="2")


def test_filters_parse_here_and_complex_presence_is_kept() -> None:
    q = _query(filter="name pr")
    assert isinstance(q.filter, Present) and q.filter.path.sub is None
    with pytest.raises(InvalidFilter):
        _query(filter="name eq \"x\"")


def test_search_bodies() -> None:
    assert parse_search_body({"Filter": "x", "COUNT": 2}) == {"filter": "x", "count": 2}
    with pytest.raises(InvalidValue):
        parse_search_body({"schemas": ["urn:wrong"]})
    with pytest.raises(InvalidValue):
        parse_search_body({"unknown": 1})
    with pytest.raises(InvalidSyntax):
        parse_search_body([])
