"""Webhooks from the receiver's side: an identity provider deactivates someone through real
SCIM HTTP, the worker delivers, and a real HTTP receiver checks what arrives with the
`standardwebhooks` library (the receivers' own) or, for Security Event Tokens, with PyJWT
against the organization's published JWKS. Then retries, dead letters, replay, several
workers, the SSRF guard, and another organization's key.
"""

from __future__ import annotations

import threading
from typing import Any, Iterator

import httpx
import jwt as pyjwt
import pytest
from standardwebhooks.webhooks import Webhook as StandardWebhook

from doorpost.service import webhook_targets
from doorpost.service.access import Doors
from doorpost.service.access_api import AccessApi
from doorpost.service.delivery import Deliverer
from doorpost.service.errors import AdminError
from doorpost.service.webhooks import Webhooks
from doorpost.store.database import Database
from tests.conftest import LiveServer, Tenant, group_body, user_body
from tests.webhook_receiver import Received, Receiver, receiving


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as r:
        yield r


def _deliverer(db: Database, schedule: tuple[float, ...] = (0.0, 0.0)) -> Deliverer:
    return Deliverer(db, schedule, allow_insecure=True)


def _door_for_a_member(tenant: Tenant, db: Database) -> tuple[str, str, str]:
    """(user id, group id, door id): an active member of a group that opens a door."""
    user = tenant.post("/Users", user_body("ann@example.com")).json()["id"]
    group = tenant.post("/Groups", group_body("Staff", [user])).json()["id"]
    door = Doors(db).create(tenant.org.slug, "Front door").id
    Doors(db).grant(tenant.org.slug, door, group)
    return user, group, door


def _deactivate(tenant: Tenant, user: str) -> None:
    r = tenant.patch(f"/Users/{user}", {"op": "Replace", "path": "active", "value": "False"})
    assert r.status_code == 200, r.text


def _types(received: list[Received]) -> list[str]:
    return [r.json()["type"] for r in received]


def test_a_deactivation_reaches_the_receiver_signed_and_in_order(
        tenant: Tenant, db: Database, receiver: Receiver) -> None:
    user, _, door = _door_for_a_member(tenant, db)
    added = Webhooks(db, allow_insecure=True).add(tenant.org.slug, receiver.url,
                                                  ["access.*", "user.*"], insecure=True)
    _deactivate(tenant, user)
    worker = _deliverer(db)
    got = receiver.wait_for(lambda r: "access.revoked" in _types(r), pump=worker.run_once)
    verifier = StandardWebhook(added.secret)
    for request in got:  # the receiver's own check of every signature
        verifier.verify(request.body, request.headers)
    assert _types(got) == ["user.updated", "user.deactivated", "access.revoked"]
    seqs = [r.json()["seq"] for r in got]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    revoked = got[-1].json()
    assert revoked["data"]["user"]["id"] == user and revoked["data"]["door"]["id"] == door
    assert "deactivated by the identity provider" in revoked["data"]["reason"]
    assert got[-1].headers["webhook-id"] == revoked["id"]
    # a forged or altered body fails the receiver's check
    tampered = got[-1].body.replace(b"revoked", b"granted")
    with pytest.raises(Exception):
        verifier.verify(tampered, got[-1].headers)
    # the door decision had already changed: the very next decision after the 200
    assert not Doors(db).decide(tenant.org.slug, user, door).allowed


def test_nothing_is_announced_for_a_write_that_failed(tenant: Tenant, db: Database) -> None:
    api = AccessApi(db)
    before = api.feed.last_seq(tenant.org.id)
    tenant.post("/Users", user_body("dup@example.com"))
    assert tenant.post("/Users", user_body("DUP@example.com")).status_code == 409
    bad = tenant.post("/Groups", group_body("G", ["no-such-user"]))
    assert bad.status_code == 400
    events = api.feed.after(tenant.org.id, before, 100)
    assert [e.type for e in events] == ["user.created"]


