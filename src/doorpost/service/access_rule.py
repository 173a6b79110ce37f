"""THE access rule, in the two forms its callers need, and nothing else.

A person may open a door when the identity provider has them positively `active`, no owner
has suspended them, and at least one of their groups opens the door (groups combine
permissively). `decision` answers for one door (with the reason shown to people);
`doors_open_to` gives every door at once (what the change feed diffs to derive
`access.granted` / `access.revoked`). Both are built on `opens_doors` and `is_let_in`, and
a property test checks that they agree on every (person, door).
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


def is_let_in(active: object, suspended: bool) -> bool:
    """The person's own standing: active at the identity provider and not suspended here."""
    return opens_doors(active) and not suspended


def doors_open_to(active: object, suspended: bool, groups: Iterable[str],
                  grants: Mapping[str, Iterable[str]]) -> frozenset[str]:
    """Every door this person may open, given which doors each group opens."""
    if not is_let_in(active, suspended):
        return frozenset()
    return frozenset(door for group in groups for door in grants.get(group, ()))


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str


@dataclass(frozen=True)
class Standing:
    """What the decision reads about a person for one door."""

    active: bool | None
    suspended_by: str | None  # who suspended them, or None
    granting_groups: list[str]  # names of their groups that open this door


def decision(door_name: str, person: Standing | None) -> Decision:
    """The access decision from what the store read: fails closed at every step."""
    if person is None:
        return Decision(False, "no such user in this organization")
    if not is_let_in(person.active, person.suspended_by is not None):
        if person.suspended_by is not None and opens_doors(person.active):
            return Decision(False, f"suspended in Doorpost by {person.suspended_by}")
        return Decision(False, "deactivated by the identity provider (active: false)"
                        if person.active is False else "not active (active is unassigned)")
    if not person.granting_groups:
        return Decision(False, f"no group of this person opens '{door_name}'")
    return Decision(True, f"member of {', '.join(person.granting_groups)}")
