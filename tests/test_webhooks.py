"""Outgoing webhooks (rule 19) through the API, delivered by the app's own worker to a real receiver
on 127.0.0.1; every delivery is verified with the `standardwebhooks` package."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from models.enums import Role
from models.ledger import access
from models.ledger.webhooks import prune
from models.rules.webhooks import WebhookSettings
from models.tables.webhooks import WebhookAttempt, WebhookDelivery, WebhookMessage
from server.app import create_app
from server.config import Settings
from tests.api import ERROR, create_product, due_affiliate, export, pay, payable_affiliate, record_sale
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient
from tests.clock import MovableClock
from tests.receiver import Receiver, Reply, receiving

FAST = WebhookSettings(allow_private=True, schedule=(1, 1), jitter=0.0, timeout_s=2)

ENDPOINT = "id url description eventTypes status disabledReason disabledAt createdAt secretHint previousSecretExpiresAt"
CREATE = f"""mutation($input: CreateWebhookEndpointInput!) {{ createWebhookEndpoint(input: $input) {{
  ... on CreateWebhookEndpointSuccess {{ secret endpoint {{ {ENDPOINT} }} }} {ERROR} }} }}"""
UPDATE = f"""mutation($input: UpdateWebhookEndpointInput!) {{ updateWebhookEndpoint(input: $input) {{
  ... on WebhookEndpointSuccess {{ endpoint {{ {ENDPOINT} }} }} {ERROR} }} }}"""
ROTATE = f"""mutation($id: ID!, $hours: Int) {{ rotateWebhookSecret(endpointId: $id, overlapHours: $hours) {{
  ... on RotateWebhookSecretSuccess {{ secret endpoint {{ {ENDPOINT} }} }} {ERROR} }} }}"""
DISABLE = f"""mutation($id: ID!) {{ disableWebhookEndpoint(endpointId: $id) {{
  ... on WebhookEndpointSuccess {{ endpoint {{ {ENDPOINT} }} }} {ERROR} }} }}"""
ENABLE = f"""mutation($id: ID!) {{ enableWebhookEndpoint(endpointId: $id) {{
  ... on WebhookEndpointSuccess {{ endpoint {{ {ENDPOINT} }} }} {ERROR} }} }}"""
DELETE = f"""mutation($id: ID!) {{ deleteWebhookEndpoint(endpointId: $id) {{
  ... on DeleteWebhookEndpointSuccess {{ deletedId }} {ERROR} }} }}"""
DELIVERY = """id status attemptCount nextAttemptAt lastResponseCode succeededAt
  message { id messageId type createdAt payload } endpoint { id }
  attempts { number at responseCode durationMs error responseBodyExcerpt }"""
REPLAY = f"""mutation($id: ID!) {{ replayWebhookDelivery(deliveryId: $id) {{
  ... on WebhookDeliverySuccess {{ delivery {{ {DELIVERY} }} }} {ERROR} }} }}"""
REPLAY_FAILED = f"""mutation($id: ID!, $since: DateTime!) {{
  replayFailedWebhookDeliveries(endpointId: $id, since: $since) {{
  ... on ReplayWebhookDeliveriesSuccess {{ count }} {ERROR} }} }}"""
REFUND = f"""mutation($input: RefundSaleInput!) {{ refundSale(input: $input) {{
  ... on RefundSaleSuccess {{ sale {{ id }} }} {ERROR} }} }}"""
TEST = f"""mutation($id: ID!) {{ sendTestWebhook(endpointId: $id) {{
  ... on WebhookDeliverySuccess {{ delivery {{ {DELIVERY} }} }} {ERROR} }} }}"""
DELIVERIES = f"""query($id: ID!, $status: WebhookDeliveryStatus) {{ node(id: $id) {{ ... on WebhookEndpoint {{
  status disabledReason deliveries(status: $status) {{ totalCount edges {{ node {{ {DELIVERY} }} }} }} }} }} }}"""
MESSAGES = """query($type: String) { webhookMessages(type: $type) { totalCount
  edges { node { id messageId type createdAt payload } } } }"""
VOID = f"""mutation($id: ID!, $reason: String!) {{ voidPayout(payoutId: $id, reason: $reason) {{
  ... on VoidPayoutSuccess {{ payout {{ id }} }} {ERROR} }} }}"""


@pytest.fixture
def settings(database_url: str, clock: MovableClock) -> Settings:
    return Settings(
        database_url=database_url, secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN, clock=clock, webhooks=FAST
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as r:
        yield r


async def create_endpoint(gql: GraphQLClient, url: str, *types: str, **extra: Any) -> dict[str, Any]:
    data = await gql.ok(CREATE, input={"url": url, "eventTypes": list(types), **extra})
    return data["createWebhookEndpoint"]


async def deliveries(gql: GraphQLClient, endpoint_id: str, status: str | None = None) -> dict[str, Any]:
    data = await gql.ok(DELIVERIES, id=endpoint_id, status=status)
    node: dict[str, Any] = data["node"]
    return node


async def settled(gql: GraphQLClient, endpoint_id: str, count: int) -> list[dict[str, Any]]:
    """The endpoint's deliveries once `count` of them are no longer PENDING (the worker recorded them)."""
    async with asyncio.timeout(20):
        while True:
            edges = (await deliveries(gql, endpoint_id))["deliveries"]["edges"]
            done = [e["node"] for e in edges if e["node"]["status"] != "PENDING" and e["node"]["attemptCount"]]
            if len(done) >= count:
                return done
            await asyncio.sleep(0.1)


