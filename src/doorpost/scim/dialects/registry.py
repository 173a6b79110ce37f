"""All dialects by name, and the choice of one for a request.

Decisions per dialect (evidence in shared/reference/entra-id-wire-notes.md and
scim-landscape.md §4.A):

| dialect | filtered replace that selects nothing | `replace members` with a list |
|---|---|---|
| rfc | 400 noTarget (RFC 7644 §3.5.2.3) | replaces the whole list (RFC) |
| entra | creates the element (Entra writes `emails[type eq "work"].value` to users without one) | detected: RFC (replace all); **pinned: add the listed members** — Entra has been seen sending a one-member `replace` per user (snipe-it#19096, posthog#47336); its documented flows use only Add/Remove, so no Entra flow relies on replace removing anyone |
| okta | creates the element | replaces the whole list: Okta pushes full member lists |
| onelogin | creates the element | replaces the whole list |
| jumpcloud | creates the element | replaces the whole list |

Every dialect gets the tolerant edge normalizations in `tolerant.py`.
"""

from __future__ import annotations

import functools

from doorpost.scim.dialects.base import RFC, Dialect, Reading
from doorpost.scim.patch import PatchPolicy

IDP_POLICY = PatchPolicy(create_on_unmatched_replace=True)

ENTRA = Dialect(
    "entra", "Microsoft Entra ID (Azure AD), default and aadOptscim062020 PATCH styles.",
    detected_policy=IDP_POLICY,
    pinned_policy=PatchPolicy(create_on_unmatched_replace=True, replace_members_adds=True),
    user_agent_markers=("azure", "microsoft", "aad"),
    query_flags=("aadOptscim062020", "AzureAdScimPatch062020", "AzureAdScimPatch2017"),
    shape_rules=frozenset({"op-case", "boolean-string", "manager-string",
                           "manager-legacy-array", "pathless-key-as-path"}),
)
OKTA = Dialect("okta", "Okta (SCIM 2.0 app integrations, PUT or PATCH updates, Push Groups).",
               detected_policy=IDP_POLICY, user_agent_markers=("okta",))
ONELOGIN = Dialect("onelogin", "OneLogin (application/json bodies, standard PATCH).",
                   detected_policy=IDP_POLICY, user_agent_markers=("onelogin",))
JUMPCLOUD = Dialect("jumpcloud", "JumpCloud (standard PATCH, repeated adds).",
                    detected_policy=IDP_POLICY, user_agent_markers=("jumpcloud",))

DIALECTS: dict[str, Dialect] = {d.name: d for d in (RFC, ENTRA, OKTA, ONELOGIN, JUMPCLOUD)}


def choose(pinned: str | None, user_agent: str, query_keys: set[str]) -> Reading:
    """The dialect for one request: the organization's pin, else what the request shows.
    A new `Reading` each time (it may change its mind by the request's shape); the
    decision itself is remembered, since every request of an identity provider asks the
    same question (a user agent longer than 256 characters is decided afresh)."""
    keys = frozenset(k.lower() for k in query_keys)
    decided = _decided(pinned, user_agent, keys) if len(user_agent) <= 256 \
        else _decided.__wrapped__(pinned, user_agent, keys)
    return Reading(*decided)


@functools.lru_cache(maxsize=512)
def _decided(pinned: str | None, user_agent: str, keys: frozenset[str]
             ) -> tuple[Dialect, str, Dialect | None]:
    if pinned and pinned in DIALECTS:
        return DIALECTS[pinned], "pinned", None
    for dialect in (ENTRA, OKTA, ONELOGIN, JUMPCLOUD):
        how = dialect.recognises(user_agent, set(keys))
        if how:
            return dialect, how, None
    return RFC, "default", ENTRA
