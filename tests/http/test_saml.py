"""SAML 2.0 sign-in over real HTTP, against a real identity provider (pysaml2's IdP role and
responses forged and signed with xmlsec1), on both databases.

The happy paths (owner and member, SP- and IdP-initiated, signed assertion, signed response,
encrypted assertion) and a catalog of forged responses, each of which must be refused with
no session and a recorded reason."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterator

import httpx
import pytest

from doorpost.service.access import Doors
from doorpost.service.activity import recent_activity
from doorpost.service.organizations import Organizations
from doorpost.service.saml import Endpoints
from doorpost.service.sso import Sso
from doorpost.store.database import Database
from doorpost.store.doors import DoorStore
from tests.conftest import LiveServer, user_body
from tests.console.test_console_http import PASSWORD, csrf_of
from tests.saml_idp import Forged, KeyPair, PysamlIdp, decoded, encoded, forge

SCIM_JSON = "application/scim+json"

if shutil.which("xmlsec1") is None:  # Debian's xmlsec1: .ci/run installs it
    if os.environ.get("CI"):
        pytest.fail("xmlsec1 is required under CI (SAML signatures)", pytrace=False)
    pytest.skip("xmlsec1 is not installed (apt-get install xmlsec1): SAML tests need it",
                allow_module_level=True)


@dataclass
class SsoOrg:
    slug: str
    org_id: int
    endpoints: Endpoints
    idp: PysamlIdp
    scim: httpx.Client
    owner_email: str
    users: dict[str, str]  # email → SCIM id
    doors: dict[str, str]  # name → id
    sp_cert: str

    def browser(self, server: LiveServer) -> httpx.Client:
        return httpx.Client(base_url=server.url, timeout=30)

    def forged(self, **kw: Any) -> Forged:
        return replace(Forged(self.idp.entity_id, self.endpoints.entity_id,
                              self.endpoints.acs_url, "ann@example.com"), **kw)


def _setup(db: Database, server: LiveServer, *, verified: bool = True) -> SsoOrg:
    orgs = Organizations(db)
    slug = f"sso-{uuid.uuid4().hex[:8]}"
    org = orgs.create(f"SSO {slug}", slug=slug, licensed=True, sso_configured=True)
    orgs.enable_scim(slug)
    token = orgs.create_token(slug, "idp").token
    scim = httpx.Client(base_url=server.scim_url, headers={"Authorization": f"Bearer {token}"})
    users = {}
    for email, active in (("ann@example.com", True), ("bob@example.com", False)):
        r = scim.post("/Users", json=user_body(email, active=active))
        assert r.status_code == 201
        users[email] = r.json()["id"]
    group = scim.post("/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                       "displayName": "Staff", "members": [
                                           {"value": users["ann@example.com"]},
                                           {"value": users["bob@example.com"]}]}).json()
    doors = Doors(db)
    front, vault = doors.create(slug, "Front door"), doors.create(slug, "Vault")
    doors.grant(slug, front.id, group["id"])
    from doorpost.service.owners import Owners
    owner_email = f"owner-{uuid.uuid4().hex[:6]}@example.com"
    _, setup = Owners(db).create(slug, owner_email)
    Owners(db).set_password(setup, PASSWORD)
    endpoints = Endpoints.of(server.url, slug)
    sp_metadata = httpx.get(endpoints.metadata_url).text
    idp = PysamlIdp(f"https://idp.test/{slug}", f"https://idp.test/{slug}/sso", sp_metadata)
    Sso(db).save(org.id, xml=idp.metadata)
    if not verified:
        orgs.set_sso_configured(slug, False)
    cert = re.search(r"X509Certificate>([^<]+)</", sp_metadata)
    assert cert is not None
    pem = "-----BEGIN CERTIFICATE-----\n" + cert.group(1) + "\n-----END CERTIFICATE-----\n"
    return SsoOrg(slug, org.id, endpoints, idp, scim, owner_email, users,
                  {"Front door": front.id, "Vault": vault.id}, pem)


@pytest.fixture
def sso_org(db: Database, server: LiveServer) -> Iterator[SsoOrg]:
    org = _setup(db, server)
    yield org
    org.scim.close()


def _start(browser: httpx.Client, org: SsoOrg, as_: str = "member") -> str:
    r = browser.get(f"/saml/{org.slug}/login", params={"as": as_})
    assert r.status_code == 303, r.text
    assert r.headers["location"].startswith(org.idp.sso_url)
    return org.idp.request_id(r.headers["location"])


def _acs(browser: httpx.Client, org: SsoOrg, response: str, relay: str = "") -> httpx.Response:
    return browser.post(f"/saml/{org.slug}/acs",
                        data={"SAMLResponse": response, "RelayState": relay})


def _respond(org: SsoOrg, email: str, request_id: str | None, **kw: Any) -> str:
    return org.idp.respond(org.endpoints.entity_id, org.endpoints.acs_url, email,
                           in_response_to=request_id, sp_cert_pem=org.sp_cert, **kw)


def test_the_sp_metadata_names_entity_acs_and_certificate(sso_org: SsoOrg) -> None:
    r = httpx.get(sso_org.endpoints.metadata_url)
    assert r.status_code == 200 and "samlmetadata+xml" in r.headers["content-type"]
    assert f'entityID="{sso_org.endpoints.entity_id}"' in r.text
    assert sso_org.endpoints.acs_url in r.text and "HTTP-POST" in r.text
    assert "X509Certificate" in r.text
    assert httpx.get(sso_org.endpoints.metadata_url).text == r.text  # one key pair, kept
    assert httpx.get(sso_org.endpoints.metadata_url.replace(sso_org.slug, "nope")
                     ).status_code == 404


@pytest.mark.parametrize("shape", ["signed-assertion", "signed-response", "encrypted"])
def test_a_provisioned_member_signs_in_sp_initiated_and_sees_their_doors(
        db: Database, server: LiveServer, sso_org: SsoOrg, shape: str) -> None:
    with sso_org.browser(server) as browser:
        request_id = _start(browser, sso_org)
        response = _respond(sso_org, "Ann@Example.com", request_id,
                            sign_response=shape == "signed-response",
                            sign_assertion=shape != "signed-response",
                            encrypt=shape == "encrypted")
        if shape == "encrypted":
            assert "EncryptedAssertion" in decoded(response)
        r = _acs(browser, sso_org, response, "member")
        assert r.status_code == 303 and r.headers["location"] == "/me", r.text
        me = browser.get("/me")
        assert me.status_code == 200
        assert "ann@example.com" in me.text and "Front door" in me.text
        assert "member of Staff" in me.text and "no group of this person opens" in me.text
        unlock = browser.post(f"/me/doors/{sso_org.doors['Front door']}/unlock",
                              data={"csrf": csrf_of(me.text)})
        assert unlock.status_code == 303 and "unlocked=" in unlock.headers["location"]
        denied = browser.post(f"/me/doors/{sso_org.doors['Vault']}/unlock",
                              data={"csrf": csrf_of(me.text)})
        assert "denied=" in denied.headers["location"]
        forged_csrf = browser.post(f"/me/doors/{sso_org.doors['Front door']}/unlock",
                                   data={"csrf": "x"})
        assert forged_csrf.status_code == 400
    with db.read() as conn:
        events = DoorStore(conn, sso_org.org_id).access_events()
    assert [(e.door_id, e.allowed) for e in events[:2]] == [
        (sso_org.doors["Vault"], False), (sso_org.doors["Front door"], True)]


def test_idp_initiated_sign_in_works_for_a_member(server: LiveServer, sso_org: SsoOrg) -> None:
    with sso_org.browser(server) as browser:
        r = _acs(browser, sso_org, _respond(sso_org, "ann@example.com", None))
        assert r.status_code == 303 and r.headers["location"] == "/me"
        assert "Front door" in browser.get("/me").text


def test_an_owner_signs_in_by_sso_sp_and_idp_initiated(server: LiveServer,
                                                       sso_org: SsoOrg) -> None:
    with sso_org.browser(server) as browser:
        request_id = _start(browser, sso_org, "owner")
        r = _acs(browser, sso_org, _respond(sso_org, sso_org.owner_email.upper(), request_id))
        assert r.status_code == 303 and r.headers["location"] == "/admin/sso-scim"
        assert browser.get("/admin/sso-scim").status_code == 200
    with sso_org.browser(server) as browser:
        r = _acs(browser, sso_org, _respond(sso_org, sso_org.owner_email, None), "owner")
        assert r.status_code == 303 and browser.get("/admin/sso-scim").status_code == 200
    with sso_org.browser(server) as browser:  # a member is not an owner
        request_id = _start(browser, sso_org, "owner")
        r = _acs(browser, sso_org, _respond(sso_org, "ann@example.com", request_id))
        assert r.status_code == 403 and "not an owner" in r.text


def test_deactivation_ends_the_members_session_on_the_next_request(
        server: LiveServer, sso_org: SsoOrg) -> None:
    ann = sso_org.users["ann@example.com"]
    with sso_org.browser(server) as browser:
        _acs(browser, sso_org, _respond(sso_org, "ann@example.com", None))
        assert browser.get("/me").status_code == 200
        sso_org.scim.patch(f"/Users/{ann}", json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": False}]})
        gone = browser.get("/me")
        assert gone.status_code == 401 and "deactivated" in gone.text
        sso_org.scim.patch(f"/Users/{ann}", json={
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": True}]})
        assert "Sign in to see your doors" in browser.get("/me").text  # the session is gone
        request_id = _start(browser, sso_org)
        again = _acs(browser, sso_org, _respond(sso_org, "ann@example.com", request_id))
        assert again.status_code == 303  # reactivated: may sign in again


def test_test_sso_verifies_the_connection_then_scim_can_be_enabled(
        db: Database, server: LiveServer) -> None:
    org = _setup(db, server, verified=False)
    Organizations(db).disable_scim(org.slug)
    with org.browser(server) as browser:
        login = browser.get("/admin/login")
        browser.post("/admin/login", data={"email": org.owner_email, "password": PASSWORD,
                                           "csrf": csrf_of(login.text)})
        page = browser.get("/admin/sso-scim")
        assert "Saved, not verified" in page.text and 'id="test-sso"' in page.text
        refused = browser.post("/admin/scim", data={"enabled": "on", "csrf": csrf_of(page.text)})
        assert refused.status_code == 400 and "SSO verified" in refused.text
        member_start = browser.get(f"/saml/{org.slug}/login")
        assert member_start.status_code == 400 and "not verified" in member_start.text
        started = browser.post("/admin/sso/test", data={"csrf": csrf_of(page.text)})
        assert started.status_code == 303
        request_id = org.idp.request_id(started.headers["location"])
        r = _acs(browser, org, _respond(org, "ann@example.com", request_id))
        assert r.status_code == 303 and r.headers["location"].startswith("/admin/sso/test/")
        result = browser.get(r.headers["location"])
        assert "Passed" in result.text and "emailaddress" in result.text
        assert "yes: ann@example.com" in result.text
        page = browser.get("/admin/sso-scim")
        assert "SSO verified" in page.text
        enabled = browser.post("/admin/scim", data={"enabled": "on", "csrf": csrf_of(page.text)})
        assert enabled.status_code == 200 and "SCIM is enabled" in enabled.text
        other = httpx.get(f"{server.url}{r.headers['location']}")  # not the owner's session
        assert other.status_code in (303, 404)
    org.scim.close()


def test_generate_certificate_replaces_the_key_pair(db: Database, server: LiveServer,
                                                    sso_org: SsoOrg) -> None:
    before = httpx.get(sso_org.endpoints.metadata_url).text
    with sso_org.browser(server) as browser:
        login = browser.get("/admin/login")
        browser.post("/admin/login", data={"email": sso_org.owner_email, "password": PASSWORD,
                                           "csrf": csrf_of(login.text)})
        page = browser.get("/admin/sso-scim")
        r = browser.post("/admin/sso/certificate", data={"csrf": csrf_of(page.text)})
        assert r.status_code == 200 and "new certificate" in r.text
        assert browser.post("/admin/sso/certificate", data={"csrf": "x"}).status_code == 403
    after = httpx.get(sso_org.endpoints.metadata_url).text
    assert after != before and "PRIVATE" not in after


def test_a_failed_test_sso_shows_the_reason_to_the_owner(db: Database,
                                                         server: LiveServer) -> None:
    org = _setup(db, server, verified=False)
    with org.browser(server) as browser:
        login = browser.get("/admin/login")
        browser.post("/admin/login", data={"email": org.owner_email, "password": PASSWORD,
                                           "csrf": csrf_of(login.text)})
        page = browser.get("/admin/sso-scim")
        started = browser.post("/admin/sso/test", data={"csrf": csrf_of(page.text)})
        request_id = org.idp.request_id(started.headers["location"])
        wrong = forge(org.forged(in_response_to=request_id,
                                 audience="https://elsewhere.example/"), org.idp.keys)
        r = _acs(browser, org, wrong)
        assert r.status_code == 403
        link = re.search(r'href="(/admin/sso/test/[^"]+)"', r.text)
        assert link is not None
        result = browser.get(link.group(1))
        assert "Failed" in result.text and "udience" in result.text
    assert not Organizations(db).get(org.slug).sso_configured
    org.scim.close()


OTHER_KEYS = KeyPair.new("an attacker")


def _catalog() -> dict[str, Callable[[SsoOrg, str], str]]:
    """Each forged response, made against a fresh AuthnRequest id."""
    def sha1(o: SsoOrg, rid: str) -> str:
        return forge(o.forged(in_response_to=rid, algorithm="sha1"), o.idp.keys)

    def wrapped(o: SsoOrg, rid: str) -> str:
        evil = decoded(forge(o.forged(email="victim@example.com"), None))
        inner = evil[evil.index("<saml:Assertion"):evil.index("</saml:Assertion>") + 17]
        return forge(o.forged(in_response_to=rid, extra_assertion=inner), o.idp.keys)

    def tampered(o: SsoOrg, rid: str) -> str:
        good = decoded(forge(o.forged(in_response_to=rid, email="ann@example.com"),
                             o.idp.keys))
        return encoded(good.replace("ann@example.com", "bob@example.com"))

    return {
        "unsigned": lambda o, rid: forge(o.forged(in_response_to=rid), None),
        "signed by another key": lambda o, rid: forge(o.forged(in_response_to=rid), OTHER_KEYS),
        "wrapped: a second, unsigned assertion": wrapped,
        "tampered after signing": tampered,
        "expired": lambda o, rid: forge(o.forged(in_response_to=rid, not_before_s=-900,
                                                 not_on_or_after_s=-600), o.idp.keys),
        "not yet valid": lambda o, rid: forge(o.forged(in_response_to=rid, not_before_s=600,
                                                       not_on_or_after_s=900), o.idp.keys),
        "wrong audience": lambda o, rid: forge(
            o.forged(in_response_to=rid, audience="https://other.example/metadata"),
            o.idp.keys),
        "wrong recipient": lambda o, rid: forge(
            o.forged(in_response_to=rid, recipient="https://other.example/acs",
                     destination=o.endpoints.acs_url), o.idp.keys),
        "wrong destination": lambda o, rid: forge(
            o.forged(in_response_to=rid, destination="https://other.example/acs"), o.idp.keys),
        "wrong issuer": lambda o, rid: forge(
            o.forged(in_response_to=rid, issuer="https://evil.example/"), o.idp.keys),
        "wrong InResponseTo": lambda o, rid: forge(o.forged(in_response_to=f"id-{rid}x"),
                                                   o.idp.keys),
        "SHA-1": sha1,
        "comment inside NameID": lambda o, rid: forge(o.forged(
            in_response_to=rid, name_id_xml="bob@example.com<!---->.evil.example"),
            o.idp.keys),
        "entity expansion": lambda o, rid: forge(o.forged(
            in_response_to=rid, prolog='<!DOCTYPE r [<!ENTITY e "ann@example.com">]>'),
            o.idp.keys),
        "a deactivated user": lambda o, rid: forge(o.forged(in_response_to=rid,
                                                            email="bob@example.com"),
                                                   o.idp.keys),
        "a user nobody provisioned": lambda o, rid: forge(
            o.forged(in_response_to=rid, email="stranger@example.com"), o.idp.keys),
    }


@pytest.mark.parametrize("name", list(_catalog()))
def test_every_forged_response_is_refused(db: Database, server: LiveServer,
                                          sso_org: SsoOrg, name: str) -> None:
    with sso_org.browser(server) as browser:
        rid = _start(browser, sso_org)
        r = _acs(browser, sso_org, _catalog()[name](sso_org, rid))
        assert r.status_code == 403, (name, r.text[:300])
        assert "doorpost_member" not in r.headers.get("set-cookie", "")
        assert browser.get("/me").text.count("Sign in to see your doors") == 1
    refusals = [a for a in recent_activity(db, sso_org.slug, 20) if a.resource_type == "SSO"]
    assert refusals and refusals[0].status == 403 and refusals[0].error


def test_the_control_forged_response_is_accepted(server: LiveServer, sso_org: SsoOrg) -> None:
    """The catalog's template is sound: with every field right it signs Ann in, so each
    refusal above is the one wrong field's doing."""
    with sso_org.browser(server) as browser:
        rid = _start(browser, sso_org)
        r = _acs(browser, sso_org, forge(sso_org.forged(in_response_to=rid), sso_org.idp.keys))
        assert r.status_code == 303 and r.headers["location"] == "/me", r.text[:500]