# --- endpoint management ------------------------------------------------------------------------------


async def test_create_shows_the_secret_once_and_a_hint_after(gql: GraphQLClient) -> None:
    created = await create_endpoint(
        gql, "https://hooks.example.com/payouts", "payout.paid", "payout.paid", description="books"
    )
    secret = created["secret"]
    assert secret.startswith("whsec_") and len(base64.b64decode(secret[6:])) == 32
    endpoint = created["endpoint"]
    assert endpoint["eventTypes"] == ["payout.paid"]  # duplicates dropped
    assert endpoint["status"] == "ENABLED" and endpoint["disabledReason"] is None
    assert endpoint["secretHint"] == f"whsec_****{secret[-4:]}"
    listed = await gql.ok("{ webhookEndpoints { totalCount edges { node { id secretHint description } } } }")
    assert listed["webhookEndpoints"]["totalCount"] == 1
    assert listed["webhookEndpoints"]["edges"][0]["node"] == {
        "id": endpoint["id"],
        "secretHint": endpoint["secretHint"],
        "description": "books",
    }
    audit = await gql.ok("{ auditLog(first: 5) { edges { node { action details } } } }")
    entries = [e["node"] for e in audit["auditLog"]["edges"] if e["node"]["action"] == "createWebhookEndpoint"]
    assert entries and secret not in json.dumps(entries) and secret[6:] not in json.dumps(entries)


@pytest.mark.parametrize(
    ("input", "field"),
    [
        ({"url": "https://user:pw@hooks.example.com/x"}, "url"),
        ({"url": "https://hooks.example.com/x#frag"}, "url"),
        ({"url": "hooks.example.com/x"}, "url"),
        ({"url": "https://example.com/" + "a" * 2000}, "url"),
        ({"eventTypes": []}, "eventTypes"),
        ({"eventTypes": ["webhook.test"]}, "eventTypes"),
        ({"eventTypes": ["payout.unknown"]}, "eventTypes"),
        ({"description": "x" * 201}, "description"),
    ],
)
async def test_create_refuses_bad_input(gql: GraphQLClient, input: dict[str, Any], field: str) -> None:
    """(http:// and private literal addresses are refused too, without PAYOUTS_WEBHOOK_ALLOW_PRIVATE:
    tests/test_webhook_ssrf.py; the app here allows them, to reach the receiver on 127.0.0.1.)"""
    strict = {"url": "https://hooks.example.com/x", "eventTypes": ["sale.recorded"], **input}
    data = await gql.ok(CREATE, input=strict)
    assert data["createWebhookEndpoint"]["code"] == "VALIDATION"
    assert data["createWebhookEndpoint"]["field"] == field
    assert (await gql.ok("{ webhookEndpoints { totalCount } }"))["webhookEndpoints"]["totalCount"] == 0


async def test_at_most_twenty_endpoints(gql: GraphQLClient) -> None:
    for n in range(20):
        await create_endpoint(gql, f"https://hooks.example.com/{n}", "sale.recorded")
    data = await gql.ok(CREATE, input={"url": "https://hooks.example.com/21", "eventTypes": ["sale.recorded"]})
    assert data["createWebhookEndpoint"]["code"] == "VALIDATION" and data["createWebhookEndpoint"]["field"] == "url"


