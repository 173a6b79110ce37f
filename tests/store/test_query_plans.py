"""Every lookup an identity provider makes is an index lookup within the organization, on
SQLite and PostgreSQL. The plans are read from the databases themselves; a lookup that falls
back to a scan of a table fails here (on PostgreSQL with sequential scans discouraged, so a
plan that still scans has no index to use)."""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest
from sqlalchemy import Connection, Select, delete, select

from doorpost.scim.definitions import GROUP_TYPE, USER_TYPE
from doorpost.scim.listing import parse_list_query
from doorpost.service.organizations import Organizations
from doorpost.store import tables as t
from doorpost.store.database import Database
from doorpost.store.directory import Directory

TABLES = r"(users|groups|user_emails|memberships|scim_tokens)"


def plan(conn: Connection, stmt: Any) -> str:
    compiled = stmt.compile(dialect=conn.dialect, compile_kwargs={"render_postcompile": True})
    sql = str(compiled)
    if conn.dialect.name == "sqlite":
        params: Any = tuple(compiled.params[k] for k in compiled.positiontup or ())
        rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, params).fetchall()
        return "\n".join(r[-1] for r in rows)
    conn.exec_driver_sql("SET enable_seqscan = off")  # reads run in autocommit: not LOCAL
    try:
        rows = conn.exec_driver_sql("EXPLAIN " + sql, compiled.params).fetchall()
    finally:
        conn.exec_driver_sql("RESET enable_seqscan")
    return "\n".join(r[0] for r in rows)


def assert_no_scan(text: str) -> None:
    """No full scan, and no index use that narrows only to the organization (which would
    read every row of a large organization)."""
    sqlite_scan = re.search(rf"^SCAN {TABLES}\b", text, re.M)
    sqlite_org_only = re.search(rf"^SEARCH {TABLES} .*\(org_id=\?\)$", text, re.M)
    pg_scan = re.search(rf"Seq Scan on {TABLES}\b", text)
    pg_org_only = re.search(r"Index Cond: \(org_id = \d+\)$", text, re.M)
    assert not (sqlite_scan or sqlite_org_only or pg_scan or pg_org_only), text


@pytest.fixture(scope="module")
def org_id(db: Database) -> int:
    """An organization with a few thousand rows. PostgreSQL plans by statistics, so it gets
    ANALYZE as autovacuum would in production; SQLite gets none (the worst case)."""
    slug = f"plans-{uuid.uuid4().hex[:8]}"
    org = Organizations(db).create("Plans", slug=slug, licensed=True).id
    n = 3000
    with db.write() as conn:
        conn.execute(t.users.insert(), [{
            "org_id": org, "id": f"u-{i}", "user_name": f"user{i}@example.com",
            "user_name_ci": f"user{i}@example.com", "external_id": f"x-{i}",
            "display_name": f"User {i}", "active": True, "doc": {"userName": f"user{i}"},
            "version": 1, "created_us": i, "modified_us": i} for i in range(n)])
        conn.execute(t.user_emails.insert(), [{
            "org_id": org, "user_id": f"u-{i}", "position": 0, "type_ci": "work",
            "value_ci": f"user{i}@example.com"} for i in range(n)])
        conn.execute(t.groups.insert(), [{
            "org_id": org, "id": f"g-{i}", "display_name": f"Group {i}",
            "display_name_ci": f"group {i}", "external_id": f"gx-{i}",
            "doc": {"displayName": f"Group {i}"}, "version": 1, "created_us": i,
            "modified_us": i} for i in range(300)])
        conn.execute(t.memberships.insert(), [{
            "org_id": org, "group_id": f"g-{i % 300}", "user_id": f"u-{i}"} for i in range(n)])
    if db.backend == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE")
    return org


USER_FILTERS = [
    'userName eq "a@example.com"',
    'externalId eq "x-1"',
    'emails.value eq "a@example.com"',
    'emails[type eq "work"].value eq "a@example.com"',
    'emails[type eq "work" and value eq "a@example.com"]',
    'groups.value eq "g-1"',
    'id eq "u-1"',
]
GROUP_FILTERS = ['displayName eq "Door Access - HQ"', 'externalId eq "g-ext"',
                 'members[value eq "u-1"]', 'id eq "g-1"']


@pytest.mark.parametrize("rt, text", [(USER_TYPE, f) for f in USER_FILTERS] +
                         [(GROUP_TYPE, f) for f in GROUP_FILTERS])
def test_identity_provider_lookups_use_indexes(db: Database, org_id: int, rt: Any,
                                               text: str) -> None:
    query = parse_list_query({"filter": text}, rt, default_count=100, max_count=1000)
    with db.read() as conn:
        count, page = Directory(conn, org_id, db.backend).list_statements(rt, query)
        assert_no_scan(plan(conn, count))
        assert_no_scan(plan(conn, page))


def test_reads_and_membership_writes_use_indexes(db: Database, org_id: int) -> None:
    m, u, g = t.memberships.c, t.users.c, t.groups.c
    statements: list[Select[Any] | Any] = [
        select(t.users).where(u.org_id == org_id, u.id == "u-1"),            # GET by id
        select(t.groups).where(g.org_id == org_id, g.id == "g-1"),
        select(m.group_id).where(m.org_id == org_id, m.user_id.in_(["u-1", "u-2"])),  # groups
        select(m.user_id).where(m.org_id == org_id, m.group_id == "g-1"),    # members
        delete(t.memberships).where(m.org_id == org_id, m.group_id == "g-1",
                                    m.user_id.in_(["u-1"])),                 # remove member
        select(t.scim_tokens).where(t.scim_tokens.c.digest == "d" * 64),      # auth
    ]
    with db.read() as conn:
        for stmt in statements:
            assert_no_scan(plan(conn, stmt))


def test_the_check_catches_a_scan(db: Database, org_id: int) -> None:
    """The detector itself: a filter on an unindexed JSON attribute is a scan."""
    query = parse_list_query({"filter": 'title eq "x"'}, USER_TYPE, default_count=10,
                             max_count=10)
    with db.read() as conn:
        count, _ = Directory(conn, org_id, db.backend).list_statements(USER_TYPE, query)
        with pytest.raises(AssertionError):
            assert_no_scan(plan(conn, count))
