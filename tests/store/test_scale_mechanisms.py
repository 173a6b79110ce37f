"""The mechanisms that keep a request's cost independent of organization and group size:
membership changed by delta (same statements for a 10- and a 3,000-member group, none that
reads the member list), members read in batches from a server-side cursor, and responses
streamed in chunks."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pytest
import sqlalchemy as sa

from doorpost.scim.definitions import GROUP_TYPE
from doorpost.scim.discovery import Limits
from doorpost.service.auth import Caller
from doorpost.service.organizations import Organizations
from doorpost.http.scim_answers import resource_pieces
from doorpost.http.streaming import buffered
from doorpost.service.results import ResourceView
from doorpost.service.scim import ScimService
from doorpost.store import tables as t
from doorpost.store.database import Database
from doorpost.store.directory import Directory
from tests.conftest import Tenant

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


def seed_group(db: Database, org_id: int, size: int) -> tuple[str, list[str]]:
    """A group of `size` users, written directly (fast)."""
    group_id = str(uuid.uuid4())
    users = [str(uuid.uuid4()) for _ in range(size + 1)]
    with db.write() as conn:
        conn.execute(t.users.insert(), [{
            "org_id": org_id, "id": u, "user_name": f"{u}@x", "user_name_ci": f"{u}@x",
            "active": True, "doc": {"userName": f"{u}@x"}, "version": 1, "created_us": i,
            "modified_us": i} for i, u in enumerate(users)])
        conn.execute(t.groups.insert().values(
            org_id=org_id, id=group_id, display_name=f"G{size}-{group_id[:6]}",
            display_name_ci=f"g{size}-{group_id[:6]}", doc={"displayName": f"G{size}"},
            version=1, created_us=1, modified_us=1))
        conn.execute(t.memberships.insert(), [
            {"org_id": org_id, "group_id": group_id, "user_id": u} for u in users[:size]])
    return group_id, users


@pytest.fixture(scope="module")
def caller(db: Database) -> Caller:
    slug = f"scale-{uuid.uuid4().hex[:8]}"
    orgs = Organizations(db)
    orgs.create("Scale", slug=slug, licensed=True, sso_configured=True)
    return Caller(orgs.enable_scim(slug), "test")


def statements_for(db: Database, fn: Any) -> list[str]:
    seen: list[str] = []

    def listener(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", listener)
    try:
        fn()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", listener)
    return seen


def test_one_member_patch_is_o_delta(db: Database, caller: Caller) -> None:
    service = ScimService(db, Limits())
    counts = {}
    for size in (10, 3000):
        group_id, users = seed_group(db, caller.org.id, size)
        newcomer = users[-1]
        for op in ({"op": "add", "path": "members", "value": [{"value": newcomer}]},
                   {"op": "remove", "path": f'members[value eq "{newcomer}"]'}):
            body = {"schemas": [PATCH_OP], "Operations": [op]}
            stmts = statements_for(db, lambda: service.patch(
                caller, GROUP_TYPE, group_id, body, None, {}))
            counts[(size, op["op"])] = len(stmts)
            # nothing reads the group's member list: every membership read names its users
            for s in stmts:
                for read in s.split("SELECT")[1:]:
                    if "FROM memberships" in read and "memberships.user_id IN" not in read \
                            and "memberships.user_id =" not in read:
                        raise AssertionError(f"read the member list: {s}")
    assert counts[(10, "add")] == counts[(3000, "add")]
    assert counts[(10, "remove")] == counts[(3000, "remove")]


def test_members_are_read_in_batches(db: Database, caller: Caller) -> None:
    group_id, _ = seed_group(db, caller.org.id, 2500)
    with db.read() as conn:
        batches = list(Directory(conn, caller.org.id, db.backend).iter_members(group_id, 1000))
    assert [len(b) for b in batches] == [1000, 1000, 500]


def test_large_group_is_streamed(db: Database, caller: Caller) -> None:
    group_id, users = seed_group(db, caller.org.id, 6000)
    answer = ScimService(db, Limits()).get(caller, GROUP_TYPE, group_id, {})
    assert isinstance(answer.body, ResourceView)
    chunks = list(buffered(resource_pieces(answer.body, "http://t")))
    assert len(chunks) > 3  # bounded by one batch of members (2,000), whatever the group size
    assert max(len(c) for c in chunks) < 400_000
    body = orjson.loads(b"".join(chunks))
    assert sorted(m["value"] for m in body["members"]) == sorted(users[:6000])
    assert body["meta"]["resourceType"] == "Group"


def test_list_pages_stream_over_http(tenant: Tenant, db: Database) -> None:
    group_id, users = seed_group(db, tenant.org.id, 4000)
    with tenant.client.stream("GET", f"/Groups/{group_id}") as r:
        assert r.status_code == 200
        assert "content-length" not in r.headers  # chunked: never assembled whole
        assert r.headers["etag"] == 'W/"1"'
        raw = b"".join(r.iter_raw())
    assert len(orjson.loads(raw)["members"]) == 4000
    with tenant.client.stream("GET", "/Users", params={"count": 1000}) as r:
        assert "content-length" not in r.headers
        page = orjson.loads(b"".join(r.iter_raw()))
    assert page["totalResults"] == 4001 and page["itemsPerPage"] == 1000 == len(page["Resources"])
    sub = tenant.client.get(f"/Groups/{group_id}", params={"attributes": "members.value"}).json()
    assert set(sub["members"][0]) == {"value"}

