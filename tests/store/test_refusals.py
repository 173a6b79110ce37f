"""What the store refuses reaches each client in its own terms: a unique index that refuses a
console write is a form error, not a SCIM `uniqueness` and not a 500; the same index behind
a SCIM write is a SCIM 409 `uniqueness`. Both databases."""

from __future__ import annotations

import uuid

import pytest

from doorpost.scim.definitions import USER_TYPE
from doorpost.scim.discovery import Limits
from doorpost.scim.errors import ScimError, Uniqueness
from doorpost.scim.listing import ListQuery
from doorpost.scim.render import Projection
from doorpost.service.auth import Caller
from doorpost.service.errors import AdminError, admin_write
from doorpost.service.organizations import Organizations
from doorpost.service.scim import ScimService
from doorpost.store.database import Database
from doorpost.store.directory import Directory
from doorpost.store.doors import DoorStore
from doorpost.store.errors import Duplicate


def _org(db: Database) -> int:
    slug = f"org-{uuid.uuid4().hex[:10]}"
    return Organizations(db).create(f"Org {slug}", slug=slug, licensed=True).id


def test_a_console_write_refused_by_a_unique_index_is_an_admin_error(db: Database) -> None:
    org_id = _org(db)
    with admin_write(db) as conn:
        DoorStore(conn, org_id).create_place(str(uuid.uuid4()), "Head office", 1)
    with pytest.raises(AdminError) as refused:
        with admin_write(db) as conn:  # past any check of its own: only the index refuses
            DoorStore(conn, org_id).create_place(str(uuid.uuid4()), "Head office", 2)
    assert not isinstance(refused.value, ScimError)
    assert isinstance(refused.value.__cause__, Duplicate)
    with db.read() as conn:
        assert [p.name for p in DoorStore(conn, org_id).places()] == ["Head office"]


def test_the_store_refuses_in_its_own_terms(db: Database) -> None:
    org_id = _org(db)
    doc = {"userName": "Ada@example.com", "active": True}
    with db.write() as conn:
        Directory(conn, org_id, db.backend).insert(USER_TYPE, str(uuid.uuid4()), doc, 1)
    with pytest.raises(Duplicate) as refused:
        with db.write() as conn:
            Directory(conn, org_id, db.backend).insert(
                USER_TYPE, str(uuid.uuid4()), {"userName": "ada@EXAMPLE.com"}, 2)
    assert not isinstance(refused.value, ScimError)
    assert "userName" in refused.value.detail


def test_a_scim_write_refused_by_the_store_is_a_scim_uniqueness(db: Database) -> None:
    orgs = Organizations(db)
    slug = f"org-{uuid.uuid4().hex[:10]}"
    org = orgs.enable_scim(orgs.create(f"Org {slug}", slug=slug, licensed=True,
                                       sso_configured=True).slug)
    service = ScimService(db, Limits())
    caller = Caller(org, "t")
    body = {"schemas": [USER_TYPE.core.id], "userName": "grace@example.com"}
    service.create(caller, USER_TYPE, body)
    with pytest.raises(Uniqueness) as refused:
        service.create(caller, USER_TYPE, {**body, "userName": "GRACE@example.com"})
    assert refused.value.status == 409 and refused.value.scim_type == "uniqueness"
    assert isinstance(refused.value.__cause__, Duplicate)
    with db.read() as conn:
        total, _ = Directory(conn, org.id, db.backend).page(
            USER_TYPE, ListQuery(None, 1, 10, None, False, Projection()))
    assert total == 1