def test_a_replayed_response_is_refused(server: LiveServer, sso_org: SsoOrg) -> None:
    response = _respond(sso_org, "ann@example.com", None)
    with sso_org.browser(server) as browser:
        assert _acs(browser, sso_org, response).status_code == 303
    with sso_org.browser(server) as browser:
        again = _acs(browser, sso_org, response)
        assert again.status_code == 403 and "already used" in again.text


def test_an_answer_to_a_request_is_accepted_once(server: LiveServer, sso_org: SsoOrg) -> None:
    with sso_org.browser(server) as browser:
        rid = _start(browser, sso_org)
        assert _acs(browser, sso_org, _respond(sso_org, "ann@example.com", rid)
                    ).status_code == 303
        second = _acs(browser, sso_org, _respond(sso_org, "ann@example.com", rid))
        assert second.status_code == 403


def test_another_organizations_identity_provider_and_users_are_refused(
        db: Database, server: LiveServer, sso_org: SsoOrg) -> None:
    other = _setup(db, server)
    with sso_org.browser(server) as browser:  # B's IdP, B's key, to A's ACS
        forged = forge(other.forged(audience=sso_org.endpoints.entity_id,
                                    recipient=sso_org.endpoints.acs_url), other.idp.keys)
        assert _acs(browser, sso_org, forged).status_code == 403
    only_b = other.scim.post("/Users", json=user_body("only-b@example.com")).json()
    assert only_b["id"]
    with sso_org.browser(server) as browser:  # A's IdP names a user only B has
        r = _acs(browser, sso_org, _respond(sso_org, "only-b@example.com", None))
        assert r.status_code == 403
    other.scim.close()