async def test_roles(gql: GraphQLClient) -> None:
    endpoint = (await create_endpoint(gql, "https://hooks.example.com/x", "sale.recorded"))["endpoint"]
    _, viewer_token = await access.create_token("test", Role.VIEWER)
    viewer = gql.as_token(viewer_token)
    read = await viewer.ok("{ webhookEndpoints { edges { node { id } } } webhookMessages { totalCount } }")
    assert read["webhookEndpoints"]["edges"] == [{"node": {"id": endpoint["id"]}}]
    refused = await viewer.ok(DISABLE, id=endpoint["id"])
    assert refused["disableWebhookEndpoint"]["code"] == "FORBIDDEN"
    aff = await payable_affiliate(gql)
    _, affiliate_token = await access.create_token(
        "test", Role.AFFILIATE, affiliate_id=int(base64.b64decode(aff).decode().split(":")[1])
    )
    affiliate = gql.as_token(affiliate_token)
    answer = await affiliate.post("{ webhookEndpoints { totalCount } }")
    assert answer["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    answer = await affiliate.post("query($id: ID!) { node(id: $id) { id } }", id=endpoint["id"])
    assert answer["data"]["node"] is None
    created = await affiliate.ok(CREATE, input={"url": "https://a.example.com", "eventTypes": ["sale.recorded"]})
    assert created["createWebhookEndpoint"]["code"] == "FORBIDDEN"
    types = await affiliate.ok("{ webhookEventTypes { name description } }")
    assert [t["name"] for t in types["webhookEventTypes"]] == [
        "payout.became_due",
        "payout.paid",
        "payout.voided",
        "sale.recorded",
        "sale.refunded",
        "export.created",
    ]


async def test_update_rotate_disable_enable_delete(gql: GraphQLClient, clock: MovableClock) -> None:
    endpoint = (await create_endpoint(gql, "https://hooks.example.com/x", "sale.recorded"))["endpoint"]
    updated = await gql.ok(
        UPDATE, input={"endpointId": endpoint["id"], "eventTypes": ["payout.paid"], "description": "n"}
    )
    assert updated["updateWebhookEndpoint"]["endpoint"]["eventTypes"] == ["payout.paid"]
    assert updated["updateWebhookEndpoint"]["endpoint"]["url"] == "https://hooks.example.com/x"
    for hours in (-1, 169):
        bad = await gql.ok(ROTATE, id=endpoint["id"], hours=hours)
        assert bad["rotateWebhookSecret"]["field"] == "overlapHours"
    rotated = (await gql.ok(ROTATE, id=endpoint["id"]))["rotateWebhookSecret"]
    assert rotated["endpoint"]["secretHint"] == f"whsec_****{rotated['secret'][-4:]}"
    assert rotated["endpoint"]["previousSecretExpiresAt"] is not None
    clock.advance(timedelta(hours=25))
    again = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on WebhookEndpoint { previousSecretExpiresAt } } }", id=endpoint["id"]
    )
    assert again["node"]["previousSecretExpiresAt"] is None
    disabled = (await gql.ok(DISABLE, id=endpoint["id"]))["disableWebhookEndpoint"]["endpoint"]
    assert (disabled["status"], disabled["disabledReason"]) == ("DISABLED", "MANUAL") and disabled["disabledAt"]
    enabled = (await gql.ok(ENABLE, id=endpoint["id"]))["enableWebhookEndpoint"]["endpoint"]
    assert (enabled["status"], enabled["disabledReason"], enabled["disabledAt"]) == ("ENABLED", None, None)
    deleted = await gql.ok(DELETE, id=endpoint["id"])
    assert deleted["deleteWebhookEndpoint"]["deletedId"] == endpoint["id"]
    gone = await gql.ok(DISABLE, id=endpoint["id"])
    assert gone["disableWebhookEndpoint"]["code"] == "NOT_FOUND"
    audit = await gql.ok("{ auditLog(first: 20) { edges { node { action } } } }")
    actions = {e["node"]["action"] for e in audit["auditLog"]["edges"]}
    assert {
        "updateWebhookEndpoint",
        "rotateWebhookSecret",
        "disableWebhookEndpoint",
        "enableWebhookEndpoint",
        "deleteWebhookEndpoint",
    } <= actions


# --- the outbox -------------------------------------------------------------------------------------


