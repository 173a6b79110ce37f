"""A model of the right answer: random provisioning sequences through real HTTP, checked
step by step against a small reference model of who is active, who is in which group, and
therefore who may open which door.

Hypothesis drives a `RuleBasedStateMachine`: users are created, replaced and patched in the
shapes identity providers send (op case, boolean strings, pathless values, Entra's
`aadOptscim062020` keys), deactivated, reactivated and deleted; groups are created, renamed,
patched (add, remove by value list, remove by filter, replace), replaced and deleted; doors
are granted to groups and revoked; owners suspend and unsuspend people. Each run speaks as one identity provider (strict RFC, Entra or Okta
by User-Agent, or the pinned Entra dialect). After every step every door decision and every group's member list
must equal the model's. The two promises are the invariants:

- a door opens only for a user whose `active` is `true` (never for unassigned or false);
- a member change changes exactly the members it names (an empty removal list removes none);
- the change feed loses nothing: replaying its `access.granted` / `access.revoked` events
  gives exactly the (person, door) pairs the decision allows, replaying `membership.*`
  gives exactly the model's members, and its sequence numbers run 1, 2, 3… without a gap.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from doorpost.service.access import Doors
from doorpost.service.feed import ChangeFeed
from doorpost.store.database import Database
from tests.conftest import GROUP_URN, USER_URN, LiveServer, Tenant, make_tenant

ACTIVE_CHOICES = st.sampled_from([True, False, None])  # None: the body omits `active`
# The shapes a PATCH of `active` arrives in, each meaning "set active to VALUE".
ACTIVE_SHAPES = ["path", "pathless", "op-case", "boolean-string", "aad-key", "add"]


def _active_op(shape: str, value: bool) -> dict[str, Any]:
    text = "True" if value else "False"
    return {
        "path": {"op": "replace", "path": "active", "value": value},
        "pathless": {"op": "replace", "value": {"active": value}},
        "op-case": {"op": "Replace", "path": "active", "value": value},
        "boolean-string": {"op": "Replace", "path": "active", "value": text},
        "aad-key": {"op": "replace", "value": {"active": text}},
        "add": {"op": "add", "path": "active", "value": value},
    }[shape]


class Provisioning(RuleBasedStateMachine):
    users = Bundle("users")
    groups = Bundle("groups")

    def __init__(self, db: Database, server: LiveServer) -> None:
        super().__init__()
        self.db = db
        self.tenant: Tenant = make_tenant(db, server)
        self.doors_service = Doors(db)
        self.slug = self.tenant.org.slug
        self.doors = [self.doors_service.create(self.slug, f"door-{i}").id for i in range(2)]
        # The model: `active` as stored (True / False / None for unassigned), members, grants.
        self.active: dict[str, bool | None] = {}
        self.deleted: list[str] = []
        self.members: dict[str, set[str]] = {}
        self.grants: set[tuple[str, str]] = set()
        self.suspended: set[str] = set()
        self.feed = ChangeFeed(db)
        self.counter = 0
        self.replace_adds = False  # the pinned Entra dialect reads `replace members` as add

    def teardown(self) -> None:
        self.tenant.client.close()

    def _name(self, kind: str) -> str:
        self.counter += 1
        return f"{kind}{self.counter}-{uuid.uuid4().hex[:6]}"

    def _ok(self, response: Any, *statuses: int) -> Any:
        assert response.status_code in statuses, (response.status_code, response.text)
        return response

    # -- users -------------------------------------------------------------------------
    def _user_body(self, user_name: str, active: bool | None) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [USER_URN], "userName": user_name,
                                "emails": [{"value": user_name, "type": "work"}]}
        if active is not None:
            body["active"] = active
        return body

    @initialize(dialect=st.sampled_from(["rfc", "entra-pinned", "entra-agent", "okta-agent"]))
    def choose_dialect(self, dialect: str) -> None:
        """Each run speaks as one identity provider: detected by User-Agent, or pinned."""
        if dialect == "entra-pinned":
            self.tenant.orgs.set_dialect(self.slug, "entra")
            self.replace_adds = True
        agents = {"entra-agent": "Azure AD SCIM Client", "okta-agent": "Okta SCIM Client 1.0"}
        if dialect in agents:
            self.tenant.client.headers["User-Agent"] = agents[dialect]

    @initialize(target=users)
    def first_user(self) -> str:
        return self._create_user(True)

    @initialize(target=groups)
    def everyone(self) -> str:
        """A group that opens door 0 and that every new user joins, so that any change to
        anyone's `active` is at once a change to a door decision."""
        group = self._create_group([])
        self.everyone_group = group
        self.doors_service.grant(self.slug, self.doors[0], group)
        self.grants.add((self.doors[0], group))
        return group

    @rule(target=users, active=ACTIVE_CHOICES)
    def create_user(self, active: bool | None) -> str:
        return self._create_user(active)

    def _create_user(self, active: bool | None) -> str:
        name = self._name("u") + "@example.com"
        r = self._ok(self.tenant.post("/Users", self._user_body(name, active)), 201)
        user_id: str = r.json()["id"]
        self.active[user_id] = True if active is None else active  # created without: true
        everyone = getattr(self, "everyone_group", None)
        if everyone in self.members:
            op = {"op": "add", "path": "members", "value": [{"value": user_id}]}
            self._ok(self.tenant.patch(f"/Groups/{everyone}", op), 200, 204)
            self.members[everyone].add(user_id)
        return user_id

    @rule(user=users, active=ACTIVE_CHOICES)
    def put_user(self, user: str, active: bool | None) -> None:
        if user not in self.active:
            return
        current = self._ok(self.tenant.client.get(f"/Users/{user}"), 200).json()
        body = self._user_body(current["userName"], active)
        self._ok(self.tenant.client.put(f"/Users/{user}", json=body), 200)
        if active is not None:  # a PUT without `active` keeps the stored value
            self.active[user] = active

    @rule(user=users, value=st.booleans(), shape=st.sampled_from(ACTIVE_SHAPES))
    def patch_active(self, user: str, value: bool, shape: str) -> None:
        if user not in self.active:
            return
        self._ok(self.tenant.patch(f"/Users/{user}", _active_op(shape, value)), 200)
        self.active[user] = value

    @rule(user=users)
    def remove_active(self, user: str) -> None:
        if user not in self.active:
            return
        self._ok(self.tenant.patch(f"/Users/{user}", {"op": "remove", "path": "active"}), 200)
        self.active[user] = None

    @rule(user=consumes(users))
    def delete_user(self, user: str) -> None:
        if user not in self.active:
            return
        self._ok(self.tenant.client.delete(f"/Users/{user}"), 204)
        del self.active[user]
        self.suspended.discard(user)
        self.deleted.append(user)
        for members in self.members.values():
            members.discard(user)

    # -- groups ------------------------------------------------------------------------
    def _live(self, candidates: list[str]) -> list[str]:
        return list(dict.fromkeys(u for u in candidates if u in self.active))

    @rule(target=groups, members=st.lists(users, max_size=3))
    def create_group(self, members: list[str]) -> str:
        return self._create_group(members)

    def _create_group(self, members: list[str]) -> str:
        live = self._live(members)
        body = {"schemas": [GROUP_URN], "displayName": self._name("g"),
                "members": [{"value": u} for u in live]}
        r = self._ok(self.tenant.post("/Groups", body), 201)
        group_id: str = r.json()["id"]
        self.members[group_id] = set(live)
        return group_id

    @rule(group=groups, members=st.lists(users, min_size=1, max_size=3),
          shape=st.sampled_from(["path", "pathless", "op-case"]))
    def add_members(self, group: str, members: list[str], shape: str) -> None:
        live = self._live(members)
        if group not in self.members or not live:
            return
        value = [{"value": u} for u in live]
        op = {"path": {"op": "add", "path": "members", "value": value},
              "pathless": {"op": "add", "value": {"members": value}},
              "op-case": {"op": "Add", "path": "members", "value": value}}[shape]
        self._ok(self.tenant.patch(f"/Groups/{group}", op), 200, 204)
        self.members[group] |= set(live)

    @rule(group=groups, members=st.lists(users, max_size=3),
          shape=st.sampled_from(["value-list", "filter", "op-case"]))
    def remove_members(self, group: str, members: list[str], shape: str) -> None:
        if group not in self.members:
            return
        listed = list(dict.fromkeys(members))  # deleted users may be listed: they are no-ops
        if shape == "filter":
            if not listed:
                return
            expr = " or ".join(f'value eq "{u}"' for u in listed)
            op: dict[str, Any] = {"op": "remove", "path": f"members[{expr}]"}
        else:
            op = {"op": "remove" if shape == "value-list" else "Remove", "path": "members",
                  "value": [{"value": u} for u in listed]}  # may be empty: removes nobody
        self._ok(self.tenant.patch(f"/Groups/{group}", op), 200, 204)
        self.members[group] -= set(listed)

    @rule(group=groups, members=st.lists(users, max_size=3))
    def replace_members(self, group: str, members: list[str]) -> None:
        live = self._live(members)
        if group not in self.members:
            return
        op = {"op": "replace", "path": "members", "value": [{"value": u} for u in live]}
        self._ok(self.tenant.patch(f"/Groups/{group}", op), 200, 204)
        self.members[group] = self.members[group] | set(live) if self.replace_adds \
            else set(live)

    @rule(group=groups, members=st.one_of(st.none(), st.lists(users, max_size=3)))
    def put_group(self, group: str, members: list[str] | None) -> None:
        if group not in self.members:
            return
        body: dict[str, Any] = {"schemas": [GROUP_URN], "displayName": self._name("g")}
        if members is not None:
            body["members"] = [{"value": u} for u in self._live(members)]
        self._ok(self.tenant.client.put(f"/Groups/{group}", json=body), 200)
        self.members[group] = set(self._live(members or []))  # omitted members: cleared

    @rule(group=groups)
    def rename_group(self, group: str) -> None:
        if group not in self.members:
            return
        op = {"op": "replace", "path": "displayName", "value": self._name("g")}
        self._ok(self.tenant.patch(f"/Groups/{group}", op), 200, 204)

    @rule(group=consumes(groups))
    def delete_group(self, group: str) -> None:
        if group not in self.members:
            return
        self._ok(self.tenant.client.delete(f"/Groups/{group}"), 204)
        del self.members[group]
        self.grants = {(d, g) for d, g in self.grants if g != group}

    @rule(group=groups, door=st.integers(0, 1))
    def grant_door(self, group: str, door: int) -> None:
        if group not in self.members:
            return
        self.doors_service.grant(self.slug, self.doors[door], group)
        self.grants.add((self.doors[door], group))

    @rule(group=groups, door=st.integers(0, 1))
    def revoke_door(self, group: str, door: int) -> None:
        if (self.doors[door], group) not in self.grants:
            return
        self.doors_service.revoke(self.slug, self.doors[door], group)
        self.grants.discard((self.doors[door], group))

    @rule(user=users)
    def suspend_or_lift(self, user: str) -> None:
        """An owner's suspension: apart from the identity provider's `active`."""
        if user not in self.active:
            return
        if user in self.suspended:
            self.doors_service.unsuspend(self.slug, user, "owner@example.com")
            self.suspended.discard(user)
        else:
            self.doors_service.suspend(self.slug, user, "owner@example.com", "lost badge")
            self.suspended.add(user)

    # -- the invariants ----------------------------------------------------------------
    def expected(self, user: str, door: str) -> bool:
        if self.active.get(user) is not True or user in self.suspended:
            return False
        return any(user in self.members[g] for d, g in self.grants if d == door)

    @invariant()
    def door_decisions_match_the_model(self) -> None:
        for user in [*self.active, *self.deleted[-3:]]:
            for door in self.doors:
                decision = self.doors_service.decide(self.slug, user, door)
                assert decision.allowed == self.expected(user, door), (
                    user, door, self.active.get(user, "deleted"), decision)

    @invariant()
    def the_change_feed_replays_to_the_model(self) -> None:
        events = self.feed.after(self.tenant.org.id, 0, 100_000)
        assert [e.seq for e in events] == list(range(1, len(events) + 1))
        access: set[tuple[str, str]] = set()
        members: set[tuple[str, str]] = set()
        for e in events:
            if e.type.startswith("access."):
                pair = (e.data["user"]["id"], e.data["door"]["id"])
                assert (pair in access) == (e.type == "access.revoked"), (e.type, pair)
                (access.add if e.type == "access.granted" else access.discard)(pair)
            elif e.type.startswith("membership."):
                pair = (e.data["group"]["id"], e.data["user"]["id"])
                assert (pair in members) == (e.type == "membership.removed"), (e.type, pair)
                (members.add if e.type == "membership.added" else members.discard)(pair)
        assert access == {(u, d) for u in self.active for d in self.doors
                          if self.expected(u, d)}
        assert members == {(g, u) for g, us in self.members.items() for u in us}

    @invariant()
    def group_members_match_the_model(self) -> None:
        for group, expected in self.members.items():
            r = self._ok(self.tenant.client.get(f"/Groups/{group}"), 200)
            got = {m["value"] for m in r.json().get("members", [])}
            assert got == expected, (group, got, expected)


@pytest.mark.parametrize("examples", [20])
def test_provisioning_sequences_agree_with_the_model(db: Database, server: LiveServer,
                                                     examples: int) -> None:
    run_state_machine_as_test(
        lambda: Provisioning(db, server),
        settings=settings(max_examples=examples, stateful_step_count=20, deadline=None,
                          database=None, derandomize=True,
                          suppress_health_check=list(HealthCheck)))
