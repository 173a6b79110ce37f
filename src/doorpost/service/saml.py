"""SAML 2.0 sign-in: one service provider per organization, on pysaml2 with xmlsec1.

pysaml2 (maintained, and with an identity-provider role the tests use) verifies the XML
signature with the certificate from the saved IdP metadata, decrypts encrypted assertions
with the organization's own key pair, and checks issuer, audience, destination, recipient
and the validity window (`CLOCK_SKEW_S` either way). Doorpost adds what pysaml2 leaves open
or what must be shared by every worker, before and after it:
- before: the XML is parsed without DTDs or entities, must hold exactly one assertion, no
  comments anywhere, and only SHA-2 signature and digest algorithms (`screen`);
- after: InResponseTo must name an outstanding request of this organization (kept in the
  database), and an assertion id is accepted once (the replay cache, also in the database).
Who may then sign in is `sign_in.py`'s decision.
"""

from __future__ import annotations

import atexit
import base64
import binascii
import datetime
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from typing import Any
from xml.etree.ElementTree import Element, TreeBuilder

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.client import Saml2Client
from saml2.config import SPConfig
from saml2.metadata import entity_descriptor
from saml2.sigver import SigverError, get_xmlsec_binary

from doorpost.service.errors import AdminError
from doorpost.store.database import Database
from doorpost.service.clock import now_us
from doorpost.store.owners import OwnerStore, SsoConnection
from doorpost.store.saml import SamlStore, SpKeys

CLOCK_SKEW_S = 90  # documented in README: clocks of IdP and SP may differ this much
REQUEST_TTL_S = 600  # an AuthnRequest may be answered within ten minutes
MAX_RESPONSE_BYTES = 256 * 1024
SAMLP = "{urn:oasis:names:tc:SAML:2.0:protocol}"
SAML = "{urn:oasis:names:tc:SAML:2.0:assertion}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
SHA2_SIGNATURES = {
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
    "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
}
SHA2_DIGESTS = {
    "http://www.w3.org/2001/04/xmlenc#sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512",
}


class SsoRefused(AdminError):
    """A sign-in that is refused. `str()` is what the browser may see; `reason` is what the
    organization's activity records (which check failed, for the owner to fix)."""

    def __init__(self, public: str, reason: str) -> None:
        super().__init__(public)
        self.reason = reason
        self.request_id: str | None = None  # the AuthnRequest answered, when known


@dataclass(frozen=True)
class Endpoints:
    """The service provider's URLs for one organization (what goes into the IdP)."""

    entity_id: str
    acs_url: str
    sign_on_url: str
    metadata_url: str

    @classmethod
    def of(cls, base_url: str, slug: str) -> Endpoints:
        root = f"{base_url}/saml/{slug}"
        return cls(f"{root}/metadata", f"{root}/acs", f"{root}/login", f"{root}/metadata")


@dataclass(frozen=True)
class Assertion:
    """What a verified response says: who, with which attributes, in answer to what."""

    name_id: str
    attributes: dict[str, list[str]]
    in_response_to: str | None
    issuer: str


def new_keys(label: str) -> SpKeys:
    """An RSA-2048 key and a self-signed certificate (ten years) for one organization."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"Doorpost SAML {label}"[:64])])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=3650)).sign(key, hashes.SHA256()))
    return SpKeys(key.private_bytes(serialization.Encoding.PEM,
                                    serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode(),
                  cert.public_bytes(serialization.Encoding.PEM).decode(), now_us())


_key_dir: str | None = None  # made on first use, mode 0700, removed at exit
_files_lock = threading.Lock()


def _folder() -> str:
    """The private folder xmlsec1 reads this process's keys from (it takes files only)."""
    global _key_dir
    if _key_dir is None:
        _key_dir = tempfile.mkdtemp(prefix="doorpost-saml-")
        atexit.register(shutil.rmtree, _key_dir, True)
    return _key_dir


def _key_files(keys: SpKeys) -> tuple[str, str]:
    name = hashlib.sha256(keys.cert_pem.encode()).hexdigest()[:32]
    with _files_lock:
        folder = _folder()
        key_path, cert_path = (os.path.join(folder, f"{name}.{ext}") for ext in ("key", "crt"))
        if not os.path.exists(cert_path):
            fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(keys.key_pem)
            with open(cert_path, "w") as f:
                f.write(keys.cert_pem)
    return key_path, cert_path


