"""Rule 13 through the real app: Stripe events, HMAC-signed as Stripe signs them, posted to /webhooks/stripe."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager

from server.app import create_app
from server.config import Settings
from tests.api import BALANCES, ERROR, add_paypal, create_affiliate, create_product
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient, on_postgres
from tests.live import Live
from tests.servers import start_server
from tests.stripe import OLD_SECRET, SECRET, charge, checkout_session, deliver, dispute, event, invoice, sign
from tests.ws import subscribe

EVENTS = """query($status: ProcessorEventStatus, $first: Int, $after: String) {
  processorEvents(status: $status, first: $first, after: $after) {
    totalCount pageInfo { hasNextPage endCursor }
    edges { node { id eventId type status reason receivedAt sale { externalId } } } } }"""
SALES = f"""query($id: ID!) {{ node(id: $id) {{ ... on Affiliate {{ paymentStatus incompleteReasons {{ reason message }}
  {BALANCES} sales {{ totalCount edges {{ node {{ externalId amount {{ amount currency }} commission {{ amount }}
  refunded {{ amount }} status occurredAt subscriptionId renewal commissionEndedReason
  installments {{ amount {{ amount }} state }} }} }} }} }} }} }}"""


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        admin_token=ADMIN_TOKEN,
        stripe_webhook_secrets=(SECRET, OLD_SECRET),
        stripe_mode="test",
    )


async def referral_code(gql: GraphQLClient, affiliate_id: str) -> str:
    data = await gql.ok("query($id: ID!) { node(id: $id) { ... on Affiliate { referralCode } } }", id=affiliate_id)
    return str(data["node"]["referralCode"])


async def sales_of(gql: GraphQLClient, affiliate_id: str) -> dict[str, Any]:
    return (await gql.ok(SALES, id=affiliate_id))["node"]


async def events(gql: GraphQLClient, **variables: Any) -> dict[str, Any]:
    return (await gql.ok(EVENTS, **variables))["processorEvents"]


async def program(gql: GraphQLClient) -> tuple[str, str, str]:
    """A 10% USD product known to Stripe by its price id, and an approved affiliate with PayPal on file."""
    product = await create_product(gql, externalId="price_1PqCourse")
    ann = await create_affiliate(gql, "Ann Lee", referralCode="ann-lee")
    await add_paypal(gql, ann)
    return product, ann, "ann-lee"


# --- the signature -------------------------------------------------------------------------------


async def test_only_correctly_signed_recent_events_are_recorded(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    await program(gql)
    session = checkout_session(amount=10010, affiliate="ann-lee", product="price_1PqCourse")
    evt = event("checkout.session.completed", session)
    body = json.dumps(evt).encode()
    now = int(time.time())
    refused = {
        "no header": await client.post("/webhooks/stripe", content=body),
        "wrong secret": await deliver(client, body, secret="whsec_someone_else"),
        "older than 300 s": await deliver(client, body, timestamp=now - 301),
        "300 s in the future": await deliver(client, body, timestamp=now + 301),
        "body changed after signing": await deliver(client, body + b" ", signature=sign(body)),
        "v0 only": await deliver(client, body, signature=sign(body).replace("v1=", "v0=")),
        "garbage header": await deliver(client, body, signature="t=abc,v1=zz"),
        "non-ascii signature": await deliver(client, body, signature=f"t={now},v1=\u00e9\u00e9".encode("latin-1")),
        "no timestamp": await deliver(client, body, signature=sign(body).split(",")[1]),
    }
    for label, response in refused.items():
        assert response.status_code == 400, (label, response.status_code, response.text)
    assert (await events(gql))["totalCount"] == 0, "a refused delivery recorded something"

    # Any v1 may match (Stripe sends several while a secret rolls), and any configured secret.
    several = f"{sign(body, 'whsec_old_one')},v1={sign(body).split('v1=')[1]}"
    assert (await deliver(client, body, signature=several)).status_code == 200
    rotated = event(
        "checkout.session.completed", checkout_session(amount=500, affiliate="ann-lee", product="price_1PqCourse")
    )
    assert (await deliver(client, rotated, secret=OLD_SECRET)).status_code == 200
    assert (await deliver(client, event("ping.test", {"id": "x"}), timestamp=int(time.time()) - 280)).status_code == 200
    assert (await events(gql))["totalCount"] == 3


async def test_the_route_is_404_without_a_secret(database_url: str) -> None:
    app = create_app(Settings(database_url=database_url, secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN))
    async with (
        LifespanManager(app, startup_timeout=60, shutdown_timeout=60) as manager,
        httpx.AsyncClient(transport=httpx.ASGITransport(app=manager.app), base_url="http://payouts.test") as http,
    ):
        response = await deliver(http, event("checkout.session.completed", {"id": "cs_1"}))
        assert response.status_code == 404


# --- checkout, replay, attribution -------------------------------------------------------------


async def test_a_paid_checkout_is_a_sale_booked_once(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    _, ann, code = await program(gql)
    session = checkout_session(amount=10010, affiliate=code, product="price_1PqCourse", payment_intent="pi_3Pq1")
    evt = event("checkout.session.completed", session)
    first = await deliver(client, evt)
    assert first.status_code == 200 and first.json()["status"] == "APPLIED" and not first.json()["replay"]
    again = await deliver(client, evt)  # Stripe retries a delivery it did not see answered
    assert again.status_code == 200 and again.json()["replay"] is True

    ann_now = await sales_of(gql, ann)
    assert ann_now["sales"]["totalCount"] == 1
    sale = ann_now["sales"]["edges"][0]["node"]
    assert sale["externalId"] == "pi_3Pq1" and sale["amount"] == {"amount": "100.10", "currency": "USD"}
    assert sale["commission"] == {"amount": "10.01"} and sale["renewal"] is False
    assert sale["occurredAt"].startswith(time.strftime("%Y-%m-%dT", time.gmtime(session["created"])))
    assert ann_now["balances"][0]["due"] == {"amount": "10.01"} and ann_now["paymentStatus"] == "DUE"
    listed = await events(gql)
    assert listed["totalCount"] == 1
    node = listed["edges"][0]["node"]
    assert node["eventId"] == evt["id"] and node["status"] == "APPLIED" and node["sale"] == {"externalId": "pi_3Pq1"}
    audit = await gql.ok('{ auditLog(action: "recordSale") { edges { node { actor } } } }')
    assert [e["node"]["actor"] for e in audit["auditLog"]["edges"]] == [f"stripe:{evt['id']}"]


async def test_attribution_by_code_or_id_metadata_wins_and_unknowns_are_ignored(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    product, ann, code = await program(gql)
    bob = await create_affiliate(gql, "Bob Ray", referralCode="bob")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"client_reference_id": ann, "product": product}, ann),  # global ids both
        ({"client_reference_id": "bob", "product": "price_1PqCourse"}, bob),
        ({"affiliate": code, "client_reference_id": "bob", "product": "price_1PqCourse"}, ann),  # metadata wins
    ]
    for refs, owner in cases:
        response = await deliver(client, event("checkout.session.completed", checkout_session(amount=2000, **refs)))
        assert response.json()["status"] == "APPLIED", refs
        assert (await sales_of(gql, owner))["sales"]["totalCount"] >= 1
    assert (await sales_of(gql, ann))["sales"]["totalCount"] == 2
    ignored: list[tuple[dict[str, Any], str]] = [
        ({"affiliate": "nobody", "product": "price_1PqCourse"}, "nobody"),
        ({"affiliate": code, "product": "price_unknown"}, "price_unknown"),
        ({"product": "price_1PqCourse"}, "no affiliate"),
        ({"affiliate": code}, "no product"),
    ]
    for refs, why in ignored:
        response = await deliver(client, event("checkout.session.completed", checkout_session(amount=2000, **refs)))
        assert response.status_code == 200 and response.json()["status"] == "IGNORED", refs
        assert why in response.json()["reason"], response.json()
    assert (await events(gql, status="IGNORED"))["totalCount"] == 4
    assert (await events(gql, status="APPLIED"))["totalCount"] == 3


async def test_zero_decimal_currency(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    await create_product(
        gql, name="Ebook", price={"amount": "4800", "currency": "JPY"}, commissionPercent="35", externalId="price_jpy"
    )
    ann = await create_affiliate(gql, "Ann Lee", referralCode="ann")
    await deliver(
        client,
        event(
            "checkout.session.completed",
            checkout_session(amount=4800, currency="jpy", affiliate="ann", product="price_jpy"),
        ),
    )
    sale = (await sales_of(gql, ann))["sales"]["edges"][0]["node"]
    assert sale["amount"] == {"amount": "4800", "currency": "JPY"} and sale["commission"] == {"amount": "1680"}


# --- subscriptions and renewals ----------------------------------------------------------------


async def test_a_subscription_checkout_attributes_its_invoices_and_renewals(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    await create_product(
        gql,
        name="Pro monthly",
        price={"amount": "29.00", "currency": "USD"},
        commissionPercent="30",
        externalId="price_pro_m",
        renewalCommissionPercent="10",
        renewalPayments=2,
    )
    ann = await create_affiliate(gql, "Ann Lee", referralCode="ann")
    session = checkout_session(
        amount=2900,
        mode="subscription",
        client_reference_id="ann",
        product="price_pro_m",
        customer="cus_Q1",
        subscription="sub_Q1",
    )
    started = await deliver(client, event("checkout.session.completed", session))
    assert started.json()["status"] == "APPLIED"
    assert (await sales_of(gql, ann))["sales"]["totalCount"] == 0, "the first invoice is the sale, not the checkout"

    month = 31 * 24 * 3600
    t0 = int(time.time()) - 4 * month
    reasons = ["subscription_create", "subscription_cycle", "subscription_cycle", "subscription_cycle"]
    for n, reason in enumerate(reasons):  # no metadata at all: the subscription was attributed
        inv = invoice(
            amount=2900,
            customer="cus_Q1",
            subscription="sub_Q1",
            billing_reason=reason,
            paid_at=t0 + n * month,
            payment_intent=f"pi_Q1_{n}",
        )
        response = await deliver(client, event("invoice.paid", inv))
        assert response.json()["status"] == "APPLIED", response.json()
    sales = [e["node"] for e in (await sales_of(gql, ann))["sales"]["edges"]][::-1]
    assert [(s["externalId"], s["renewal"], s["commission"]["amount"], s["commissionEndedReason"]) for s in sales] == [
        ("pi_Q1_0", False, "8.70", None),
        ("pi_Q1_1", True, "2.90", None),
        ("pi_Q1_2", True, "2.90", None),
        ("pi_Q1_3", True, "0.00", "renewalPayments: only the first 2 renewals earn"),
    ]
    assert {s["subscriptionId"] for s in sales} == {"sub_Q1"}
    # An invoice that paid nothing (a trial) books nothing.
    trial = invoice(amount=0, customer="cus_Q1", subscription="sub_Q1")
    assert (await deliver(client, event("invoice.paid", trial))).json()["status"] == "IGNORED"


async def test_an_invoice_of_a_newer_api_version_names_its_subscription_under_parent(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    await create_product(gql, externalId="price_new")
    ann = await create_affiliate(gql, "Ann Lee", referralCode="ann")
    inv = invoice(amount=10010, customer="cus_N", subscription="sub_N", billing_reason="subscription_create")
    del inv["subscription"], inv["payment_intent"]
    inv["parent"] = {
        "type": "subscription_details",
        "subscription_details": {"subscription": "sub_N", "metadata": {"affiliate": "ann", "product": "price_new"}},
    }
    assert (await deliver(client, event("invoice.paid", inv))).json()["status"] == "APPLIED"
    sale = (await sales_of(gql, ann))["sales"]["edges"][0]["node"]
    assert sale["externalId"] == inv["id"] and sale["subscriptionId"] == "sub_N"


# --- refunds ---------------------------------------------------------------------------------------


async def test_refunds_book_the_rise_of_the_running_total(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    _, ann, code = await program(gql)
    await deliver(
        client,
        event(
            "checkout.session.completed",
            checkout_session(amount=10000, affiliate=code, product="price_1PqCourse", payment_intent="pi_R"),
        ),
    )
    first = event("charge.refunded", charge(payment_intent="pi_R", amount=10000, refunded=2500))
    second = event("charge.refunded", charge(payment_intent="pi_R", amount=10000, refunded=4000))
    assert (await deliver(client, first)).json()["status"] == "APPLIED"
    assert (await deliver(client, second)).json()["status"] == "APPLIED"
    late = event("charge.refunded", charge(payment_intent="pi_R", amount=10000, refunded=2500))  # older, arrives late
    response = await deliver(client, late)
    assert response.status_code == 200 and response.json()["status"] == "IGNORED"
    sale = (await sales_of(gql, ann))["sales"]["edges"][0]["node"]
    assert sale["refunded"] == {"amount": "40.00"} and sale["status"] == "PARTIALLY_REFUNDED"
    assert sale["commission"] == {"amount": "6.00"}
    full = event("charge.refunded", charge(payment_intent="pi_R", amount=10000, refunded=10000))
    assert (await deliver(client, full)).json()["status"] == "APPLIED"
    figures = await sales_of(gql, ann)
    assert figures["sales"]["edges"][0]["node"]["status"] == "REFUNDED"
    assert figures["balances"][0]["earned"] == {"amount": "0.00", "currency": "USD"}
    assert figures["paymentStatus"] == "NOTHING_DUE"


async def test_a_refund_that_overtakes_its_sale_is_409_then_applied_on_redelivery(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    _, ann, code = await program(gql)
    refund = event("charge.refunded", charge(payment_intent="pi_Late", amount=10000, refunded=10000))
    early = await deliver(client, refund)
    assert early.status_code == 409 and early.json()["status"] == "PENDING"
    assert (await deliver(client, refund)).status_code == 409, "still no sale: still pending"
    pending = (await events(gql, status="PENDING"))["edges"]
    assert [e["node"]["eventId"] for e in pending] == [refund["id"]] and "pi_Late" in pending[0]["node"]["reason"]
    await deliver(
        client,
        event(
            "checkout.session.completed",
            checkout_session(amount=10000, affiliate=code, product="price_1PqCourse", payment_intent="pi_Late"),
        ),
    )
    redelivered = await deliver(client, refund)
    assert redelivered.status_code == 200 and redelivered.json()["status"] == "APPLIED"
    assert (await deliver(client, refund)).json()["replay"] is True
    sale = (await sales_of(gql, ann))["sales"]["edges"][0]["node"]
    assert sale["status"] == "REFUNDED" and sale["commission"] == {"amount": "0.00"}
    assert (await events(gql, status="PENDING"))["totalCount"] == 0


# --- disputes ------------------------------------------------------------------------------------


async def test_a_dispute_holds_the_commission_and_a_won_one_releases_it(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    _, ann, code = await program(gql)
    await deliver(
        client,
        event(
            "checkout.session.completed",
            checkout_session(amount=10010, affiliate=code, product="price_1PqCourse", payment_intent="pi_D"),
        ),
    )
    opened = dispute(payment_intent="pi_D", amount=10010)
    assert (await deliver(client, event("charge.dispute.created", opened))).json()["status"] == "APPLIED"
    held = await sales_of(gql, ann)
    assert held["paymentStatus"] == "DUE_INCOMPLETE"
    assert held["incompleteReasons"] == [{"reason": "DISPUTED", "message": "USD 10.01 held until its dispute closes"}]
    balance = held["balances"][0]
    assert balance["reserve"] == {"amount": "10.01"} and balance["due"] == {"amount": "0.00"}
    assert held["sales"]["edges"][0]["node"]["installments"] == [{"amount": {"amount": "10.01"}, "state": "DISPUTED"}]
    export = await gql.ok(f"""mutation {{ exportPaymentDetails(input: {{scope: PREFERRED}}) {{ {ERROR}
      ... on ExportPaymentDetailsSuccess {{ export {{ groups {{ affiliateCount }} skipped {{ reason }} }} }} }} }}""")
    assert export["exportPaymentDetails"]["export"]["groups"] == [], "disputed commission was exported"

    won = {**opened, "status": "won"}
    closed = await deliver(client, event("charge.dispute.closed", won))
    assert closed.json()["status"] == "APPLIED"
    released = await sales_of(gql, ann)
    assert released["paymentStatus"] == "DUE" and released["balances"][0]["due"] == {"amount": "10.01"}
    assert released["sales"]["edges"][0]["node"]["status"] == "COMPLETED"


async def test_a_lost_dispute_is_a_chargeback_of_the_disputed_amount(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    _, ann, code = await program(gql)
    for pi in ("pi_Part", "pi_Whole"):
        await deliver(
            client,
            event(
                "checkout.session.completed",
                checkout_session(amount=10000, affiliate=code, product="price_1PqCourse", payment_intent=pi),
            ),
        )
    for pi, amount in (("pi_Part", 4000), ("pi_Whole", 10000)):
        opened = dispute(payment_intent=pi, amount=amount)
        await deliver(client, event("charge.dispute.created", opened))
        assert (await deliver(client, event("charge.dispute.closed", {**opened, "status": "lost"}))).status_code == 200
    by_id = {e["node"]["externalId"]: e["node"] for e in (await sales_of(gql, ann))["sales"]["edges"]}
    assert (by_id["pi_Part"]["status"], by_id["pi_Part"]["refunded"], by_id["pi_Part"]["commission"]) == (
        "PARTIALLY_REFUNDED",
        {"amount": "40.00"},
        {"amount": "6.00"},
    )
    assert (by_id["pi_Whole"]["status"], by_id["pi_Whole"]["commission"]) == ("CHARGED_BACK", {"amount": "0.00"})
    assert by_id["pi_Part"]["installments"] == [{"amount": {"amount": "6.00"}, "state": "DUE"}]


async def test_a_dispute_that_overtakes_its_sale_waits_and_a_close_that_overtakes_its_open_sticks(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    _, ann, code = await program(gql)
    opened = dispute(payment_intent="pi_O", amount=10000)
    created_evt = event("charge.dispute.created", opened)
    assert (await deliver(client, created_evt)).status_code == 409
    await deliver(
        client,
        event(
            "checkout.session.completed",
            checkout_session(amount=10000, affiliate=code, product="price_1PqCourse", payment_intent="pi_O"),
        ),
    )
    assert (await deliver(client, event("charge.dispute.closed", {**opened, "status": "warning_closed"}))).json()[
        "status"
    ] == "APPLIED"
    assert (await deliver(client, created_evt)).status_code == 200  # the redelivered open comes after its close
    assert (await sales_of(gql, ann))["paymentStatus"] == "DUE", "a closed dispute must not hold again"


# --- what is not booked, and what never breaks --------------------------------------------------


async def test_unknown_types_and_hostile_payloads_never_break_anything(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    _, ann, code = await program(gql)
    unknown = await deliver(client, event("customer.created", {"id": "cus_X", "object": "customer"}))
    assert unknown.status_code == 200 and unknown.json()["status"] == "IGNORED"
    not_events = [
        b"",
        b"not json",
        b"[]",
        b'"evt"',
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"id": 1, "type": "x"}',
        b'{"id": "evt_1", "type": "invoice.paid"}',
        b'{"id": "evt_1", "type": "x", "data": []}',
    ]
    for body in not_events:
        response = await deliver(client, body)
        assert response.status_code == 400, (body[:20], response.status_code)
    hostile_sessions: list[dict[str, Any]] = [
        {"amount_total": "10000"},
        {"amount_total": -5},
        {"amount_total": 10.5},
        {"amount_total": 10**30},
        {"currency": 840},
        {"currency": "xyz"},
        {"currency": "us"},
        {"metadata": ["affiliate", code]},
        {"metadata": {"affiliate": {"$ne": None}}},
        {"payment_intent": ["pi"]},
        {"created": 10**15},
        {"created": int(time.time()) + 86400 * 30},
        {"metadata": {"affiliate": "x" * 10_000, "product": "price_1PqCourse"}},
        {"amount_total": 0},
        {"payment_status": "unpaid"},
        {"mode": None},
    ]
    for change in hostile_sessions:
        session = {**checkout_session(amount=10000, affiliate=code, product="price_1PqCourse"), **change}
        response = await deliver(client, event("checkout.session.completed", session))
        assert response.status_code == 200 and response.json()["status"] == "IGNORED", (change, response.text)
    cases_of_kind: list[tuple[str, dict[str, Any]]] = [
        ("charge.refunded", {"payment_intent": None}),
        ("charge.dispute.closed", {"id": "dp_1"}),
        ("invoice.paid", {"amount_paid": True}),
        ("charge.refunded", {"payment_intent": "pi_x", "amount_refunded": "1"}),
    ]
    for kind, obj in cases_of_kind:
        response = await deliver(client, event(kind, obj))
        assert response.status_code == 200 and response.json()["status"] == "IGNORED", (kind, response.text)
    big = await deliver(client, b"{" + b" " * (600 * 1024) + b"}")
    assert big.status_code == 413
    assert (await sales_of(gql, ann))["sales"]["totalCount"] == 0


async def test_process_events_pages_newest_first_for_admin_and_viewer(
    client: httpx.AsyncClient, gql: GraphQLClient
) -> None:
    from models.enums import Role
    from models.ledger import access

    sent = [event("customer.created", {"id": f"cus_{n}"}) for n in range(5)]
    for evt in sent:
        await deliver(client, evt)
    paged: list[str] = []
    after = None
    while True:
        page = await events(gql, first=2, after=after)
        assert page["totalCount"] == 5
        paged += [e["node"]["eventId"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert paged == [e["id"] for e in reversed(sent)]
    _, viewer = await access.create_token("test", Role.VIEWER)
    assert (await gql.as_token(viewer).ok(EVENTS))["processorEvents"]["totalCount"] == 5


async def test_the_same_event_delivered_concurrently_books_once(client: httpx.AsyncClient, gql: GraphQLClient) -> None:
    _, ann, code = await program(gql)
    evt = event("checkout.session.completed", checkout_session(amount=10000, affiliate=code, product="price_1PqCourse"))
    responses = await asyncio.gather(*(deliver(client, evt) for _ in range(6)))
    assert sorted(r.json()["replay"] for r in responses) == [False] + [True] * 5
    assert (await sales_of(gql, ann))["sales"]["totalCount"] == 1


@pytest.mark.skipif(not on_postgres(), reason="several server processes need PostgreSQL")
async def test_two_workers_receiving_the_same_events_at_once_book_each_once(
    database_url: str, tmp_path: Path, gql: GraphQLClient
) -> None:
    """Two real server processes on one database; each event is posted to both at the same moment."""
    product, ann, code = await program(gql)
    env = {"PAYOUTS_STRIPE_WEBHOOK_SECRET": f"{SECRET},{OLD_SECRET}", "PAYOUTS_PUBSUB_URL": database_url}
    first = await start_server(database_url, tmp_path / "a.log", env=env)
    second = await start_server(database_url, tmp_path / "b.log", env=env)
    try:
        async with httpx.AsyncClient(base_url=first.url) as a, httpx.AsyncClient(base_url=second.url) as b:
            sent = [
                event(
                    "checkout.session.completed",
                    checkout_session(
                        amount=10000, affiliate=code, product="price_1PqCourse", payment_intent=f"pi_W{n}"
                    ),
                )
                for n in range(8)
            ]
            sent += [
                event("charge.refunded", charge(payment_intent=f"pi_W{n}", amount=10000, refunded=2500))
                for n in range(8)
            ]
            for evt in sent:
                responses = await asyncio.gather(deliver(a, evt), deliver(b, evt), deliver(a, evt), deliver(b, evt))
                assert {r.status_code for r in responses} == {200}, [r.text for r in responses]
                assert sorted(r.json()["replay"] for r in responses) == [False, True, True, True], evt["type"]
    finally:
        await first.stop()
        await second.stop()
    figures = await sales_of(gql, ann)
    assert figures["sales"]["totalCount"] == 8
    assert {e["node"]["refunded"]["amount"] for e in figures["sales"]["edges"]} == {"25.00"}
    assert figures["balances"][0]["earned"] == {"amount": "60.00", "currency": "USD"}
    assert (await events(gql))["totalCount"] == 16


async def test_booked_events_are_announced_live(live: Live) -> None:
    """payoutBecameDue follows a webhook as it follows the API: a paid checkout, then a lifted dispute hold."""
    gql = live.gql
    await create_product(gql, externalId="price_1PqCourse")
    ann = await create_affiliate(gql, "Ann Lee", referralCode="ann-lee")
    await add_paypal(gql, ann)
    async with httpx.AsyncClient(base_url=live.url) as http, subscribe(live.url, gql.token, ann) as stream:
        await live.subscribed()
        await deliver(
            http,
            event(
                "checkout.session.completed",
                checkout_session(
                    amount=10010, affiliate="ann-lee", product="price_1PqCourse", payment_intent="pi_Live"
                ),
            ),
        )
        sold = await stream.next()
        assert (sold["cause"], sold["newlyDue"]) == ("SALE_RECORDED", [{"amount": "10.01", "currency": "USD"}])
        opened = dispute(payment_intent="pi_Live", amount=10010)
        await deliver(http, event("charge.dispute.created", opened))
        await stream.nothing_within(0.3)
        await deliver(http, event("charge.dispute.closed", {**opened, "status": "won"}))
        lifted = await stream.next()
        assert (lifted["cause"], lifted["newlyDue"]) == ("REQUIREMENTS_MET", [{"amount": "10.01", "currency": "USD"}])