def test_membership_events_name_the_group_as_the_write_leaves_it(tenant: Tenant,
                                                                  db: Database) -> None:
    """The group's name in `membership.*` comes from the document the write holds (no read
    of it again): after a rename in the same PATCH, it is the new name."""
    api = AccessApi(db)
    u = tenant.post("/Users", user_body("named@example.com")).json()["id"]
    g = tenant.post("/Groups", group_body("Before")).json()["id"]
    before = api.feed.last_seq(tenant.org.id)
    assert tenant.patch(f"/Groups/{g}", {"op": "replace", "path": "displayName",
                                         "value": "After"},
                        {"op": "add", "path": "members", "value": [{"value": u}]}
                        ).status_code in (200, 204)
    assert tenant.patch(f"/Groups/{g}", {"op": "remove", "path": "members",
                                         "value": [{"value": u}]}).status_code in (200, 204)
    joined = [(e.type, e.data["group"]) for e in api.feed.after(tenant.org.id, before, 100)
              if e.type.startswith("membership.")]
    assert joined == [("membership.added", {"id": g, "displayName": "After"}),
                      ("membership.removed", {"id": g, "displayName": "After"})]


def test_failures_are_retried_in_order_then_delivered(
        tenant: Tenant, db: Database, receiver: Receiver) -> None:
    receiver.answer = lambda n: 503 if n <= 2 else 204  # the first two requests fail
    Webhooks(db, allow_insecure=True).add(tenant.org.slug, receiver.url, ["user.created"],
                                          insecure=True)
    for name in ("a@example.com", "b@example.com"):
        tenant.post("/Users", user_body(name))
    worker = _deliverer(db)
    got = receiver.wait_for(lambda r: len(r) >= 4, pump=worker.run_once)
    names = [r.json()["data"]["user"]["userName"] for r in got]
    assert names == ["a@example.com"] * 3 + ["b@example.com"]  # b waited for a
    assert len({r.headers["webhook-id"] for r in got[:3]}) == 1  # the same event again
    hook = Webhooks(db).all(tenant.org.slug)[0]
    log = Webhooks(db).attempts(tenant.org.slug, hook.id)
    assert [a.outcome for a in reversed(log)] == ["failed", "failed", "delivered",
                                                  "delivered"]
    assert log[-1].status_code == 503 and hook.attempts == 0


def test_spent_retries_dead_letter_and_replay_sends_them_again(
        tenant: Tenant, db: Database, receiver: Receiver) -> None:
    receiver.answer = lambda n: 500
    hooks = Webhooks(db, allow_insecure=True)
    hook = hooks.add(tenant.org.slug, receiver.url, ["user.created"], insecure=True).webhook
    for name in ("c@example.com", "d@example.com"):
        tenant.post("/Users", user_body(name))
    worker = _deliverer(db, schedule=(0.0,))  # one retry, then dead
    receiver.wait_for(lambda r: len(r) >= 4, pump=worker.run_once)
    dead = hooks.dead_letters(tenant.org.slug, hook.id)
    assert len(dead) == 2  # the second event was not held back forever by the first
    assert hooks.get(tenant.org.slug, hook.id).cursor_seq == max(dead)
    receiver.answer = lambda n: 204
    assert hooks.replay(tenant.org.slug, hook.id) == 2
    got = receiver.wait_for(lambda r: len(r) >= 6, pump=worker.run_once)
    assert sorted(r.json()["seq"] for r in got[4:]) == dead
    assert hooks.dead_letters(tenant.org.slug, hook.id) == []
    with pytest.raises(AdminError):
        hooks.replay(tenant.org.slug, hook.id, [dead[0]])  # no longer a dead letter


