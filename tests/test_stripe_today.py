"""Rule 21 (payout-rules-3.md): Stripe's events as Stripe sends them today, against a real server.

Objects come from Stripe's published fixtures of the current API (tests/fixtures/stripe_basil.json)
beside the older shape (tests/stripe.py), signed with stripe-python's signer and posted over real
HTTP to the app served by uvicorn: issue 16's rows 2, 3, 4, 7 and 8 (disputes, livemode).
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from server.config import Settings, stripe_mode
from tests.api import add_paypal, create_affiliate, create_product
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient, on_postgres
from tests.clock import MovableClock
from tests.live import Live
from tests.servers import read, start_server
from tests.stripe import (
    SECRET,
    basil_charge,
    basil_checkout,
    basil_dispute,
    basil_event,
    basil_invoice,
    body_of,
    checkout_session,
    deliver,
    event,
    invoice,
    invoice_payment,
    sign,
    stripe_id,
)
from tests.test_stripe_webhooks import events, sales_of

HOUR = 3600


@pytest.fixture
def settings(database_url: str, clock: MovableClock) -> Settings:
    return Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        admin_token=ADMIN_TOKEN,
        clock=clock,
        stripe_webhook_secrets=(SECRET,),
        stripe_mode="test",
    )


async def program(gql: GraphQLClient) -> str:
    """A 10% course (price_1PqCourse), a 10% ebook (price_1PqEbook), and Ann with PayPal on file."""
    await create_product(gql, externalId="price_1PqCourse")
    await create_product(gql, name="Ebook", externalId="price_1PqEbook")
    ann = await create_affiliate(gql, "Ann Lee", referralCode="ann-lee")
    await add_paypal(gql, ann)
    return ann


async def post(http: httpx.AsyncClient, evt: dict[str, Any], status: int = 200) -> dict[str, Any]:
    response = await deliver(http, evt)
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    return body


def sales(node: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in node["sales"]["edges"]]


# --- row 2: both API shapes, invoice_payment.paid links the payment to the invoice -----------------


@pytest.mark.parametrize("link_first", [False, True])
async def test_a_basil_invoice_gets_its_refunds_and_one_chargeback_per_dispute(live: Live, link_first: bool) -> None:
    gql = live.gql
    ann = await program(gql)
    customer, subscription, pi = stripe_id("cus"), stripe_id("sub"), stripe_id("pi")
    async with httpx.AsyncClient(base_url=live.url) as http:
        started = checkout_session(
            amount=10010,
            affiliate="ann-lee",
            product="price_1PqCourse",
            mode="subscription",
            customer=customer,
            subscription=subscription,
        )
        assert (await post(http, basil_event("checkout.session.completed", started)))["status"] == "APPLIED"
        paid = basil_invoice(amount=10010, customer=customer, subscription=subscription, price="price_1PqCourse")
        link = basil_event("invoice_payment.paid", invoice_payment(invoice=paid["id"], payment_intent=pi, amount=10010))
        if link_first:
            assert (await post(http, link))["status"] == "APPLIED"
        booked = await post(http, basil_event("invoice.paid", paid))
        assert booked["status"] == "APPLIED", booked
        if not link_first:
            assert (await post(http, link))["status"] == "APPLIED"
        [sale] = sales(await sales_of(gql, ann))
        assert sale["externalId"] == paid["id"] and sale["subscriptionId"] == subscription
        assert sale["commission"] == {"amount": "10.01"}

        # The charge names only its PaymentIntent (no invoice since basil): the link finds the sale.
        refunded = await post(
            http, basil_event("charge.refunded", basil_charge(payment_intent=pi, amount=10010, refunded=4000))
        )
        assert refunded["status"] == "APPLIED", refunded
        dispute_id = stripe_id("dp")
        opened = basil_dispute(payment_intent=pi, amount=6000, status="needs_response", dispute_id=dispute_id)
        assert (await post(http, basil_event("charge.dispute.created", opened)))["status"] == "APPLIED"
        lost = basil_dispute(payment_intent=pi, amount=6000, status="lost", dispute_id=dispute_id)
        assert (await post(http, basil_event("charge.dispute.closed", lost)))["status"] == "APPLIED"
        again = await post(http, basil_event("charge.dispute.closed", lost))  # another event id, same dispute
        assert (again["status"], again["reason"]) == ("IGNORED", f"dispute {dispute_id} closed before")
        [sale] = sales(await sales_of(gql, ann))
        assert sale["refunded"] == {"amount": "100.00"}  # 40.00 refunded + 60.00 charged back, once
        assert sale["commission"] == {"amount": "0.01"}  # 10% of the 0.10 left


async def test_an_old_shape_invoice_books_under_its_payment_intent(live: Live) -> None:
    gql = live.gql
    ann = await program(gql)
    customer, subscription, pi = stripe_id("cus"), stripe_id("sub"), stripe_id("pi")
    async with httpx.AsyncClient(base_url=live.url) as http:
        started = checkout_session(
            amount=5000, affiliate="ann-lee", product="price_1PqCourse", mode="subscription",
            customer=customer, subscription=subscription,
        )  # fmt: skip
        await post(http, event("checkout.session.completed", started))
        old = invoice(amount=5000, customer=customer, subscription=subscription, payment_intent=pi)
        assert (await post(http, event("invoice.paid", old)))["status"] == "APPLIED"
        refund = event("charge.refunded", basil_charge(payment_intent=pi, amount=5000, refunded=5000))
        assert (await post(http, refund))["status"] == "APPLIED"
        [sale] = sales(await sales_of(gql, ann))
        assert sale["externalId"] == pi and sale["status"] == "REFUNDED"


# --- row 3: one purchase, one sale ---------------------------------------------------------------


@pytest.mark.parametrize("invoice_first", [False, True])
async def test_a_checkout_and_its_post_purchase_invoice_are_one_sale(live: Live, invoice_first: bool) -> None:
    gql = live.gql
    ann = await program(gql)
    customer, pi = stripe_id("cus"), stripe_id("pi")
    async with httpx.AsyncClient(base_url=live.url) as http:
        created = basil_invoice(amount=10010, customer=customer, price="price_1PqCourse", billing_reason="manual")
        checkout = basil_checkout(
            amount=10010, payment_intent=pi, invoice=created["id"], customer=customer,
            client_reference_id="ann-lee", metadata={"product": "price_1PqCourse"},
        )  # fmt: skip
        if invoice_first:  # the customer is not attributed yet: the invoice books nothing on its own
            assert (await post(http, basil_event("invoice.paid", created)))["status"] == "IGNORED"
        assert (await post(http, basil_event("checkout.session.completed", checkout)))["status"] == "APPLIED"
        if not invoice_first:
            second = await post(http, basil_event("invoice.paid", created))
            assert (second["status"], second["reason"]) == ("IGNORED", f"booked as checkout {pi}")

        # Later invoices of the attributed customer: the affiliate comes from the customer, never the
        # product: an invoice naming no product books nothing; one whose line's price is a product books it.
        unnamed = basil_invoice(amount=2000, customer=customer, price="price_unknown", billing_reason="manual")
        skipped = await post(http, basil_event("invoice.paid", unnamed))
        assert skipped["status"] == "IGNORED" and skipped["reason"].startswith("no product"), skipped
        ebook = basil_invoice(amount=3000, customer=customer, price="price_1PqEbook", billing_reason="manual")
        assert (await post(http, basil_event("invoice.paid", ebook)))["status"] == "APPLIED"
        booked = sales(await sales_of(gql, ann))
        assert sorted((s["externalId"], s["amount"]["amount"]) for s in booked) == sorted(
            [(pi, "100.10"), (ebook["id"], "30.00")]
        )
        refund = basil_event("charge.refunded", basil_charge(payment_intent=pi, amount=10010, refunded=1000))
        assert (await post(http, refund))["status"] == "APPLIED"


# --- row 4: acknowledge what will never match ----------------------------------------------------


async def test_refunds_and_disputes_of_payments_that_never_get_a_sale_are_acknowledged(live: Live) -> None:
    gql = live.gql
    await program(gql)
    async with httpx.AsyncClient(base_url=live.url) as http:
        # An ordinary customer's purchase (no affiliate): recorded IGNORED, so its refund is final at once.
        ordinary_pi = stripe_id("pi")
        plain = checkout_session(amount=2500, product="price_1PqCourse", payment_intent=ordinary_pi)
        assert (await post(http, event("checkout.session.completed", plain)))["status"] == "IGNORED"
        refund = await post(
            http, basil_event("charge.refunded", basil_charge(payment_intent=ordinary_pi, amount=2500, refunded=2500))
        )
        assert (refund["status"], refund["reason"]) == ("IGNORED", f"no sale for payment_intent {ordinary_pi}")

        # A declined affiliate's sale: the ledger refuses it (IGNORED), and its dispute is final at once.
        await create_affiliate(gql, "Dee Clined", referralCode="dee", approvalStatus="DECLINED")
        declined_pi = stripe_id("pi")
        declined = checkout_session(amount=2500, affiliate="dee", product="price_1PqCourse", payment_intent=declined_pi)
        skipped = await post(http, event("checkout.session.completed", declined))
        assert skipped["status"] == "IGNORED" and skipped["reason"].startswith("AFFILIATE_DECLINED"), skipped
        held = basil_dispute(
            payment_intent=declined_pi, amount=2500, status="needs_response", dispute_id=stripe_id("dp")
        )
        acknowledged = await post(http, basil_event("charge.dispute.created", held))
        assert (acknowledged["status"], acknowledged["reason"]) == (
            "IGNORED",
            f"no sale for payment_intent {declined_pi}",
        )

        # A payment never seen: 409 while it is young (its sale may still come), 200 once an hour old.
        unseen = stripe_id("pi")
        young = basil_event(
            "charge.dispute.created",
            basil_dispute(payment_intent=unseen, amount=900, status="needs_response", dispute_id=stripe_id("dp")),
        )
        for _ in range(2):
            assert (await deliver(http, young)).status_code == 409
        old = basil_event(
            "charge.refunded",
            basil_charge(payment_intent=unseen, amount=900, refunded=900),
            created=int(time.time()) - HOUR - 5,
        )
        assert (await post(http, old))["status"] == "IGNORED"
        live.advance(timedelta(seconds=HOUR + 1))  # the young dispute's redelivery an hour later: acknowledged
        late = await deliver(http, young, timestamp=int(live.clock().timestamp()))
        assert late.status_code == 200 and late.json()["status"] == "IGNORED"
        assert (await events(gql, status="PENDING"))["totalCount"] == 0


# --- row 8: live and test mode -----------------------------------------------------------------------


async def test_events_of_the_other_mode_book_nothing(live: Live) -> None:
    gql = live.gql
    ann = await program(gql)
    async with httpx.AsyncClient(base_url=live.url) as http:
        session = checkout_session(amount=10010, affiliate="ann-lee", product="price_1PqCourse")
        booked = await post(http, basil_event("checkout.session.completed", session, livemode=True))
        assert (booked["status"], booked["reason"]) == ("IGNORED", "live-mode event")
        assert sales(await sales_of(gql, ann)) == []
    assert Settings().stripe_mode == "live" and stripe_mode(" Test ") == "test"
    with pytest.raises(ValueError, match="PAYOUTS_STRIPE_MODE"):
        stripe_mode("sandbox")


# --- rows 7 and 8 on a server process: hostile strings, and live mode by default ---------------------


async def test_hostile_strings_are_400_never_stored_never_logged(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    env = {"PAYOUTS_STRIPE_WEBHOOK_SECRET": SECRET, "PAYOUTS_STRIPE_MODE": "live"}
    server = await start_server(database_url, log, log_level="info", env=env)
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            gql = GraphQLClient(http)
            await program(gql)
            session = checkout_session(amount=10010, affiliate="ann-lee", product="price_1PqCourse")
            hostile = [
                event("checkout.session.completed", session, event_id="evt_\u0000nul"),
                event("checkout.session.completed", {**session, "payment_intent": "pi_\ud800lone"}),
                event("checkout.session.completed", session, event_id="evt_1\nINFO forged: paid everyone"),
                event("charge.refunded\r\nX: y", basil_charge(payment_intent="pi_1", amount=1, refunded=1)),
                event("checkout.session.completed", {**session, "metadata": {"affiliate": "ann-lee\u0000"}}),
                event("checkout.session.completed", {**session, "metadata": {"product": "price\u2028x"}}),
            ]
            for evt in hostile:
                body = body_of(evt)
                response = await http.post("/webhooks/stripe", content=body, headers={"Stripe-Signature": sign(body)})
                assert response.status_code == 400, response.text
                assert response.json()["error"].startswith("malformed event")
            assert (await events(gql))["totalCount"] == 0
            # The default mode is live: a test-mode event is recorded IGNORED and books nothing.
            test_mode = await post(http, event("checkout.session.completed", session))
            assert (test_mode["status"], test_mode["reason"]) == ("IGNORED", "test-mode event")
    finally:
        await server.stop()
    text = read(log)
    for raw in ("\x00", "\nINFO forged", "\ud800", "\r\nX: y"):
        assert raw not in text
    assert "Traceback" not in text and " 500" not in text


# --- several workers --------------------------------------------------------------------------------


@pytest.mark.skipif(not on_postgres(), reason="several server processes need PostgreSQL")
async def test_two_workers_given_one_purchase_and_one_dispute_at_once_book_one_sale_one_chargeback(
    database_url: str, tmp_path: Path, gql: GraphQLClient
) -> None:
    """A checkout and its invoice, then two closes of one lost dispute (two event ids), each pair posted
    to two server processes at the same moment."""
    ann = await program(gql)
    env = {"PAYOUTS_STRIPE_WEBHOOK_SECRET": SECRET}
    first = await start_server(database_url, tmp_path / "a.log", env=env)
    second = await start_server(database_url, tmp_path / "b.log", env=env)
    try:
        async with httpx.AsyncClient(base_url=first.url) as a, httpx.AsyncClient(base_url=second.url) as b:
            for n in range(4):
                customer, pi, dispute_id = stripe_id("cus"), stripe_id("pi"), stripe_id("dp")
                earlier = basil_checkout(  # the customer is Ann's already: its invoice could book on its own
                    amount=1000, payment_intent=stripe_id("pi"), invoice=None, customer=customer,
                    client_reference_id="ann-lee", metadata={"product": "price_1PqEbook"},
                )  # fmt: skip
                assert (await deliver(a, basil_event("checkout.session.completed", earlier))).status_code == 200
                created = basil_invoice(
                    amount=10010, customer=customer, price="price_1PqCourse", billing_reason="manual"
                )
                checkout = basil_checkout(
                    amount=10010, payment_intent=pi, invoice=created["id"], customer=customer,
                    client_reference_id="ann-lee", metadata={"product": "price_1PqCourse"},
                )  # fmt: skip
                pair = [basil_event("checkout.session.completed", checkout), basil_event("invoice.paid", created)]
                if n % 2:
                    pair.reverse()
                answers = await asyncio.gather(deliver(a, pair[0]), deliver(b, pair[1]))
                assert {r.status_code for r in answers} == {200}, [r.text for r in answers]
                lost = basil_dispute(payment_intent=pi, amount=6000, status="lost", dispute_id=dispute_id)
                closes = [basil_event("charge.dispute.closed", lost) for _ in range(2)]
                answers = await asyncio.gather(deliver(a, closes[0]), deliver(b, closes[1]))
                assert sorted(r.json()["status"] for r in answers) == ["APPLIED", "IGNORED"], [r.text for r in answers]
    finally:
        await first.stop()
        await second.stop()
    booked = [(s["amount"]["amount"], s["refunded"]["amount"]) for s in sales(await sales_of(gql, ann))]
    assert sorted(booked) == [("10.00", "0.00")] * 4 + [("100.10", "60.00")] * 4, booked
