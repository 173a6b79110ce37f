"""THE access rule, in the two forms its callers need, and nothing else.

A person may open a door when the identity provider has them positively `active`, no owner
has suspended them, and at least one of their groups opens the door (groups combine
permissively). `decision` answers for one door (with the reason shown to people);
`doors_open_to` gives every door at once (what the change feed diffs to derive
`access.granted` / `access.revoked`). Both are built on `shut_reason` (and so on
`opens_doors`), and a property test checks that they agree on every (person, door).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping


def opens_doors(active: object) -> bool:
    """Only a user whose `active` is, positively, `true` may open a door.

    `false` (deactivated by the identity provider) and unassigned (a client removed
    `active`) both keep every door shut, and so does anything unreadable: the decision
    fails closed. Every place that shows or decides access asks this function."""
    return active is True


def document_changes_access(before: Mapping[str, object], after: Mapping[str, object]) -> bool:
    """Can a write of nothing but a person's own SCIM document change which doors they may
    open? Of this rule the document holds only `active`: groups, suspensions and grants
    live elsewhere. So only a change across `opens_doors` can."""
    return opens_doors(before.get("active")) != opens_doors(after.get("active"))


def shut_reason(active: object, suspended: bool, by: str | None = None) -> str | None:
    """Why this person's own standing keeps every door shut, in words; None if it does not.
    The identity provider's `active` is named first: it is what an owner cannot lift."""
    if not opens_doors(active):
        return ("deactivated by the identity provider (active: false)" if active is False
                else "not active (active is unassigned)")
    if suspended:
        return "suspended in Doorpost" + (f" by {by}" if by else "")
    return None


def is_let_in(active: object, suspended: bool) -> bool:
    """The person's own standing: active at the identity provider and not suspended here."""
    return shut_reason(active, suspended) is None


def doors_open_to(active: object, suspended: bool, groups: Iterable[str],
                  grants: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """Every door this person may open, given which doors each group opens."""
    if not is_let_in(active, suspended):
        return frozenset()
    return frozenset(door for group in groups for door in grants.get(group, ()))


def granted_reason(group_names: Iterable[str]) -> str:
    return f"member of {', '.join(group_names)}"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class AtDoor:
    """What the decision reads about a person for one door."""

    active: bool | None
    suspended_by: str | None  # who suspended them, or None
    granting_groups: list[str]  # names of their groups that open this door


def decision(door_name: str, person: AtDoor | None) -> Decision:
    """The access decision from what the store read: fails closed at every step."""
    if person is None:
        return Decision(False, "no such user in this organization")
    shut = shut_reason(person.active, person.suspended_by is not None, person.suspended_by)
    if shut is not None:
        return Decision(False, shut)
    if not person.granting_groups:
        return Decision(False, f"no group of this person opens '{door_name}'")
    return Decision(True, granted_reason(person.granting_groups))