def test_security_event_tokens_verify_against_the_published_keys(
        tenant: Tenant, db: Database, server: LiveServer, receiver: Receiver) -> None:
    receiver.answer = lambda n: 202  # RFC 8935: accepted
    user, _, door = _door_for_a_member(tenant, db)
    Webhooks(db, allow_insecure=True).add(tenant.org.slug, receiver.url,
                                          ["user.deactivated", "access.revoked"], "set",
                                          insecure=True)
    _deactivate(tenant, user)
    got = receiver.wait_for(lambda r: len(r) >= 2, pump=_deliverer(db).run_once)
    assert got[0].headers["content-type"] == "application/secevent+jwt"
    jwks = httpx.get(f"{server.url}/api/v1/orgs/{tenant.org.slug}/jwks.json").json()
    keys = {k["kid"]: pyjwt.PyJWK(k) for k in jwks["keys"]}
    claims = []
    for request in got:
        kid = pyjwt.get_unverified_header(request.body)["kid"]
        claims.append(pyjwt.decode(request.body, keys[kid], algorithms=["ES256"],
                                   audience=receiver.url))
    assert list(claims[0]["events"]) == ["urn:ietf:params:scim:event:prov:deactivate"]
    assert claims[0]["sub_id"] == {"format": "scim", "uri": f"/Users/{user}"}
    revoked = claims[1]["events"]["urn:doorpost:params:event:access:revoked"]
    assert revoked["door"]["id"] == door
    assert pyjwt.get_unverified_header(got[0].body)["typ"] == "secevent+jwt"


def test_two_workers_share_the_work_and_never_send_an_event_twice(
        tenant: Tenant, db: Database, receiver: Receiver) -> None:
    Webhooks(db, allow_insecure=True).add(tenant.org.slug, receiver.url, ["user.created"],
                                          insecure=True)
    for i in range(30):
        tenant.post("/Users", user_body(f"w{i}@example.com"))
    stop = threading.Event()
    workers = [threading.Thread(target=_deliverer(db).run, args=(stop, 0.01))
               for _ in range(2)]
    for w in workers:
        w.start()
    try:
        got = receiver.wait_for(lambda r: len(r) >= 30, timeout=30)
    finally:
        stop.set()
        for w in workers:
            w.join()
    ids = [r.headers["webhook-id"] for r in got]
    assert len(ids) == len(set(ids)) == 30
    seqs = [r.json()["seq"] for r in got]
    assert seqs == sorted(seqs)  # in order per endpoint, whichever worker sent it


# -- the guard against server-side request forgery -------------------------------------

@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1",
    "0.0.0.0", "::1", "fd00::1", "fe80::1", "::ffff:127.0.0.1", "224.0.0.1", "240.0.0.1"])
def test_non_public_addresses_are_refused(address: str) -> None:
    assert not webhook_targets.is_public(address)
    target = webhook_targets.parse("https://hooks.example.com/x", insecure=False)
    with pytest.raises(webhook_targets.UnsafeTarget):
        webhook_targets.addresses(target, False, lambda host, port: ["93.184.215.14", address])


def test_public_addresses_are_allowed() -> None:
    assert webhook_targets.is_public("93.184.215.14")
    assert webhook_targets.is_public("2606:4700::6810:84e5")


def test_adding_refuses_http_and_insecure_without_the_operator_setting(
        tenant: Tenant, db: Database, receiver: Receiver) -> None:
    with pytest.raises(webhook_targets.UnsafeTarget, match="https"):
        Webhooks(db, allow_insecure=True).add(tenant.org.slug, receiver.url)
    with pytest.raises(AdminError, match="DOORPOST_WEBHOOK_ALLOW_INSECURE"):
        Webhooks(db, allow_insecure=False).add(tenant.org.slug, receiver.url, insecure=True)
    with pytest.raises(webhook_targets.UnsafeTarget, match="non-public"):
        Webhooks(db, resolver=lambda h, p: ["10.0.0.7"]).add(
            tenant.org.slug, "https://intranet.example.com/hook")
    for url in ("https://user:pw@example.com/", "ftp://example.com/", "https:///x",
                "https://example.com:99999/"):
        with pytest.raises(webhook_targets.UnsafeTarget):
            Webhooks(db).add(tenant.org.slug, url)
    assert Webhooks(db).all(tenant.org.slug) == []


