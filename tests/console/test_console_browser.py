"""End to end in headless Chromium: the owner's whole flow from the mission, in a browser.

Sign in → see the license → save SSO metadata → enable SCIM → generate a token and read it
once → provision a user with it → find that request and its diff in the activity view →
revoke the token → the next request is refused. Leaves a screenshot in docs/.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import httpx
import pytest

from doorpost.service.organizations import Organizations
from doorpost.service.owners import Owners
from doorpost.store.database import Database
from tests.console.test_console_http import METADATA, PASSWORD
from tests.conftest import LiveServer, user_body

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DOCS = Path(__file__).resolve().parents[2] / "docs"
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is required under CI (.ci/run installs Debian's chromium)")
        pytest.skip("Chromium not installed")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        instance = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def test_owner_flow_in_a_browser(browser, db: Database, server: LiveServer,  # type: ignore[no-untyped-def]
                                 tmp_path: Path) -> None:
    slug = f"acme-{uuid.uuid4().hex[:6]}"
    Organizations(db).create("Acme Doors", slug=slug, licensed=True)
    email = f"owner-{uuid.uuid4().hex[:6]}@acme.example"
    _, link_token = Owners(db).create(slug, email)

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{server.url}/admin/set-password?token={link_token}")
    page.get_by_label("New password").fill(PASSWORD)
    page.get_by_label("Repeat it").fill(PASSWORD)
    page.get_by_role("button", name="Set password").click()
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    page.wait_for_url("**/admin/sso-scim")
    assert page.get_by_text("Organization license", exact=True).is_visible()
    assert page.locator("#enable-scim").is_disabled()  # SSO first

    page.get_by_label("…or paste the metadata XML").fill(METADATA)
    page.get_by_role("button", name="Save SSO metadata").click()
    assert page.get_by_text("SSO metadata saved").is_visible()

    page.locator("#enable-scim").check()  # submits the form (progressive enhancement)
    page.wait_for_selector("text=SCIM is enabled.")

    page.get_by_label("Token name").fill("Entra ID")
    page.get_by_role("button", name="Generate Token").click()
    token = page.locator("#new-token").inner_text().strip()
    assert token.startswith("dp_scim_")
    assert page.get_by_text("will not be shown again").is_visible()
    tenant_url = page.locator("#tenant-url").inner_text().strip()
    assert tenant_url == f"{server.url}/scim/v2"
    # The screenshot shows the page as the owner saw it, with the secret masked.
    page.locator("#new-token").evaluate(
        "(el) => { el.textContent = el.textContent.slice(0, 12) + '…(masked in screenshot)'; }")
    shot = tmp_path / "console-sso-scim.png"
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    if os.environ.get("DOORPOST_UPDATE_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        shutil.copy(shot, DOCS / "console-sso-scim.png")

    scim = httpx.Client(base_url=tenant_url, headers={"Authorization": f"Bearer {token}"})
    created = scim.post("/Users", json=user_body("grace@acme.example", title="Door tester"))
    assert created.status_code == 201
    assert scim.get("/Users").json()["totalResults"] == 1

    page.reload()  # the browser re-sends the "Generate Token" form: nothing new is minted
    assert page.get_by_text("No token was created").is_visible()
    page.goto(f"{server.url}/admin/sso-scim")
    assert token not in page.content()  # shown once, never again
    assert page.locator("tr", has_text="Entra ID").count() == 1

    page.get_by_role("link", name="Provisioning activity").click()
    row = page.locator("tr", has_text="POST /scim/v2/Users")
    for _ in range(50):
        if row.count():
            break
        page.wait_for_timeout(100)
        page.reload()
    row.first.get_by_role("link").click()
    assert page.get_by_role("heading", name="What changed").is_visible()
    assert page.locator("td.after", has_text="grace@acme.example").count() >= 1

    page.get_by_role("link", name="SSO & SCIM").click()
    page.get_by_role("button", name="Revoke Entra ID").click()
    assert page.get_by_text("Token revoked").is_visible()
    refused = scim.get("/Users")
    assert refused.status_code == 401
    page.close()
