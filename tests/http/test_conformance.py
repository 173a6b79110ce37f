"""scim2-tester (python-scim) against the live server: every check must pass, but two.

The two exceptions are one disagreement: Doorpost renders each group member's `display`
from the member itself (RFC 7643 §2.4 makes `display` read-only), while scim2-tester expects
the `display` it did not send (None) to come back. Each of them must fail for that reason
only: the members returned are exactly the ones patched, `display` aside.
"""

from __future__ import annotations

import re

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import check_server

from tests.conftest import Tenant

DISPLAY_ONLY = {"check_add_attribute", "check_replace_attribute"}


def _without_display(text: str) -> str:
    return re.sub(r", display=(None|'[^']*')", "", text)


def test_scim2_tester_passes_every_check(tenant: Tenant) -> None:
    client = httpx2.Client(base_url=tenant.base,
                           headers={"Authorization": f"Bearer {tenant.token.token}"}, timeout=30)
    results = check_server(SyncSCIMClient(client))
    assert len(results) >= 135
    failures = [r for r in results if r.status.name != "SUCCESS"]
    unexpected = [f"{r.status.name} {r.title}: {r.reason}" for r in failures
                  if r.title not in DISPLAY_ONLY or "'members'" not in str(r.reason)]
    assert unexpected == []
    for r in failures:  # the members agree but for the derived display
        patched, returned = re.findall(r"value: (\[.*\])", str(r.reason))
        assert "display=None" in patched and "display='" in returned
        assert _without_display(patched) == _without_display(returned)