def test_the_address_is_checked_again_at_delivery(tenant: Tenant, db: Database,
                                                  receiver: Receiver) -> None:
    """A name that resolved to a public address when added and to a private one later
    (DNS rebinding) gets nothing; the attempt says why."""
    answers = {"now": ["93.184.215.14"]}
    hooks = Webhooks(db, resolver=lambda h, p: answers["now"])
    hook = hooks.add(tenant.org.slug, "https://rebind.example.com/hook", ["user.created"])
    answers["now"] = ["127.0.0.1"]
    tenant.post("/Users", user_body("rebind@example.com"))
    worker = Deliverer(db, (60.0,), resolver=lambda h, p: answers["now"])
    worker.run_once()
    attempts = hooks.attempts(tenant.org.slug, hook.webhook.id)
    assert attempts and attempts[0].outcome == "failed"
    assert "non-public" in (attempts[0].error or "")
    assert receiver.received == []
    # an endpoint added as insecure stops when the operator turns the setting off
    insecure = Webhooks(db, allow_insecure=True).add(tenant.org.slug, receiver.url,
                                                     ["user.created"], insecure=True)
    tenant.post("/Users", user_body("later@example.com"))
    Deliverer(db, (60.0,), allow_insecure=False).run_once()
    assert receiver.received == []
    assert "https" in (hooks.get(tenant.org.slug, insecure.webhook.id).last_error or "")


# -- the pull feed ----------------------------------------------------------------------

def _key(db: Database, tenant: Tenant) -> dict[str, str]:
    _, secret = AccessApi(db).create_key(tenant.org.slug, "controller")
    return {"Authorization": f"Bearer {secret}"}


def test_the_pull_feed_long_polls_and_keeps_organizations_apart(
        tenant: Tenant, other_tenant: Tenant, db: Database, server: LiveServer) -> None:
    mine, theirs = _key(db, tenant), _key(db, other_tenant)
    api = f"{server.url}/api/v1/events"
    start = httpx.get(api, headers=mine, params={"after": 0, "limit": 500}).json()["next"]
    result: dict[str, Any] = {}

    def poll() -> None:
        result["r"] = httpx.get(api, headers=mine, params={"after": start, "wait": 10},
                                timeout=20)
    waiting = threading.Thread(target=poll)
    waiting.start()
    tenant.post("/Users", user_body("polled@example.com"))
    waiting.join(timeout=15)
    page = result["r"].json()
    assert [e["type"] for e in page["events"]] == ["user.created"]
    assert page["next"] == page["events"][0]["seq"] > start
    # the other organization's key sees none of it
    other = httpx.get(api, headers=theirs, params={"after": 0}).json()["events"]
    assert all(e["data"].get("user", {}).get("userName") != "polled@example.com"
               for e in other)
    for bad in ({"after": "-1"}, {"after": "x"}, {"limit": "0"}, {"wait": "31"}):
        r = httpx.get(api, headers=mine, params=bad)
        assert r.status_code == 400 and r.json()["error"]["code"] == "invalid_request"
    assert httpx.get(api, params={"after": 0}).status_code == 401
    missing = httpx.get(f"{server.url}/api/v1/orgs/no-such-org/jwks.json")
    assert missing.status_code == 404


def test_pruning_keeps_what_a_lagging_webhook_has_not_had(
        tenant: Tenant, db: Database, receiver: Receiver) -> None:
    from doorpost.store.changes import prune
    from doorpost.service.clock import now_us

    hooks = Webhooks(db, allow_insecure=True)
    hook = hooks.add(tenant.org.slug, receiver.url, ["user.created"], insecure=True).webhook
    hooks.pause(tenant.org.slug, hook.id, True)  # lagging: paused
    tenant.post("/Users", user_body("old@example.com"))
    feed = AccessApi(db).feed
    start = feed.after(tenant.org.id, 0, 1000)[0].seq
    with db.write() as conn:
        prune(conn, now_us() + 1)  # everything is "old" now
    assert [e.type for e in feed.after(tenant.org.id, start - 1, 1000)] == ["user.created"]
    hooks.pause(tenant.org.slug, hook.id, False)
    receiver.wait_for(lambda r: len(r) == 1, pump=_deliverer(db).run_once)
    with db.write() as conn:
        prune(conn, now_us() + 1)
    assert feed.after(tenant.org.id, 0, 1000) == []  # settled by every webhook: gone
    assert feed.last_seq(tenant.org.id) >= start  # numbering never restarts
