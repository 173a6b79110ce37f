"""A SAML identity provider for the tests, with its own key and certificate.

Two ways to answer, both with real XML signatures by xmlsec1:
- `PysamlIdp`: pysaml2's identity-provider role, as an identity provider would run it
  (signed assertions or responses, encrypted assertions with the SP's certificate);
- `forge`: a response from a template where every field can be set wrong on purpose, signed
  with any key and algorithm by the `xmlsec1` command, for the catalog of forged responses.
"""

from __future__ import annotations

import base64
import datetime
import os
import subprocess
import tempfile
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlparse

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.sigver import get_xmlsec_binary

from doorpost.service.saml import new_keys

XMLSEC = get_xmlsec_binary(["/usr/bin", "/usr/local/bin"])
PASSWORD_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
EMAIL_CLAIM = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"


@dataclass
class KeyPair:
    key_file: str
    cert_file: str
    cert_pem: str

    @classmethod
    def new(cls, label: str) -> KeyPair:
        keys = new_keys(label)
        folder = tempfile.mkdtemp(prefix="test-idp-")
        key_file, cert_file = f"{folder}/key.pem", f"{folder}/cert.pem"
        with open(key_file, "w") as f:
            f.write(keys.key_pem)
        with open(cert_file, "w") as f:
            f.write(keys.cert_pem)
        return cls(key_file, cert_file, keys.cert_pem)

    @property
    def cert_b64(self) -> str:
        return "".join(l for l in self.cert_pem.splitlines() if "CERTIFICATE" not in l)


class PysamlIdp:
    """pysaml2's IdP, configured with Doorpost's SP metadata."""

    def __init__(self, entity_id: str, sso_url: str, sp_metadata: str,
                 keys: KeyPair | None = None) -> None:
        self.keys = keys or KeyPair.new("test idp")
        self.entity_id = entity_id
        self.sso_url = sso_url
        conf = {"entityid": entity_id, "xmlsec_binary": XMLSEC,
                "key_file": self.keys.key_file, "cert_file": self.keys.cert_file,
                "service": {"idp": {
                    "endpoints": {"single_sign_on_service": [
                        (sso_url, BINDING_HTTP_REDIRECT), (sso_url, BINDING_HTTP_POST)]},
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS]}}}
        bare = IdPConfig()
        bare.load(dict(conf))
        self.metadata = str(entity_descriptor(bare))
        config = IdPConfig()
        config.load({**conf, "metadata": {"inline": [sp_metadata]}})
        self.server = Server(config=config)

    def request_id(self, location: str) -> str:
        """The AuthnRequest id in a redirect-binding URL (what InResponseTo must name)."""
        query = parse_qs(urlparse(location).query)
        request = self.server.parse_authn_request(query["SAMLRequest"][0],
                                                  BINDING_HTTP_REDIRECT)
        return str(request.message.id)

    def respond(self, sp_entity_id: str, acs_url: str, email: str, *,
                in_response_to: str | None = None, encrypt: bool = False,
                sign_response: bool = False, sign_assertion: bool = True,
                sp_cert_pem: str | None = None, attributes: dict[str, list[str]] | None = None
                ) -> str:
        ava = attributes if attributes is not None else {
            EMAIL_CLAIM: [email], "givenName": ["Ann"], "surname": ["Example"]}
        response = self.server.create_authn_response(
            ava, in_response_to=in_response_to, destination=acs_url,
            sp_entity_id=sp_entity_id,
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": PASSWORD_CLASS}, sign_assertion=sign_assertion,
            sign_response=sign_response, encrypt_assertion=encrypt,
            encrypt_cert_assertion=sp_cert_pem if encrypt else None,
            sign_alg=SIG_ALGS["sha256"][0], digest_alg=SIG_ALGS["sha256"][1])
        return base64.b64encode(str(response).encode()).decode()


def _instant(delta_s: float = 0) -> str:
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=delta_s)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


SIG_ALGS = {"sha256": ("http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
                       "http://www.w3.org/2001/04/xmlenc#sha256"),
            "sha1": ("http://www.w3.org/2000/09/xmldsig#rsa-sha1",
                     "http://www.w3.org/2000/09/xmldsig#sha1")}


@dataclass
class Forged:
    """Every field of a response, right by default; tests set one wrong."""

    issuer: str
    audience: str
    recipient: str
    email: str
    in_response_to: str | None = None
    destination: str | None = None  # defaults to the recipient
    not_before_s: float = -60
    not_on_or_after_s: float = 300
    assertion_id: str = field(default_factory=lambda: f"_a{uuid.uuid4().hex}")
    name_id_xml: str | None = None  # raw NameID content (for comment attacks)
    algorithm: str = "sha256"
    extra_assertion: str = ""  # XML placed after the signed assertion (wrapping)
    prolog: str = ""  # before the root (DTDs)


