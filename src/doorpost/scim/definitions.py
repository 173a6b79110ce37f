"""The RFC 7643 schemas Doorpost serves, as data: User (§4.1), Group (§4.2), EnterpriseUser (§4.3).

Attribute characteristics follow RFC 7643 §8.7.1. The common attributes (`id`, `externalId`,
`meta`, §3.1) are defined once and shared by every resource type; `/Schemas` does not list them.
"""

from __future__ import annotations

from doorpost.scim.schema import (
    BINARY,
    BOOLEAN,
    COMPLEX,
    DATETIME,
    REFERENCE,
    Relation,
    ResourceType,
    Schema,
    STRING,
    Attribute,
)

USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
COMMON_URN = "urn:ietf:params:scim:schemas:common"  # internal only, never advertised
# Values the database indexes are limited so that an index entry always fits (PostgreSQL's
# B-tree entries are capped at ~2.7 KB; 512 characters are at most 2 KB of UTF-8).
INDEXED = 512


def _multi(name: str, description: str, *, value_type: str = STRING,
           canonical: tuple[str, ...] = (), ref_types: tuple[str, ...] = (),
           max_length: int | None = None) -> Attribute:
    """The usual multi-valued shape: value, display, type, primary (RFC 7643 §2.4)."""
    return Attribute(
        name, COMPLEX, multi_valued=True, description=description,
        sub_attributes=(
            Attribute("value", value_type, description=f"The {name} value.",
                      reference_types=ref_types, max_length=max_length),
            Attribute("display", description="A human-readable name, primarily used for display."),
            Attribute("type", description="A label indicating the attribute's function.",
                      canonical_values=canonical),
            Attribute("primary", BOOLEAN,
                      description="Whether this is the primary or preferred value."),
        ),
    )


COMMON = Schema(
    COMMON_URN, "Common", "Attributes every resource has (RFC 7643 §3.1).",
    (
        Attribute("id", case_exact=True, mutability="readOnly", returned="always",
                  uniqueness="server", description="Unique identifier assigned by the server."),
        Attribute("externalId", case_exact=True, max_length=INDEXED,
                  description="Identifier of the resource as defined by the client."),
        Attribute("meta", COMPLEX, mutability="readOnly", description="Resource metadata.",
                  sub_attributes=(
                      Attribute("resourceType", case_exact=True, mutability="readOnly"),
                      Attribute("created", DATETIME, mutability="readOnly"),
                      Attribute("lastModified", DATETIME, mutability="readOnly"),
                      Attribute("location", REFERENCE, case_exact=True, mutability="readOnly",
                                reference_types=("uri",)),
                      Attribute("version", case_exact=True, mutability="readOnly"),
                  )),
    ),
)

