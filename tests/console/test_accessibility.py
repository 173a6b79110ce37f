"""Every console page in headless Chromium at desktop (1280 px) and phone (390 px) widths:
axe-core (from the npm registry, `tests/console/axe`, injected by Playwright) finds no
serious or critical violation, nothing overflows the phone's width, each page has one
title of its own. The walk takes the README's screenshots; with DOORPOST_UPDATE_SCREENSHOTS
set they are copied into docs/."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from doorpost.service.access import Doors
from doorpost.service.access_api import AccessApi
from doorpost.service.activity import ActivityQueries
from doorpost.service.webhooks import Webhooks
from doorpost.store.database import Database
from tests.conftest import ENTERPRISE_URN, GROUP_URN, LiveServer, make_tenant, user_body
from tests.console.test_console_browser import browser  # noqa: F401  (the fixture)
from tests.console.test_console_http import PASSWORD, owner_for

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
DOCS = Path(__file__).resolve().parents[2] / "docs"
WIDTHS = {"desktop": (1280, 800), "phone": (390, 844)}
SHOTS = {"/admin/sso-scim": "console-sso-scim", "/admin/activity": "console-activity",
         "member": "console-member", "/admin/doors": "console-doors",
         "/admin/webhooks": "console-webhooks"}

if not AXE.exists() and not os.environ.get("CI"):  # under CI a missing axe-core fails
    pytest.skip("axe-core not installed (npm ci --prefix tests/console/axe)",
                allow_module_level=True)


@pytest.fixture(scope="module")
def site(db: Database, server: LiveServer) -> dict[str, Any]:
    """An organization with something on every page."""
    tenant = make_tenant(db, server)
    boss = tenant.post("/Users", user_body("boss@a11y.example", displayName="Bea Boss")
                       ).json()["id"]
    body = user_body("ann@a11y.example", displayName="Ann Lee")
    body["schemas"] = body["schemas"] + [ENTERPRISE_URN]
    body[ENTERPRISE_URN] = {"department": "Computing", "employeeNumber": "42",
                            "manager": {"value": boss}}
    ann = tenant.post("/Users", body).json()["id"]
    group = tenant.post("/Groups", {"schemas": [GROUP_URN], "displayName": "Lab crew",
                                    "members": [{"value": ann}, {"value": boss}]}).json()["id"]
    tenant.patch(f"/Users/{ann}", {"op": "replace", "path": "displayName", "value": "Ann L."})
    tenant.client.get("/Users", params={"filter": "bad filter"})
    doors = Doors(db)
    doors.create_place(tenant.org.slug, "Head office")
    door = doors.create(tenant.org.slug, "Lab", "Head office")
    doors.grant(tenant.org.slug, door.id, group)
    api = AccessApi(db)
    caller = api.authenticate(f"Bearer {api.create_key(tenant.org.slug, 'Lab reader')[1]}")
    api.decide(caller, door.id, "ann@a11y.example")
    hook = Webhooks(db).add(tenant.org.slug, "https://93.184.215.14/doorpost",
                            ["access.*"]).webhook
    Webhooks(db).pause(tenant.org.slug, hook.id, True)
    owner = owner_for(db, tenant)
    _, rows = ActivityQueries(db).search(tenant.org.id, limit=1)
    return {"tenant": tenant, "owner": owner, "paths": [
        "/admin/login", "/admin/forgot", "/admin/sso-scim", "/admin/activity",
        f"/admin/activity/{rows[0].id}" if rows else "/admin/activity",
        "/admin/members", f"/admin/members/{ann}", "/admin/groups", f"/admin/groups/{group}",
        "/admin/doors", "/admin/access", "/admin/webhooks", f"/admin/webhooks/{hook.id}",
        "/admin/owners", "/admin/choose", "/admin/no-such-page"], "member": ann}


@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_is_accessible_and_fits(browser: Any, server: LiveServer,  # noqa: F811
                                           site: dict[str, Any], width: str,
                                           tmp_path: Path) -> None:
    w, h = WIDTHS[width]
    context = browser.new_context(viewport={"width": w, "height": h}, bypass_csp=True)
    page = context.new_page()
    page.goto(f"{server.url}/admin/login")
    page.fill("#email", site["owner"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/admin/(sso-scim|choose)"))
    problems: list[str] = []
    titles: dict[str, str] = {}
    for path in site["paths"]:
        page.goto(f"{server.url}{path}")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate("""async () => {
            const r = await axe.run(document, {resultTypes: ['violations']});
            return r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
              .map(v => v.id + ': ' + v.help + ' @ ' + v.nodes.map(n => n.target.join(' ')).slice(0, 3).join(', '));
        }""")
        problems += [f"{path} [{width}] {v}" for v in result]
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        if overflow > 1:
            problems.append(f"{path} [{width}] overflows the viewport by {overflow}px")
        title = page.title()
        if "Doorpost · Doorpost" in title or not title.endswith("Doorpost"):
            problems.append(f"{path} [{width}] has the title {title!r}")
        titles[path] = title
        name = SHOTS.get(path) or (SHOTS["member"] if path.endswith(site["member"]) else None)
        if name:
            suffix = "" if width == "desktop" else "-phone"
            shot = tmp_path / f"{name}{suffix}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 5_000
            if os.environ.get("DOORPOST_UPDATE_SCREENSHOTS"):
                shutil.copy(shot, DOCS / shot.name)
    context.close()
    assert problems == [], "\n".join(problems)
    distinct = {t for p, t in titles.items() if p != "/admin/choose"}
    assert len(distinct) >= len(titles) - 3  # detail pages of one kind may share a title