def forge(f: Forged, keys: KeyPair | None) -> str:
    """A SAML Response, its assertion signed with `keys` (unsigned when None)."""
    irt = f' InResponseTo="{f.in_response_to}"' if f.in_response_to else ""
    sig_alg, digest_alg = SIG_ALGS[f.algorithm]
    signature = "" if keys is None else f"""<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#"><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/><ds:SignatureMethod Algorithm="{sig_alg}"/><ds:Reference URI="#{f.assertion_id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms><ds:DigestMethod Algorithm="{digest_alg}"/><ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{keys.cert_b64}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></ds:Signature>"""
    name_id = f.name_id_xml if f.name_id_xml is not None else f.email
    assertion = f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{f.assertion_id}" Version="2.0" IssueInstant="{_instant()}"><saml:Issuer>{f.issuer}</saml:Issuer>{signature}<saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{name_id}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData NotOnOrAfter="{_instant(f.not_on_or_after_s)}" Recipient="{f.recipient}"{irt}/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{_instant(f.not_before_s)}" NotOnOrAfter="{_instant(f.not_on_or_after_s)}"><saml:AudienceRestriction><saml:Audience>{f.audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{_instant()}" SessionIndex="{f.assertion_id}"><saml:AuthnContext><saml:AuthnContextClassRef>{PASSWORD_CLASS}</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement><saml:AttributeStatement><saml:Attribute Name="{EMAIL_CLAIM}"><saml:AttributeValue>{f.email}</saml:AttributeValue></saml:Attribute></saml:AttributeStatement></saml:Assertion>"""
    response = f"""{f.prolog}<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_instant()}" Destination="{f.destination or f.recipient}"{irt}><saml:Issuer>{f.issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>{assertion}{f.extra_assertion}</samlp:Response>"""
    if keys is not None:
        response = sign(response, keys)
    return base64.b64encode(response.encode()).decode()


def sign(xml: str, keys: KeyPair) -> str:
    folder = tempfile.mkdtemp(prefix="forge-")
    source, out = os.path.join(folder, "in.xml"), os.path.join(folder, "out.xml")
    with open(source, "w") as f:
        f.write(xml)
    subprocess.run([XMLSEC, "--sign", "--privkey-pem", f"{keys.key_file},{keys.cert_file}",
                    "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion",
                    "--output", out, source], check=True, capture_output=True)
    with open(out) as f:
        return f.read()


def decoded(b64: str) -> str:
    return base64.b64decode(b64).decode()


def encoded(xml: str) -> str:
    return base64.b64encode(xml.encode()).decode()


def form_of(html: str) -> dict[str, Any]:
    """The hidden fields of an auto-posting form (for the POST binding)."""
    import re
    return dict(re.findall(r'name="([^"]+)" value="([^"]*)"', html))


class IdpWebsite:
    """The identity provider as a browser meets it: `GET /sso` takes an AuthnRequest
    (redirect binding), "signs in" whoever `user` names, and answers with a page that posts
    the signed response to the ACS, as Entra's does."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.idp: PysamlIdp | None = None
        self.user = "ann@example.com"
        self.sp_entity_id = ""
        self.acs_url = ""

    def app(self) -> Any:
        from starlette.applications import Starlette
        from starlette.requests import Request
        from starlette.responses import HTMLResponse
        from starlette.routing import Route

        async def sso(request: Request) -> HTMLResponse:
            assert self.idp is not None
            rid = self.idp.request_id(str(request.url))
            response = self.idp.respond(self.sp_entity_id, self.acs_url, self.user,
                                        in_response_to=rid)
            relay = request.query_params.get("RelayState", "")
            return HTMLResponse(
                f'<!doctype html><title>Test IdP</title><form method="post" '
                f'action="{self.acs_url}"><input type="hidden" name="SAMLResponse" '
                f'value="{response}"><input type="hidden" name="RelayState" value="{relay}">'
                f'<button>Continue</button></form><script>document.forms[0].submit()</script>')
        return Starlette(routes=[Route("/sso", sso)])


def running(app: Any, port: int) -> Any:
    """Serve an ASGI app on 127.0.0.1:`port` in a thread, for the `with` block."""
    import contextlib
    import threading
    import time

    import uvicorn

    @contextlib.contextmanager
    def serve() -> Any:
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                               log_level="warning", lifespan="off"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        while not server.started:
            time.sleep(0.02)
        try:
            yield
        finally:
            server.should_exit = True
            thread.join(10)
    return serve()
