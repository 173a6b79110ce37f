"""A PATCH value filter on `members` (`members[value eq "a" or value sw "b"]`) as SQL on rows.

Removal by a filter that is not a plain list of ids is executed on the membership rows, so it
never loads the group either.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from doorpost.scim.filter import And, Filter, Not, Or, Present, ValuePath
from doorpost.store import tables as t
from doorpost.store.errors import BadMemberSelection
from doorpost.store.filter_sql import Operand, compare


def member_condition(node: Filter, collation: str | None = None) -> ColumnElement[bool]:
    """The rows `node` selects; `collation` orders ids by code point (\"C\" on PostgreSQL)."""
    if isinstance(node, And):
        return and_(*(member_condition(i, collation) for i in node.items))
    if isinstance(node, Or):
        return or_(*(member_condition(i, collation) for i in node.items))
    if isinstance(node, Not):
        return not_(member_condition(node.item, collation))
    if isinstance(node, ValuePath):
        raise BadMemberSelection("Value paths cannot be nested.")
    sub = node.path.sub.name if node.path.sub else "value"
    if sub == "type":  # every member is a User: the condition is constant
        if isinstance(node, Present):
            return true()
        is_user = str(node.value).lower() == "user"
        return true() if (node.op == "eq") == is_user else false()
    if sub != "value":
        raise BadMemberSelection(f"Members can be selected by 'value' or 'type', not '{sub}'.")
    operand = Operand(t.memberships.c.user_id, "text")
    if isinstance(node, Present):
        return operand.expr.is_not(None)
    return compare(operand, node.op, node.value, collation)