async def test_no_endpoint_no_message_and_a_refused_change_writes_none(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    aff = await payable_affiliate(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=aff)
    assert await WebhookMessage.all().count() == 0
    await create_endpoint(gql, "https://hooks.example.com/x", "sale.recorded", "sale.refunded")
    refused = await gql.ok(
        REFUND,
        input={"externalId": "s-1", "amount": {"amount": "1000.00", "currency": "USD"}},
    )
    assert refused["refundSale"]["code"] == "REFUND_EXCEEDS_SALE"
    assert await WebhookMessage.all().count() == 0


async def test_sale_and_due_messages_are_written_with_their_change(gql: GraphQLClient, clock: MovableClock) -> None:
    await create_endpoint(gql, "https://hooks.example.com/x", "sale.recorded", "payout.became_due", "sale.refunded")
    product = await create_product(gql)
    aff = await payable_affiliate(gql)
    sale = await record_sale(
        gql, externalId="s-1", productId=product, affiliateId=aff, amount={"amount": "100.10", "currency": "USD"}
    )
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=aff)  # a retry: no second message
    messages = (await gql.ok(MESSAGES))["webhookMessages"]
    by_type = {e["node"]["type"]: e["node"] for e in messages["edges"]}
    assert messages["totalCount"] == 2 and set(by_type) == {"sale.recorded", "payout.became_due"}
    recorded = by_type["sale.recorded"]
    assert recorded["messageId"].startswith("msg_") and len(recorded["messageId"]) == 30
    payload = recorded["payload"]
    assert payload["type"] == "sale.recorded" and payload["timestamp"].endswith("Z")
    data = payload["data"]
    assert data["saleId"] == sale["sale"]["id"] and data["externalId"] == "s-1"
    assert data["affiliateId"] == aff and data["productId"] == product
    assert data["amount"] == {"amount": "100.10", "currency": "USD"}
    assert data["renewal"] is False and data["subscriptionId"] is None
    assert data["commissions"] == [
        {
            "commissionId": data["commissions"][0]["commissionId"],
            "role": "AFFILIATE",
            "payeeId": aff,
            "amount": {"amount": "10.01", "currency": "USD"},
        }
    ]
    due = by_type["payout.became_due"]["payload"]["data"]
    assert due == {
        "payeeId": aff,
        "cause": "SALE_RECORDED",
        "newlyDue": [{"amount": "10.01", "currency": "USD"}],
        "due": [{"amount": "10.01", "currency": "USD"}],
    }
    stored = await WebhookMessage.get(message_id=recorded["messageId"])
    assert json.loads(stored.body) == payload and " " not in stored.body.replace("100.10", "")
    await gql.ok(
        REFUND,
        input={"externalId": "s-1", "amount": {"amount": "50.05", "currency": "USD"}},
    )
    refunded = (await gql.ok(MESSAGES, type="sale.refunded"))["webhookMessages"]["edges"][0]["node"]["payload"]["data"]
    assert refunded["kind"] == "REFUND" and refunded["refund"] == {"amount": "50.05", "currency": "USD"}
    assert refunded["refunded"] == {"amount": "50.05", "currency": "USD"} and refunded["status"] == "PARTIALLY_REFUNDED"
    [commission] = refunded["commissions"]
    left = Decimal(commission["amount"]["amount"])
    assert left + Decimal(commission["reduction"]["amount"]) == Decimal("10.01") and 0 < left < Decimal("10.01")


async def test_paid_voided_and_export_messages(gql: GraphQLClient) -> None:
    await create_endpoint(gql, "https://hooks.example.com/x", "payout.paid", "payout.voided", "export.created")
    product = await create_product(gql)
    aff = await due_affiliate(gql, product, "Ann Lee", "s-1")
    made = await export(gql, scope="PREFERRED")
    export_id = made["export"]["id"]
    paid = await pay(gql, exportId=export_id, method="PAYPAL")
    payout = paid["payouts"][0]
    await gql.ok(VOID, id=payout["id"], reason="bounced")
    messages = {
        e["node"]["type"]: e["node"]["payload"]["data"] for e in (await gql.ok(MESSAGES))["webhookMessages"]["edges"]
    }
    files = messages["export.created"]["files"]
    assert messages["export.created"]["exportId"] == export_id and messages["export.created"]["scope"] == "PREFERRED"
    assert files == [
        {
            "fileId": files[0]["fileId"],
            "method": "PAYPAL",
            "format": "PAYPAL_BULK",
            "currency": "USD",
            "rows": 1,
            "total": {"amount": "10.01", "currency": "USD"},
        }
    ]
    assert "ann.pay" not in json.dumps(messages)  # never a payment detail
    assert messages["payout.paid"] == {
        "payoutId": payout["id"],
        "payeeId": aff,
        "amount": {"amount": "10.01", "currency": "USD"},
        "method": "PAYPAL",
        "instant": False,
        "paidAt": messages["payout.paid"]["paidAt"],
        "reference": None,
        "exportId": export_id,
        "exportReference": messages["payout.paid"]["exportReference"],
    }
    assert messages["payout.paid"]["exportReference"].startswith("PD-")
    voided = messages["payout.voided"]
    assert voided["payoutId"] == payout["id"] and voided["reason"] == "bounced"
    assert (voided["source"], voided["paymentReturned"]) == ("MANUAL", False)


