"""The one definition of "the same value" in a multi-valued attribute (RFC 7643 §2.4), and
of the one `primary` value.

Two values of a complex multi-valued attribute are the same value when their identifying
sub-attributes agree: `value` and `type` where the attribute has a `value` (emails, phone
numbers, roles...), otherwise every sub-attribute but `primary` and `display` (addresses).
Each is compared by its own rule (`values.comparable`: folded unless caseExact), and only
where both values give it; at least one must be given by both. So `{"value": "A@x"}` and
`{"value": "a@x", "type": "work", "primary": true}` are the same email, while the same
number as "work" and as "mobile" are two phone numbers.

Add, replace and remove all use `same`: adding a value that is already there updates it
instead of duplicating it, a list is never stored with two copies of one value, and a
removal list removes exactly the values it names.
"""

from __future__ import annotations

from typing import Any

from doorpost.scim.errors import InvalidValue
from doorpost.scim.schema import Attribute
from doorpost.scim.values import comparable

NOT_IDENTIFYING = frozenset({"primary", "display"})


def _identifying(attr: Attribute) -> tuple[Attribute, ...]:
    if attr.sub("value") is not None:
        return tuple(s for s in (attr.sub("value"), attr.sub("type")) if s is not None)
    return tuple(s for s in attr.sub_attributes if s.name not in NOT_IDENTIFYING)


def same(attr: Attribute, a: Any, b: Any) -> bool:
    """Are `a` and `b` the same value of multi-valued `attr`?"""
    if not attr.is_complex:
        return bool(comparable(attr, a) == comparable(attr, b))
    if not isinstance(a, dict) or not isinstance(b, dict):
        return False
    shared = 0
    for sub in _identifying(attr):
        left, right = a.get(sub.name), b.get(sub.name)
        if left is None or right is None:
            continue
        if comparable(sub, left) != comparable(sub, right):
            return False
        shared += 1
    return shared > 0


def merge_into(attr: Attribute, current: list[Any], incoming: list[Any]) -> list[Any]:
    """`current` with each incoming value added: a value that is already there is updated
    with what the incoming one says (e.g. `primary`); a new one is appended. Returns the
    elements that now carry each incoming value (for the primary rule)."""
    touched: list[Any] = []
    for item in incoming:
        for existing in current:
            if same(attr, existing, item):
                if isinstance(existing, dict) and isinstance(item, dict):
                    existing.update(item)
                target = existing
                break
        else:
            current.append(item)
            target = item
        if not any(t is target for t in touched):
            touched.append(target)
    return touched


def deduplicated(attr: Attribute, items: list[Any]) -> list[Any]:
    """`items` without repeated values: later copies are merged into the first."""
    out: list[Any] = []
    merge_into(attr, out, [dict(i) if isinstance(i, dict) else i for i in items])
    return out


def without(attr: Attribute, current: list[Any], listed: list[Any]) -> list[Any]:
    """`current` less every value that is the same as one of `listed`."""
    return [e for e in current if not any(same(attr, e, item) for item in listed)]


def keep_one_primary(attr: Attribute, values: list[Any], chosen: list[Any]) -> None:
    """RFC 7643 §2.4: at most one value is primary. When the values just written (`chosen`)
    make one primary, every other value stops being primary; two primaries in what was
    just written is the request's own contradiction and is refused."""
    if not attr.is_complex or attr.sub("primary") is None:
        return
    winners = [v for v in chosen if isinstance(v, dict) and v.get("primary") is True]
    if len(winners) > 1:
        raise InvalidValue(f"'{attr.name}': at most one value may be primary.")
    if not winners:
        return
    for element in values:
        if element is not winners[0] and isinstance(element, dict) \
                and element.get("primary") is True:
            element["primary"] = False
