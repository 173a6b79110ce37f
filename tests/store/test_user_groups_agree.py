"""Several reads of a user's groups exist (pages read them for many users at once; a GET by
id, a write's locked read and an identity provider's `userName eq` page read the user and
its groups in one statement): a property test proves they agree, in members and in order,
on both databases."""

from __future__ import annotations

import uuid

from hypothesis import HealthCheck, given, settings, strategies as st

from doorpost.scim.filter import parse_filter
from doorpost.scim.listing import ListQuery
from doorpost.scim.render import Projection
from doorpost.scim.text import fold
from doorpost.service.organizations import Organizations
from doorpost.store import tables as t
from doorpost.store.database import Database
from doorpost.scim.definitions import USER_TYPE
from doorpost.store.directory import Directory, get_with_relation

NAMES = st.text(alphabet="aAbBéÉßẞzZ İı-1", min_size=1, max_size=6)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(names=st.lists(NAMES, min_size=0, max_size=8, unique_by=fold),
       memberships=st.lists(st.tuples(st.integers(0, 2), st.integers(0, 7)), max_size=20))
def test_both_reads_of_a_users_groups_agree(db: Database, names: list[str],
                                            memberships: list[tuple[int, int]]) -> None:
    slug = f"agree-{uuid.uuid4().hex[:8]}"
    org = Organizations(db).create(slug, slug=slug)
    users = [str(uuid.uuid4()) for _ in range(3)]
    groups = [str(uuid.uuid4()) for _ in names]
    with db.write() as conn:
        conn.execute(t.users.insert(), [{
            "org_id": org.id, "id": u, "user_name": f"{u}@x", "user_name_ci": f"{u}@x",
            "active": True, "doc": {"userName": f"{u}@x"}, "version": 1, "created_us": i,
            "modified_us": i} for i, u in enumerate(users)])
        if groups:
            conn.execute(t.groups.insert(), [{
                "org_id": org.id, "id": g, "display_name": n, "display_name_ci": fold(n),
                "doc": {"displayName": n}, "version": 1, "created_us": 1, "modified_us": 1}
                for g, n in zip(groups, names)])
        pairs = {(users[u], groups[g]) for u, g in memberships if g < len(groups)}
        if pairs:
            conn.execute(t.memberships.insert(), [
                {"org_id": org.id, "user_id": u, "group_id": g} for u, g in pairs])
    with db.read() as conn:
        directory = Directory(conn, org.id, db.backend)
        many = directory.user_groups(users)
        for u in users:
            one = get_with_relation(db, org.id, USER_TYPE, u)  # the prepared statement
            assert one is not None
            # decodes as SQLAlchemy does
            assert one == directory.get(USER_TYPE, u)
            assert one.related == many[u]
            _, page = directory.page(USER_TYPE, ListQuery(
                parse_filter(f'userName eq "{u}@X"', USER_TYPE), 1, 10, None, False,
                Projection()))
            assert [p.related for p in page] == [many[u]]
            assert [name for _, name in many[u]] == sorted(
                (name for _, name in many[u]), key=fold)
            assert {g for g, _ in many[u]} == {g for uu, g in pairs if uu == u}
    with db.write() as conn:
        directory = Directory(conn, org.id, db.backend)
        for u in users:
            locked = directory.locked_with_relation(USER_TYPE, u)
            assert locked is not None and locked.related == many[u]
