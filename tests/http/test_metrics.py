"""`/metrics`: Prometheus counters by route template, method, status and dialect, latency
histograms and gauges; with several workers, every scrape sums all of them."""

from __future__ import annotations

from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from doorpost.http.metrics import route_label
from tests.conftest import LiveServer, Tenant, user_body
from tests.processes import ServerProcess


def _samples(url: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    r = httpx.get(f"{url}/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(r.text) for s in family.samples}


def _requests(samples: dict[tuple[str, frozenset[tuple[str, str]]], float], **labels: str
              ) -> float:
    wanted = set(labels.items())
    return sum(v for (name, ls), v in samples.items()
               if name == "doorpost_http_requests_total" and wanted <= ls)


def test_requests_are_counted_by_route_template_status_and_dialect(
        server: LiveServer, tenant: Tenant) -> None:
    before = _samples(server.url)
    created = tenant.post("/Users", user_body("metrics@example.com"))
    uid = created.json()["id"]
    for _ in range(3):
        tenant.client.get(f"/Users/{uid}")
    tenant.client.get("/Users/nope")
    tenant.client.get("/Users", headers={"User-Agent": "Azure Active Directory SCIM Client"})
    httpx.get(f"{server.url}/wp-admin/{uid}")  # a scanner mints no new series
    after = _samples(server.url)

    def delta(**labels: str) -> float:
        return _requests(after, **labels) - _requests(before, **labels)
    assert delta(route="/scim/v2/Users/{id}", method="GET", status="200") == 3
    assert delta(route="/scim/v2/Users/{id}", method="GET", status="404") == 1
    assert delta(route="/scim/v2/Users", method="POST", status="201", dialect="rfc") == 1
    assert delta(route="/scim/v2/Users", method="GET", dialect="entra") == 1
    assert delta(route="unmatched", status="404") == 1
    assert not any(uid in str(labels) for _, labels in after)
    assert any(name == "doorpost_http_request_duration_seconds_bucket" for name, _ in after)
    gauges = {name for name, _ in after}
    assert {"doorpost_db_pool_connections_in_use", "doorpost_activity_queue_depth",
            "doorpost_activity_dropped_records_total"} <= gauges


def test_route_labels_stay_bounded() -> None:
    assert route_label("/scim/v2/Users/abc") == "/scim/v2/Users/{id}"
    assert route_label("/scim/v2//users/abc") == "/scim/v2/Users/{id}"
    assert route_label("/scim/v2/Groups/.search") == "/scim/v2/Groups/.search"
    assert route_label("/scim/v2/Schemas/urn:x") == "/scim/v2/Schemas/{id}"
    assert route_label("/scim/v2/whatever") == "unmatched"
    assert route_label("/admin/members/42") == "/admin/members/{id}"
    assert route_label("/admin/zzz") == "unmatched"
    assert route_label("/readyz") == "/readyz"
    assert route_label("/x" * 50) == "unmatched"
    assert route_label("/saml/acme/acs") == "/saml/{org}/acs"
    assert route_label("/saml/acme/zzz") == "unmatched"
    assert route_label("/me/doors/d1/unlock") == "/me/doors/{id}/unlock"
    assert route_label("/api/v1/access/decisions") == "/api/v1/access/decisions"


def test_several_workers_are_summed_in_every_scrape(tmp_path: Path, database_url: str) -> None:
    directory = tmp_path / "metrics"
    with ServerProcess(database_url, workers=2,
                       env={"PROMETHEUS_MULTIPROC_DIR": str(directory)}) as server:
        for _ in range(40):  # a new connection each time, so both workers answer some
            assert httpx.get(f"{server.url}/livez").status_code == 200
        writers = {p.name.rsplit("_", 1)[-1] for p in directory.glob("counter_*.db")}
        assert len(writers) >= 2, writers  # both workers counted
        for _ in range(4):  # whichever worker answers the scrape sees all 40
            assert _requests(_samples(server.url), route="/livez") == 40


def test_every_console_section_has_its_route_label(server: LiveServer) -> None:
    """`metrics.CONSOLE_SECTIONS` is a list that must agree with the console's routes: every
    first path segment the console serves is in it (else its requests count as unmatched)."""
    from starlette.routing import Mount, Route

    from doorpost.console.app import build_console
    from doorpost.http.metrics import CONSOLE_SECTIONS
    from doorpost.service.access import Doors
    from doorpost.service.access_api import AccessApi
    from doorpost.service.activity import ActivityQueries
    from doorpost.service.directory_view import DirectoryView
    from doorpost.service.organizations import Organizations
    from doorpost.service.owners import Owners
    from doorpost.service.sso import Sso
    from doorpost.store.database import Database
    db = Database(server.settings.database_url, pool_size=1)
    console = build_console(Organizations(db), Owners(db), Sso(db), ActivityQueries(db),
                            DirectoryView(db), None, None, Doors(db), AccessApi(db))
    firsts = {r.path.strip("/").split("/")[0] for r in console.routes
              if isinstance(r, (Route, Mount))}
    assert firsts and firsts <= CONSOLE_SECTIONS, firsts - CONSOLE_SECTIONS
    db.dispose()