# --- delivery -------------------------------------------------------------------------------------------


async def test_delivered_signed_and_verified(gql: GraphQLClient, receiver: Receiver) -> None:
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    product = await create_product(gql)
    aff = await payable_affiliate(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=aff)
    [request] = await receiver.wait_for(1)
    [payload] = receiver.verified(created["secret"])
    assert payload["type"] == "sale.recorded" and payload["data"]["externalId"] == "s-1"
    assert request.method == "POST" and request.path == "/hook"
    assert request.headers["content-type"] == "application/json"
    assert request.headers["user-agent"] == "payout-desk-webhooks"
    message = await WebhookMessage.get(message_id=request.headers["webhook-id"])
    assert request.body == message.body.encode()  # byte for byte
    [delivery] = await settled(gql, created["endpoint"]["id"], 1)
    assert delivery["status"] == "SUCCEEDED" and delivery["attemptCount"] == 1 and delivery["succeededAt"]
    assert delivery["lastResponseCode"] == 200 and delivery["nextAttemptAt"] is None
    [attempt] = delivery["attempts"]
    assert attempt["number"] == 1 and attempt["responseCode"] == 200 and attempt["responseBodyExcerpt"] == "ok"
    assert attempt["error"] is None
    health = await gql.http.get("/healthz")
    assert health.json()["webhooks"] == {"pending": 0, "oldestDueS": 0.0}


async def test_rotation_signs_with_both_secrets_newest_first(gql: GraphQLClient, receiver: Receiver) -> None:
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    old = created["secret"]
    new = (await gql.ok(ROTATE, id=created["endpoint"]["id"], hours=1))["rotateWebhookSecret"]["secret"]
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    [request] = await receiver.wait_for(1)
    signatures = request.headers["webhook-signature"].split(" ")
    assert len(signatures) == 2 and all(s.startswith("v1,") for s in signatures)
    assert receiver.verified(new) and receiver.verified(old)
    from standardwebhooks import Webhook

    first_only = {**request.headers, "webhook-signature": signatures[0]}
    Webhook(new).verify(request.body, first_only)  # the new secret's signature comes first


async def test_retries_then_success_counted_once(gql: GraphQLClient, receiver: Receiver) -> None:
    receiver.answer(Reply(500, body=b"down"), Reply(302, {"location": "https://elsewhere.example.com"}))
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    requests = await receiver.wait_for(3)
    assert len({r.headers["webhook-id"] for r in requests}) == 1  # the same message each time
    assert len(receiver.verified(created["secret"])) == 3
    [delivery] = await settled(gql, created["endpoint"]["id"], 1)
    assert delivery["status"] == "SUCCEEDED" and delivery["attemptCount"] == 3
    assert [a["responseCode"] for a in delivery["attempts"]] == [500, 302, 200]  # no redirect followed
    assert delivery["attempts"][0]["responseBodyExcerpt"] == "down"


async def test_gone_disables_the_endpoint(gql: GraphQLClient, receiver: Receiver) -> None:
    receiver.answer(Reply(410))
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    [delivery] = await settled(gql, created["endpoint"]["id"], 1)
    assert delivery["status"] == "FAILED" and delivery["attemptCount"] == 1
    endpoint = await deliveries(gql, created["endpoint"]["id"])
    assert (endpoint["status"], endpoint["disabledReason"]) == ("DISABLED", "GONE")
    await record_sale(gql, externalId="s-2", productId=product, affiliateId=await payable_affiliate(gql, "Bob Roe"))
    assert await WebhookDelivery.all().count() == 1  # nothing queued for a disabled endpoint
    replay = await gql.ok(REPLAY, id=delivery["id"])
    assert replay["replayWebhookDelivery"]["field"] == "endpointId"


