"""The filter parser (RFC 7644 §3.4.2.2), checked against scim2-models as an oracle."""

from __future__ import annotations

import pytest
from scim2_models import EnterpriseUser, User
from scim2_models import ScimFilter

from doorpost.scim.definitions import USER_TYPE
from doorpost.scim.errors import InvalidFilter
from doorpost.scim.filter import And, Compare, Not, Or, Present, ValuePath, parse_filter



def test_precedence_not_and_or() -> None:
    node = parse_filter('title pr or userName eq "a" and not (active eq true)', USER_TYPE)
    assert isinstance(node, Or)
    assert isinstance(node.items[0], Present)
    right = node.items[1]
    assert isinstance(right, And) and isinstance(right.items[1], Not)


def test_entra_value_path_with_trailing_sub_attribute() -> None:
    node = parse_filter('emails[type eq "work"].value eq "x@y"', USER_TYPE)
    assert isinstance(node, ValuePath)
    assert isinstance(node.filter, And)
    cmp = node.filter.items[1]
    assert isinstance(cmp, Compare) and cmp.path.sub is not None
    assert cmp.path.sub.name == "value" and cmp.value == "x@y"


def test_urn_paths_split_at_the_known_schema() -> None:
    node = parse_filter('urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:'
                        'manager.value eq "m"', USER_TYPE)
    assert isinstance(node, Compare)
    assert node.path.extension and node.path.attr.name == "manager"
    assert node.path.sub is not None and node.path.sub.name == "value"


def test_escaped_quotes_in_values() -> None:
    node = parse_filter(r'userName eq "a\"b"', USER_TYPE)
    assert isinstance(node, Compare) and node.value == 'a"b'


def test_complex_attribute_defaults_to_value() -> None:
    node = parse_filter('emails co "@x"', USER_TYPE)
    assert isinstance(node, Compare) and node.path.sub is not None
    assert node.path.sub.name == "value"


@pytest.mark.parametrize("text", [
    "", "   ", 'userName eq "a" or', "not userName pr", 'userName eq "unterminated',
    "userName eq bareword", "a" * 5000, "(" * 100 + 'userName pr' + ")" * 100,
    'name.nosuch eq "x"', 'emails[nosuch eq "x"]', 'userName[value eq "x"]',
    'active eq 1', 'meta.created co "2020"', 'userName eq 12',
])
def test_rejects(text: str) -> None:
    with pytest.raises(InvalidFilter):
        parse_filter(text, USER_TYPE)


@pytest.mark.parametrize("text", [
    'userName eq "bjensen"',
    'name.familyName co "O\'Malley"',
    'userName sw "J"',
    'title pr',
    'meta.lastModified gt "2011-05-13T04:42:34Z"',
    'title pr and userType eq "Employee"',
    'title pr or userType eq "Intern"',
    'userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")',
    'userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")',
    'userType eq "Employee" and emails[type eq "work" and value co "@example.com"]',
    'emails[type eq "work" and value co "@example.com"] or '
    'ims[type eq "xmpp" and value co "@foo.com"]',
])
def test_rfc_7644_examples_parse_like_the_oracle(text: str) -> None:
    """Every example filter of RFC 7644 §3.4.2.2 parses here and in scim2-models."""
    parse_filter(text, USER_TYPE)
    ScimFilter[User[EnterpriseUser]](text)
