"""What the store refuses, in the store's own words.

The store knows rows, not protocols: it says *what* it refused (a unique value taken, a
member that is not a user, a filter it cannot run on its rows) and the service that asked
says it in its own protocol's terms (a SCIM `uniqueness` 409, a console form error). So a
console write that hits a unique index is never mistaken for a SCIM request.
"""

from __future__ import annotations


class Refused(Exception):
    """The store refused a change or a query; nothing was written."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class Duplicate(Refused):
    """A value that must be unique in the organization is already taken."""


class UnknownMembers(Refused):
    """A membership names ids that are not users of the organization."""


class Unfilterable(Refused):
    """A filter names something the rows cannot be searched by (`meta.location`, a nested
    value path, a relation's sub-attribute other than `value`)."""


class Unsortable(Refused):
    """A sort key names something the rows cannot be ordered by."""


class BadMemberSelection(Refused):
    """A membership filter (`members[...]`) selects by something members are not kept by."""