async def test_exhausted_schedule_fails_and_disables_a_failing_endpoint(gql: GraphQLClient, receiver: Receiver) -> None:
    receiver.answer(Reply(500), Reply(503, {"retry-after": "1"}), Reply(500))
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    [delivery] = await settled(gql, created["endpoint"]["id"], 1)
    assert delivery["status"] == "FAILED" and delivery["attemptCount"] == 3  # FAST: 3 attempts
    first, second = delivery["attempts"][0]["at"], delivery["attempts"][1]["at"]
    assert first < second
    endpoint = await deliveries(gql, created["endpoint"]["id"])
    assert (endpoint["status"], endpoint["disabledReason"]) == ("DISABLED", "FAILING")
    audit = await gql.ok("{ auditLog(first: 5) { edges { node { action actor details } } } }")
    [entry] = [e["node"] for e in audit["auditLog"]["edges"] if e["node"]["action"] == "webhookEndpointDisabled"]
    assert entry["actor"] == "webhooks" and entry["details"]["reason"] == "FAILING"
    assert len(receiver.verified(created["secret"])) == 3
    # Enabled again, replayed: the same message, the schedule restarted, and it succeeds now.
    await gql.ok(ENABLE, id=created["endpoint"]["id"])
    [message] = await WebhookMessage.all()
    since = message.created_at.isoformat()
    count = await gql.ok(REPLAY_FAILED, id=created["endpoint"]["id"], since=since)
    assert count["replayFailedWebhookDeliveries"]["count"] == 1
    requests = await receiver.wait_for(4)
    assert requests[3].headers["webhook-id"] == requests[0].headers["webhook-id"]
    [done] = await settled(gql, created["endpoint"]["id"], 1)
    assert done["status"] == "SUCCEEDED" and done["attemptCount"] == 4


async def test_a_failed_delivery_does_not_disable_an_endpoint_that_succeeds(
    gql: GraphQLClient, receiver: Receiver
) -> None:
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    product = await create_product(gql)
    aff = await payable_affiliate(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=aff)
    await settled(gql, created["endpoint"]["id"], 1)
    receiver.answer(Reply(500), Reply(500), Reply(500))
    await record_sale(gql, externalId="s-2", productId=product, affiliateId=aff)
    done = await settled(gql, created["endpoint"]["id"], 2)
    assert sorted(d["status"] for d in done) == ["FAILED", "SUCCEEDED"]
    assert (await deliveries(gql, created["endpoint"]["id"]))["status"] == "ENABLED"


async def test_replay_of_a_success_keeps_it_succeeded(gql: GraphQLClient, receiver: Receiver) -> None:
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    test = (await gql.ok(TEST, id=created["endpoint"]["id"]))["sendTestWebhook"]["delivery"]
    assert test["message"]["type"] == "webhook.test"
    assert test["message"]["payload"]["data"] == {"endpointId": created["endpoint"]["id"]}
    [delivery] = await settled(gql, created["endpoint"]["id"], 1)
    receiver.answer(Reply(500))
    replayed = (await gql.ok(REPLAY, id=delivery["id"]))["replayWebhookDelivery"]["delivery"]
    assert replayed["status"] == "SUCCEEDED" and replayed["nextAttemptAt"] is not None
    requests = await receiver.wait_for(2)
    assert (
        requests[0].body == requests[1].body and requests[0].headers["webhook-id"] == requests[1].headers["webhook-id"]
    )
    [after] = await settled(gql, created["endpoint"]["id"], 1)
    while after["attemptCount"] < 2:
        await asyncio.sleep(0.1)
        [after] = await settled(gql, created["endpoint"]["id"], 1)
    assert after["status"] == "SUCCEEDED" and after["succeededAt"] == delivery["succeededAt"]
    assert after["nextAttemptAt"] is None and after["lastResponseCode"] == 500
    assert len(receiver.verified(created["secret"])) == 2