def sp_config(endpoints: Endpoints, keys: SpKeys, idp_metadata: str | None) -> SPConfig:
    key_file, cert_file = _key_files(keys)
    try:
        xmlsec = get_xmlsec_binary(["/usr/bin", "/usr/local/bin"])
    except SigverError as exc:
        raise SsoRefused("Single sign-on is not available on this server; tell its "
                         "operator.", "xmlsec1 is not installed (apt-get install xmlsec1)"
                         ) from exc
    config = SPConfig()
    config.load({
        "entityid": endpoints.entity_id,
        "xmlsec_binary": xmlsec,
        "key_file": key_file, "cert_file": cert_file,
        "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}],
        "accepted_time_diff": CLOCK_SKEW_S,
        "allow_unknown_attributes": True,
        "metadata": {"inline": [idp_metadata]} if idp_metadata else {},
        "service": {"sp": {
            "endpoints": {"assertion_consumer_service": [(endpoints.acs_url,
                                                          BINDING_HTTP_POST)]},
            "allow_unsolicited": True,  # IdP-initiated; InResponseTo is checked by us
            "want_response_signed": False, "want_assertions_signed": False,
            "want_assertions_or_response_signed": True,
            "authn_requests_signed": False,
        }},
    })
    return config


def sp_metadata(endpoints: Endpoints, keys: SpKeys) -> str:
    descriptor = entity_descriptor(sp_config(endpoints, keys, None))
    descriptor.extensions = None  # pysaml2 lists every algorithm xmlsec1 has, SHA-1 too
    return str(descriptor)


def screen(xml: bytes) -> Element:
    """Refuse what no honest identity provider sends, before any signature is looked at."""
    builder = TreeBuilder(insert_comments=True)
    try:
        parser = ElementTree.DefusedXMLParser(target=builder, forbid_dtd=True)
        parser.feed(xml)
        root: Element = parser.close()
    except (DefusedXmlException, ElementTree.ParseError, ValueError) as exc:
        raise SsoRefused("The identity provider's answer could not be read.",
                         f"not acceptable XML ({type(exc).__name__})") from exc
    if root.tag != f"{SAMLP}Response":
        raise SsoRefused("The identity provider's answer could not be read.",
                         "the document is not a SAML Response")
    if any(not isinstance(e.tag, str) for e in root.iter()):
        raise SsoRefused("The identity provider's answer could not be accepted.",
                         "the response contains XML comments")
    assertions = [e for e in root.iter()
                  if e.tag in (f"{SAML}Assertion", f"{SAML}EncryptedAssertion")]
    if len(assertions) != 1:
        raise SsoRefused("The identity provider's answer could not be accepted.",
                         f"the response holds {len(assertions)} assertions, not one")
    for method in root.iter(f"{DS}SignatureMethod"):
        if method.get("Algorithm") not in SHA2_SIGNATURES:
            raise SsoRefused("The identity provider signs with an algorithm Doorpost does "
                             "not accept; ask your administrator to use RSA-SHA256.",
                             f"signature algorithm {method.get('Algorithm')} refused")
    for digest in root.iter(f"{DS}DigestMethod"):
        if digest.get("Algorithm") not in SHA2_DIGESTS:
            raise SsoRefused("The identity provider signs with an algorithm Doorpost does "
                             "not accept; ask your administrator to use SHA-256.",
                             f"digest algorithm {digest.get('Algorithm')} refused")
    return root