USER = Schema(
    USER_URN, "User", "User Account",
    (
        Attribute("userName", required=True, uniqueness="server", max_length=INDEXED,
                  description="Unique identifier for the User, used to authenticate."),
        Attribute("name", COMPLEX, description="The components of the user's real name.",
                  sub_attributes=(
                      Attribute("formatted", description="The full name, formatted for display."),
                      Attribute("familyName", description="The family name of the User."),
                      Attribute("givenName", description="The given name of the User."),
                      Attribute("middleName", description="The middle name(s) of the User."),
                      Attribute("honorificPrefix", description="Honorific prefix, e.g. 'Ms.'."),
                      Attribute("honorificSuffix", description="Honorific suffix, e.g. 'III'."),
                  )),
        Attribute("displayName", description="The name of the User, suitable for display."),
        Attribute("nickName", description="The casual way to address the user."),
        Attribute("profileUrl", REFERENCE, reference_types=("external",),
                  description="A URI to the User's online profile."),
        Attribute("title", description="The user's title, such as 'Vice President'."),
        Attribute("userType", description="The relationship to the organization, e.g. 'Employee'."),
        Attribute("preferredLanguage", description="Preferred language, e.g. 'en-US'."),
        Attribute("locale", description="Default location for localizing, e.g. 'en-US'."),
        Attribute("timezone", description="Time zone in 'Olson' format, e.g. 'Europe/Berlin'."),
        Attribute("active", BOOLEAN, description="The User's administrative status. Inactive "
                  "users keep their record and groups but open no door."),
        Attribute("password", mutability="writeOnly", returned="never",
                  description="The User's cleartext password; stored only as a digest."),
        _multi("emails", "Email addresses for the user.", canonical=("work", "home", "other"),
               max_length=INDEXED),
        _multi("phoneNumbers", "Phone numbers for the User.",
               canonical=("work", "home", "mobile", "fax", "pager", "other")),
        _multi("ims", "Instant messaging addresses for the User."),
        _multi("photos", "URLs of photos of the User.", value_type=REFERENCE,
               canonical=("photo", "thumbnail"), ref_types=("external",)),
        Attribute("addresses", COMPLEX, multi_valued=True, description="A physical mailing address.",
                  sub_attributes=(
                      Attribute("formatted", description="The full mailing address."),
                      Attribute("streetAddress", description="The full street address."),
                      Attribute("locality", description="The city or locality."),
                      Attribute("region", description="The state or region."),
                      Attribute("postalCode", description="The zip code or postal code."),
                      Attribute("country", description="The country name (ISO 3166-1 alpha-2)."),
                      Attribute("type", description="A label for the address.",
                                canonical_values=("work", "home", "other")),
                      Attribute("primary", BOOLEAN, description="The primary address."),
                  )),
        Attribute("groups", COMPLEX, multi_valued=True, mutability="readOnly",
                  description="Groups the user belongs to; changed through the Group resource.",
                  sub_attributes=(
                      Attribute("value", mutability="readOnly", case_exact=True,
                                description="The group's id."),
                      Attribute("$ref", REFERENCE, mutability="readOnly",
                                reference_types=("User", "Group"), description="The group's URI."),
                      Attribute("display", mutability="readOnly",
                                description="The group's displayName."),
                      Attribute("type", mutability="readOnly", canonical_values=("direct",),
                                description="'direct': Doorpost has no nested groups."),
                  )),
        _multi("entitlements", "A list of entitlements for the User."),
        _multi("roles", "A list of roles for the User."),
        _multi("x509Certificates", "A list of certificates issued to the User.", value_type=BINARY),
    ),
)

ENTERPRISE_USER = Schema(
    ENTERPRISE_URN, "EnterpriseUser", "Enterprise User",
    (
        Attribute("employeeNumber", description="Identifier assigned by the organization."),
        Attribute("costCenter", description="Identifies the name of a cost center."),
        Attribute("organization", description="Identifies the name of an organization."),
        Attribute("division", description="Identifies the name of a division."),
        Attribute("department", description="Identifies the name of a department."),
        Attribute("manager", COMPLEX, description="The User's manager.",
                  sub_attributes=(
                      Attribute("value", case_exact=True,
                                description="The id of the manager's User resource."),
                      Attribute("$ref", REFERENCE, reference_types=("User",),
                                description="The URI of the manager's User resource."),
                      Attribute("displayName", mutability="readOnly",
                                description="The displayName of the manager."),
                  )),
    ),
)

GROUP = Schema(
    GROUP_URN, "Group", "Group",
    (
        Attribute("displayName", required=True, uniqueness="server", max_length=INDEXED,
                  description="A human-readable name for the Group; unique per organization."),
        Attribute("members", COMPLEX, multi_valued=True, description="A list of members.",
                  sub_attributes=(
                      Attribute("value", mutability="immutable", case_exact=True,
                                description="The id of a User of the same organization."),
                      Attribute("$ref", REFERENCE, mutability="immutable",
                                reference_types=("User",), description="The URI of the member."),
                      Attribute("type", mutability="immutable", canonical_values=("User",),
                                description="Always 'User': members are users."),
                      Attribute("display", mutability="readOnly",
                                description="The member's displayName (else userName), "
                                            "read from the member: a value sent is ignored."),
                  )),
    ),
)

USER_TYPE = ResourceType(
    "User", "Users", "User Account", USER, (ENTERPRISE_USER,), COMMON,
    relation=Relation("groups", "Groups", "direct", writable=False), unique="userName",
    # `active` defaults to true (RFC 7643 §2.2: a server default, stored and returned like
    # any value); a PUT can neither deactivate nor reactivate by omission, nor drop the
    # password digest, which a client cannot echo (writeOnly).
    defaults=(("active", True),), kept_on_put=("password", "active"))
GROUP_TYPE = ResourceType(
    "Group", "Groups", "Group", GROUP, (), COMMON,
    relation=Relation("members", "Users", "User", writable=True, large=True),
    unique="displayName")

RESOURCE_TYPES: tuple[ResourceType, ...] = (USER_TYPE, GROUP_TYPE)
SCHEMAS: tuple[Schema, ...] = (USER, GROUP, ENTERPRISE_USER)