async def test_disable_cancels_pending_deliveries(gql: GraphQLClient, settings: Settings) -> None:
    created = await create_endpoint(gql, "http://127.0.0.1:9/unreachable", "sale.recorded")
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    await gql.ok(DISABLE, id=created["endpoint"]["id"])
    [delivery] = await WebhookDelivery.all()
    assert delivery.status.value == "CANCELLED" and delivery.next_attempt_at is None
    data = await deliveries(gql, created["endpoint"]["id"], "CANCELLED")
    assert data["deliveries"]["totalCount"] == 1
    await gql.ok(DELETE, id=created["endpoint"]["id"])
    assert await WebhookDelivery.all().count() == 0 and await WebhookAttempt.all().count() == 0


async def test_a_replay_goes_to_the_url_of_now(gql: GraphQLClient, receiver: Receiver) -> None:
    created = await create_endpoint(gql, "http://127.0.0.1:9/gone", "sale.recorded")  # nothing listens there
    endpoint_id = created["endpoint"]["id"]
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    [failed] = await settled(gql, endpoint_id, 1)
    assert failed["status"] == "FAILED" and all(a["error"] for a in failed["attempts"])
    await gql.ok(UPDATE, input={"endpointId": endpoint_id, "url": receiver.url})
    await gql.ok(ENABLE, id=endpoint_id)
    replayed = (await gql.ok(REPLAY, id=failed["id"]))["replayWebhookDelivery"]["delivery"]
    assert replayed["status"] == "PENDING"
    [request] = await receiver.wait_for(1)
    assert request.headers["webhook-id"] == failed["message"]["messageId"]
    assert receiver.verified(created["secret"])


async def test_one_log_line_per_attempt_without_secrets_or_bodies(
    gql: GraphQLClient, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    receiver.answer(Reply(500, body=b"receiver-private-text"))
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    [delivery] = await settled(gql, created["endpoint"]["id"], 1)
    lines = [r.getMessage() for r in caplog.records if r.name == "payouts.webhooks.deliveries"]
    assert len(lines) == delivery["attemptCount"] == 2
    assert all(created["endpoint"]["id"] in line and delivery["message"]["messageId"] in line for line in lines)
    assert "result=500" in lines[0] and "result=200" in lines[1]
    everything = caplog.text
    assert created["secret"] not in everything and created["secret"][6:] not in everything
    assert "receiver-private-text" not in everything and "s-1" not in everything  # no response body, no webhook body
    assert "v1," not in everything  # no signature


async def test_settled_deliveries_and_their_messages_are_pruned_after_30_days(
    gql: GraphQLClient, receiver: Receiver, clock: MovableClock
) -> None:
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    product = await create_product(gql)
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=await payable_affiliate(gql))
    await settled(gql, created["endpoint"]["id"], 1)
    assert await prune(clock() + timedelta(days=29)) == 0
    assert await prune(clock() + timedelta(days=31)) > 0
    assert await WebhookDelivery.all().count() == 0 and await WebhookMessage.all().count() == 0
    assert await WebhookAttempt.all().count() == 0


async def test_a_page_of_deliveries_costs_the_same_statements_whatever_its_size(
    database_url: str, clock: MovableClock
) -> None:
    """Without the worker and the maturity clock (their polling would be counted): the page's own
    statements, for 5 or 50 deliveries."""
    quiet = Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        admin_token=ADMIN_TOKEN,
        clock=clock,
        maturity_clock=False,
        webhooks=WebhookSettings(worker=False, allow_private=True),
    )
    async with LifespanManager(create_app(quiet), startup_timeout=60, shutdown_timeout=60) as manager:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://t") as http:
            gql = GraphQLClient(http)
            created = await create_endpoint(gql, "http://127.0.0.1:9/x", "sale.recorded")
            product = await create_product(gql)
            aff = await payable_affiliate(gql)
            for n in range(50):
                await record_sale(gql, externalId=f"s-{n}", productId=product, affiliateId=aff)
            statements: list[str] = []
            handler = logging.Handler(logging.DEBUG)
            handler.emit = lambda record: statements.append(record.getMessage())  # type: ignore[method-assign]
            logger = logging.getLogger("tortoise.db_client")
            previous = logger.level
            logger.setLevel(logging.DEBUG)
            logger.addHandler(handler)
            counts = {}
            try:
                for size in (5, 50):
                    statements.clear()
                    data = await gql.ok(
                        f"query($id: ID!, $first: Int) {{ node(id: $id) {{ ... on WebhookEndpoint {{ "
                        f"deliveries(first: $first) {{ edges {{ node {{ {DELIVERY} }} }} }} }} }} }}",
                        id=created["endpoint"]["id"],
                        first=size,
                    )
                    assert len(data["node"]["deliveries"]["edges"]) == size
                    counts[size] = len(statements)
            finally:
                logger.removeHandler(handler)
                logger.setLevel(previous)
            assert counts[5] == counts[50] <= 6, counts


