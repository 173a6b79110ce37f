"""scim2-tester (python-scim) against the live server: every check must pass."""

from __future__ import annotations

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

from tests.conftest import Tenant


def test_scim2_tester_passes_every_check(tenant: Tenant) -> None:
    client = httpx2.Client(base_url=tenant.base,
                           headers={"Authorization": f"Bearer {tenant.token.token}"}, timeout=30)
    results = check_server(SyncSCIMClient(client))
    failures = [f"{r.status.name} {r.title}: {r.reason}" for r in results
                if r.status.name != "SUCCESS"]
    assert len(results) >= 135
    assert failures == []