def test_bad_input_to_the_acs_never_answers_5xx(server: LiveServer, sso_org: SsoOrg) -> None:
    with sso_org.browser(server) as browser:
        huge = browser.post(f"/saml/{sso_org.slug}/acs", content=b"SAMLResponse=" + b"A" * 600_000,
                            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert huge.status_code == 413
        for junk in ("", "not base64!", encoded("<x/>"), encoded("<" * 10_000), "A" * 300_000,
                     encoded("\x00"), encoded('<?xml version="1.0"?><samlp:Response '
                                             'xmlns:samlp="urn:oasis:names:tc:SAML:2.0:'
                                             'protocol"/>')):
            r = _acs(browser, sso_org, junk)
            assert r.status_code in (400, 403), (junk[:30], r.status_code)
        assert browser.post("/saml/nope/acs", data={"SAMLResponse": "x"}).status_code == 404
        assert browser.get("/saml/%00/login").status_code in (400, 404)
        for odd in ("//evil.example", "a/../b", "ünï", "x" * 100):
            r = browser.get("/me/sign-in", params={"org": odd})
            assert r.status_code == 400 and "location" not in r.headers
            r = browser.get("/admin/login/sso", params={"org": odd})
            assert r.status_code == 400 and "location" not in r.headers


def test_sign_ins_and_refusals_read_in_the_console_activity(server: LiveServer,
                                                            sso_org: SsoOrg) -> None:
    with sso_org.browser(server) as browser:
        _acs(browser, sso_org, _respond(sso_org, "ann@example.com", None))
        _acs(browser, sso_org, _respond(sso_org, "stranger@example.com", None))
    with sso_org.browser(server) as browser:
        login = browser.get("/admin/login")
        browser.post("/admin/login", data={"email": sso_org.owner_email, "password": PASSWORD,
                                           "csrf": csrf_of(login.text)})
        page = browser.get("/admin/activity")
        assert page.status_code == 200 and f"/saml/{sso_org.slug}/acs" in page.text
        rows = re.findall(r'href="(/admin/activity/[0-9a-f]{32})"', page.text)
        assert rows
        details = [browser.get(href) for href in rows[:2]]
        assert all(d.status_code == 200 for d in details)
        assert any("matches no provisioned user" in d.text for d in details)


def test_a_deleted_member_is_signed_out(server: LiveServer, sso_org: SsoOrg) -> None:
    with sso_org.browser(server) as browser:
        _acs(browser, sso_org, _respond(sso_org, "ann@example.com", None))
        assert browser.get("/me").status_code == 200
        assert sso_org.scim.delete(f"/Users/{sso_org.users['ann@example.com']}"
                                   ).status_code == 204
        gone = browser.get("/me")
        assert gone.status_code == 401 and "no longer exists" in gone.text
