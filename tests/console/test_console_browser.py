"""End to end in headless Chromium: the owner's whole flow from the mission, in a browser.

Sign in → see the license → save the IdP's SSO metadata → Test SSO through a real (test)
identity provider → enable SCIM → generate a token and read it once → provision a user with
it → find that request and its diff in the activity view → revoke the token → the next
request is refused. Then an owner and a member sign in by SSO, and the member unlocks a
door. Leaves screenshots in docs/.
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
from doorpost.service.access import Doors
from doorpost.service.saml import Endpoints
from doorpost.service.sso import Sso
from tests.console.test_console_http import PASSWORD
from tests.conftest import LiveServer, _free_port, user_body
from tests.saml_idp import IdpWebsite, PysamlIdp, running

if shutil.which("xmlsec1") is None and not os.environ.get("CI"):
    pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1): SSO needs it",
                allow_module_level=True)


def _idp_for(server: LiveServer, slug: str) -> IdpWebsite:
    """A test identity provider website that knows this organization's SP."""
    site = IdpWebsite(_free_port())
    endpoints = Endpoints.of(server.url, slug)
    site.idp = PysamlIdp(f"{site.url}/metadata", f"{site.url}/sso",
                         httpx.get(endpoints.metadata_url).text)
    site.sp_entity_id, site.acs_url = endpoints.entity_id, endpoints.acs_url
    return site

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
    page.get_by_role("button", name="Sign in", exact=True).click()

    page.wait_for_url("**/admin/sso-scim")
    assert page.get_by_text("Organization license", exact=True).is_visible()
    assert page.locator("#enable-scim").is_disabled()  # SSO first

    idp = _idp_for(server, slug)
    page.get_by_label("…or paste the metadata XML").fill(idp.idp.metadata)  # type: ignore[union-attr]
    page.get_by_role("button", name="Save SSO metadata").click()
    assert page.get_by_text("SSO metadata saved").is_visible()
    assert page.locator("#enable-scim").is_disabled()  # saved is not verified

    with running(idp.app(), idp.port):
        page.get_by_role("button", name="Test SSO").click()  # to the IdP and back
        page.wait_for_url("**/admin/sso/test/**")
    assert page.get_by_text("Passed").is_visible()
    assert page.get_by_text("emailaddress").first.is_visible()
    page.get_by_role("link", name="Back to SSO & SCIM").click()
    assert page.get_by_text("SSO verified").is_visible()

    assert page.get_by_role("button", name="Generate Token").is_disabled()  # SCIM is off
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

    assert page.get_by_text("Waiting for your identity provider").is_visible()
    scim = httpx.Client(base_url=tenant_url, headers={"Authorization": f"Bearer {token}"})
    created = scim.post("/Users", json=user_body("grace@acme.example", title="Door tester"))
    assert created.status_code == 201
    # no reload: the health panel refreshes itself and turns green with what was sent
    page.get_by_text("Your identity provider is connected").wait_for(timeout=10_000)
    assert page.locator("#health", has_text="POST /scim/v2/Users").count() == 1
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
    row.first.get_by_role("link").first.click()  # the time links to the detail
    assert page.get_by_role("heading", name="What changed").is_visible()
    changed = page.locator("ul.diff li", has_text="userName")
    assert changed.count() == 1 and '"grace@acme.example"' in changed.inner_text()
    assert "(added)" in changed.inner_text()  # a new user: every attribute was added

    page.get_by_role("link", name="SSO & SCIM").click()
    page.once("dialog", lambda dialog: dialog.dismiss())  # revoking asks first
    page.get_by_role("button", name="Revoke Entra ID").click()
    assert scim.get("/Users").status_code == 200  # said no: nothing was revoked
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Revoke Entra ID").click()
    assert page.get_by_text("Token revoked").is_visible()
    refused = scim.get("/Users")
    assert refused.status_code == 401
    page.close()


def test_owner_and_member_sign_in_by_sso_in_a_browser(  # type: ignore[no-untyped-def]
        browser, db: Database, server: LiveServer, tmp_path: Path) -> None:
    slug = f"doors-{uuid.uuid4().hex[:6]}"
    orgs = Organizations(db)
    org = orgs.create("Doors Inc", slug=slug, licensed=True)
    idp = _idp_for(server, slug)
    Sso(db).save(org.id, xml=idp.idp.metadata)  # type: ignore[union-attr]
    orgs.set_sso_configured(slug, True)  # verified (the flow above shows Test SSO)
    orgs.enable_scim(slug)
    scim = httpx.Client(base_url=f"{server.url}/scim/v2", headers={
        "Authorization": f"Bearer {orgs.create_token(slug, 'idp').token}"})
    ann = scim.post("/Users", json=user_body("ann@doors.example")).json()
    group = scim.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                       "displayName": "Engineering",
                                       "members": [{"value": ann["id"]}]}).json()
    doors = Doors(db)
    lab = doors.create(slug, "Lab")
    doors.create(slug, "Server room")
    doors.grant(slug, lab.id, group["id"])
    owner_email = f"owner-{uuid.uuid4().hex[:6]}@doors.example"
    _, link = Owners(db).create(slug, owner_email)
    Owners(db).set_password(link, PASSWORD)

    with running(idp.app(), idp.port):
        owner = browser.new_page(viewport={"width": 1280, "height": 900})
        owner.goto(f"{server.url}/admin/login")
        idp.user = owner_email
        owner.get_by_label("Organization").fill(slug)
        owner.get_by_role("button", name="Sign in with SSO").click()
        owner.wait_for_url("**/admin/sso-scim")
        assert owner.get_by_text(owner_email).is_visible()
        owner.close()

        member = browser.new_page(viewport={"width": 390, "height": 844})
        idp.user = "ann@doors.example"
        member.goto(f"{server.url}/me")
        member.get_by_label("Organization").fill(slug)
        member.get_by_role("button", name="Sign in with SSO").click()
        member.wait_for_url("**/me")
        assert member.get_by_role("heading", name="Your doors").is_visible()
        row = member.locator("li", has_text="Lab")
        assert row.get_by_text("member of Engineering").is_visible()
        assert member.locator("li", has_text="Server room").get_by_text("No access").is_visible()
        shot = tmp_path / "member-doors.png"
        member.screenshot(path=str(shot), full_page=True)
        if os.environ.get("DOORPOST_UPDATE_SCREENSHOTS"):
            shutil.copy(shot, DOCS / "member-doors.png")
        row.get_by_role("button", name="Unlock Lab").click()
        assert member.get_by_text("Unlocked.").is_visible()

        scim.patch(f"/Users/{ann['id']}", json={  # the identity provider deactivates Ann
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}]})
        member.reload()
        assert member.get_by_text("deactivated your account").is_visible()
        member.close()
    scim.close()