def decode_response(saml_response: str) -> bytes:
    if len(saml_response) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise SsoRefused("The identity provider's answer is too large.", "response too large")
    try:
        return base64.b64decode("".join(saml_response.split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise SsoRefused("The identity provider's answer could not be read.",
                         "SAMLResponse is not base64") from exc


class ServiceProvider:
    """Key pairs, AuthnRequests and the verification of responses, per organization."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def keys(self, org_id: int, label: str, *, renew: bool = False) -> SpKeys:
        """The organization's key pair, made on first use ("Generate certificate"). Every
        sign-in and metadata request reads it; only making one takes a write transaction."""
        if not renew:
            with self.db.single_read() as conn:
                found = SamlStore(conn, org_id).keys()
            if found is not None:
                return found
        fresh = new_keys(label)  # RSA generation, outside any transaction
        with self.db.write() as conn:
            store = SamlStore(conn, org_id)
            existing = None if renew else store.keys()  # another worker made one meanwhile
            if existing is not None:
                return existing
            store.save_keys(fresh)
            return fresh

    def connection(self, org_id: int) -> SsoConnection | None:
        with self.db.read() as conn:
            return OwnerStore(conn).sso(org_id)

    def _client(self, endpoints: Endpoints, org_id: int, label: str,
                connection: SsoConnection) -> Saml2Client:
        return Saml2Client(config=sp_config(endpoints, self.keys(org_id, label),
                                            connection.metadata_xml))

    def begin(self, org_id: int, label: str, endpoints: Endpoints, connection: SsoConnection,
              purpose: str, owner_id: str | None = None) -> tuple[str, dict[str, str] | None]:
        """An AuthnRequest for the IdP: (URL to redirect to, None), or (URL, form fields to
        POST) when the IdP takes only the POST binding. The request id is kept for
        InResponseTo; RelayState carries the purpose."""
        client = self._client(endpoints, org_id, label, connection)
        idp = connection.idp_entity_id
        for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
            try:
                destination = client.metadata.single_sign_on_service(idp, binding)[0]["location"]
            except (IndexError, KeyError, TypeError):
                continue
            request_id, request = client.create_authn_request(destination, binding=binding)
            at = now_us()
            with self.db.write() as conn:
                SamlStore(conn, org_id).add_request(request_id, purpose, owner_id, at,
                                                    at + REQUEST_TTL_S * 1_000_000)
            if binding == BINDING_HTTP_REDIRECT:
                info = client.apply_binding(binding, str(request), destination, purpose)
                return dict(info["headers"])["Location"], None
            encoded = base64.b64encode(str(request).encode()).decode()
            return destination, {"SAMLRequest": encoded, "RelayState": purpose}
        raise SsoRefused("The identity provider's metadata names no sign-in address.",
                         "no SingleSignOnService with the Redirect or POST binding")

    def verify(self, org_id: int, label: str, endpoints: Endpoints,
               connection: SsoConnection, saml_response: str) -> Assertion:
        """Every check a SAML consumer must make, or `SsoRefused` with the reason."""
        xml = decode_response(saml_response)
        root = screen(xml)
        in_response_to = root.get("InResponseTo")
        try:
            return self._verified(org_id, label, endpoints, connection, xml, in_response_to)
        except SsoRefused as refused:
            refused.request_id = in_response_to
            raise

    def _verified(self, org_id: int, label: str, endpoints: Endpoints,
                  connection: SsoConnection, xml: bytes, in_response_to: str | None
                  ) -> Assertion:
        outstanding: dict[str, str] = {}
        if in_response_to is not None:
            with self.db.read() as conn:
                pending = SamlStore(conn, org_id).request(in_response_to)
            if pending is None or pending.expires_us < now_us() or pending.result is not None:
                raise SsoRefused("This sign-in was not started here or has expired; "
                                 "please start again.",
                                 "InResponseTo names no outstanding request")
            outstanding[in_response_to] = pending.purpose
        client = self._client(endpoints, org_id, label, connection)
        try:
            response = client.parse_authn_request_response(
                base64.b64encode(xml).decode(), BINDING_HTTP_POST, outstanding,
                conv_info={"entity_id": endpoints.entity_id})
        except Exception as exc:  # noqa: BLE001 - pysaml2 raises many kinds; each refuses
            raise SsoRefused("The identity provider's answer could not be accepted.",
                             f"{type(exc).__name__}: {str(exc)[:300]}") from exc
        if response is None or response.assertion is None or response.name_id is None:
            raise SsoRefused("The identity provider's answer could not be accepted.",
                             "no verified assertion with a subject")
        recipients = [c.subject_confirmation_data.recipient
                      for c in response.assertion.subject.subject_confirmation
                      if c.subject_confirmation_data is not None]
        if not recipients or any(r != endpoints.acs_url for r in recipients):
            raise SsoRefused("The identity provider's answer could not be accepted.",
                             f"recipient {recipients!r} is not this organization's ACS URL")
        issuer = (response.assertion.issuer.text or "").strip() \
            if response.assertion.issuer is not None else ""
        if issuer != connection.idp_entity_id:
            raise SsoRefused("The identity provider's answer could not be accepted.",
                             f"issuer {issuer!r} is not the configured identity provider")
        expires = _not_on_or_after(response.assertion) or now_us() + 3600 * 1_000_000
        with self.db.write() as conn:
            if not SamlStore(conn, org_id).consume_assertion(str(response.assertion.id),
                                                             expires + CLOCK_SKEW_S * 10**6,
                                                             now_us()):
                raise SsoRefused("This sign-in was already used; please start again.",
                                 f"assertion {response.assertion.id} replayed")
        attributes = {str(k): [str(v) for v in vs] for k, vs in (response.ava or {}).items()}
        return Assertion((response.name_id.text or "").strip(), attributes, in_response_to,
                         issuer)


def _not_on_or_after(assertion: Any) -> int | None:
    conditions = getattr(assertion, "conditions", None)
    text = getattr(conditions, "not_on_or_after", None) if conditions is not None else None
    if not text:
        return None
    try:
        when = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return int(when.timestamp() * 1_000_000)


def email_candidates(assertion: Assertion) -> list[str]:
    """NameID first, then every email attribute (Entra's `…/claims/emailaddress`, `Email`,
    `mail`), in the order sent."""
    out = [assertion.name_id]
    for name, values in assertion.attributes.items():
        last = name.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1].lower()
        if last in ("emailaddress", "email", "mail"):
            out += values
    return [v for v in dict.fromkeys(v.strip() for v in out) if v]