async def test_rotating_again_drops_the_oldest_secret(gql: GraphQLClient, receiver: Receiver) -> None:
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    first = created["secret"]
    second = (await gql.ok(ROTATE, id=created["endpoint"]["id"], hours=24))["rotateWebhookSecret"]["secret"]
    third = (await gql.ok(ROTATE, id=created["endpoint"]["id"], hours=24))["rotateWebhookSecret"]["secret"]
    await gql.ok(TEST, id=created["endpoint"]["id"])
    [request] = await receiver.wait_for(1)
    assert len(request.headers["webhook-signature"].split(" ")) == 2
    assert receiver.verified(third) and receiver.verified(second)
    with pytest.raises(AssertionError, match="did not verify"):
        receiver.verified(first)
    fourth = (await gql.ok(ROTATE, id=created["endpoint"]["id"], hours=0))["rotateWebhookSecret"]
    assert fourth["endpoint"]["previousSecretExpiresAt"] is None
    await gql.ok(TEST, id=created["endpoint"]["id"])
    requests = await receiver.wait_for(2)
    assert len(requests[1].headers["webhook-signature"].split(" ")) == 1  # no overlap: the new one alone


async def test_retry_after_and_timeouts(gql: GraphQLClient, receiver: Receiver) -> None:
    """FAST's schedule waits 1 s; a 503 asking for 3 s is waited for. A receiver slower than the 2 s
    timeout is a failed attempt without a status."""
    receiver.answer(Reply(503, {"retry-after": "3"}), Reply(200, delay=3.0))
    created = await create_endpoint(gql, receiver.url, "sale.recorded")
    await gql.ok(TEST, id=created["endpoint"]["id"])
    [delivery] = await settled(gql, created["endpoint"]["id"], 1)
    assert delivery["status"] == "SUCCEEDED" and delivery["attemptCount"] == 3
    first, second, third = delivery["attempts"]
    assert first["responseCode"] == 503
    assert datetime.fromisoformat(second["at"]) - datetime.fromisoformat(first["at"]) >= timedelta(seconds=3)
    assert (second["responseCode"], second["error"]) == (None, "timeout after 2 s")
    assert 2000 <= second["durationMs"] < 2900
    assert third["responseCode"] == 200


async def test_every_commission_of_a_sale_is_listed(gql: GraphQLClient) -> None:
    """Rule 16: a recruit's sale earns its recruiter a SECOND_TIER commission; both are in the payloads."""
    await create_endpoint(gql, "https://hooks.example.com/x", "sale.recorded", "sale.refunded")
    product = await create_product(gql, secondTierCommissionPercent="5")
    ann = await payable_affiliate(gql)
    rita = await payable_affiliate(gql, "Rita Roe")
    answer = await gql.ok(
        "mutation($a: ID!, $r: ID) { setRecruiter(affiliateId: $a, recruiterId: $r) { __typename } }", a=ann, r=rita
    )
    assert answer["setRecruiter"]["__typename"] == "SetRecruiterSuccess"
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=ann)
    await gql.ok(REFUND, input={"externalId": "s-1", "amount": {"amount": "100.10", "currency": "USD"}})
    messages = {
        e["node"]["type"]: e["node"]["payload"]["data"] for e in (await gql.ok(MESSAGES))["webhookMessages"]["edges"]
    }
    sold = messages["sale.recorded"]["commissions"]
    assert [(c["role"], c["payeeId"], c["amount"]["amount"]) for c in sold] == [
        ("AFFILIATE", ann, "10.01"),
        ("SECOND_TIER", rita, "5.01"),
    ]
    assert len({c["commissionId"] for c in sold}) == 2
    refunded = messages["sale.refunded"]["commissions"]
    assert [(c["role"], c["reduction"]["amount"], c["amount"]["amount"]) for c in refunded] == [
        ("AFFILIATE", "10.01", "0.00"),
        ("SECOND_TIER", "5.01", "0.00"),
    ]
    assert [c["commissionId"] for c in refunded] == [c["commissionId"] for c in sold]
    for c in sold:
        node = await gql.ok("query($id: ID!) { node(id: $id) { ... on Commission { role } } }", id=c["commissionId"])
        assert node["node"]["role"] == c["role"]
