"""SSO setup: the identity provider's SAML 2.0 metadata, validated on save.

Saving metadata does not make SSO *verified*: only a passing Test SSO does
(`sign_in.SsoSignIn`), and SCIM needs a verified connection. Replacing the metadata of a
verified organization marks the connection as changed since its test, but SCIM keeps
serving: stopping provisioning would also stop deprovisioning, which must never wait.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from xml.etree.ElementTree import Element

import httpx
from defusedxml import ElementTree
from defusedxml.common import DefusedXmlException

from doorpost.service.errors import AdminError, NotFoundError, NotPermittedError
from doorpost.service.saml import Endpoints
from doorpost.store.database import Database
from doorpost.service.clock import now_us
from doorpost.store.orgs import OrgStore
from doorpost.store.owners import OwnerStore, SsoConnection

MD = "{urn:oasis:names:tc:SAML:2.0:metadata}"
DS = "{http://www.w3.org/2000/09/xmldsig#}"
MAX_METADATA_BYTES = 512 * 1024


class InvalidMetadata(AdminError):
    """The metadata is not usable SAML 2.0 identity-provider metadata; says why."""


@dataclass(frozen=True)
class IdpMetadata:
    entity_id: str
    sso_url: str
    certificate: str


def sp_values(public_url: str, slug: str) -> dict[str, str]:
    """What the owner pastes into the identity provider (`saml.Endpoints`, the one source)."""
    e = Endpoints.of(public_url, slug)
    return {"entity_id": e.entity_id, "acs_url": e.acs_url, "sign_on_url": e.sign_on_url,
            "metadata_url": e.metadata_url}


def parse_metadata(xml: str) -> IdpMetadata:
    """Validate IdP metadata: an EntityDescriptor with an entityID, an IDPSSODescriptor with a
    SingleSignOnService location, and a signing certificate."""
    if len(xml.encode()) > MAX_METADATA_BYTES:
        raise InvalidMetadata("The metadata is larger than 512 KiB.")
    try:
        root: Element = ElementTree.fromstring(xml)
    except (ElementTree.ParseError, DefusedXmlException, ValueError) as exc:
        raise InvalidMetadata(f"The metadata is not well-formed XML ({exc}).") from exc
    entity = root if root.tag == f"{MD}EntityDescriptor" else root.find(f".//{MD}EntityDescriptor")
    if entity is None:
        raise InvalidMetadata("No SAML 2.0 EntityDescriptor found.")
    entity_id = (entity.get("entityID") or "").strip()
    if not entity_id:
        raise InvalidMetadata("The EntityDescriptor has no entityID.")
    idp = entity.find(f"{MD}IDPSSODescriptor")
    if idp is None:
        raise InvalidMetadata("This is not identity-provider metadata (no IDPSSODescriptor).")
    services = idp.findall(f"{MD}SingleSignOnService")
    locations = [s.get("Location", "").strip() for s in services]
    locations = [loc for loc in locations if loc.startswith(("https://", "http://"))]
    if not locations:
        raise InvalidMetadata("No SingleSignOnService with a Location URL.")
    certs = [c.text.strip() for c in idp.iter(f"{DS}X509Certificate") if c.text and c.text.strip()]
    if not certs:
        raise InvalidMetadata("No signing certificate (X509Certificate) in the metadata.")
    try:
        base64.b64decode("".join(certs[0].split()), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidMetadata("The X509Certificate is not base64.") from exc
    return IdpMetadata(entity_id, locations[0], "".join(certs[0].split()))


def fetch_metadata(url: str) -> str:
    if not url.startswith("https://") and not url.startswith("http://"):
        raise InvalidMetadata("The metadata URL must start with https://.")
    try:
        with httpx.stream("GET", url, timeout=10, follow_redirects=True) as r:
            r.raise_for_status()
            data = b""
            for chunk in r.iter_bytes():
                data += chunk
                if len(data) > MAX_METADATA_BYTES:
                    raise InvalidMetadata("The metadata is larger than 512 KiB.")
    except httpx.HTTPError as exc:
        raise InvalidMetadata(f"Could not fetch the metadata: {exc}.") from exc
    return data.decode("utf-8", "replace")


class Sso:
    def __init__(self, db: Database) -> None:
        self.db = db

    def get(self, org_id: int) -> SsoConnection | None:
        with self.db.read() as conn:
            return OwnerStore(conn).sso(org_id)

    def save(self, org_id: int, *, xml: str | None = None, url: str | None = None
             ) -> SsoConnection:
        """Validate and save; the organization then counts as having SSO configured."""
        url = (url or "").strip() or None
        xml = (xml or "").strip() or None
        if xml is None and url is None:
            raise InvalidMetadata("Paste the metadata XML or give its URL.")
        if xml is None:
            assert url is not None
            xml = fetch_metadata(url)
        meta = parse_metadata(xml)
        with self.db.write() as conn:
            org = OrgStore(conn).by_id(org_id)
            if org is None:
                raise NotFoundError("No such organization.")
            if not org.licensed:
                raise NotPermittedError("SSO needs the Organization license.")
            old = OwnerStore(conn).sso(org_id)
            same = old is not None and old.metadata_xml == xml
            row = SsoConnection(org_id, url, xml, meta.entity_id, meta.sso_url,
                                meta.certificate, now_us(),
                                old.verified_us if same and old else None,
                                old.verified_detail if same and old else None)
            OwnerStore(conn).save_sso(row)
        return row

    def remove(self, org_id: int) -> bool:
        """Forget the connection: SSO is then neither set up nor verified (SCIM stops)."""
        with self.db.write() as conn:
            removed = OwnerStore(conn).remove_sso(org_id)
            OrgStore(conn).set_flags(org_id, sso_configured=False)
        return removed
