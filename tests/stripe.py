"""Stripe webhook deliveries for tests: events shaped as Stripe documents them, signed with real HMAC.

Objects carry the fields Stripe sends (ids with Stripe's prefixes, integer minor-unit amounts,
lowercase currencies, unix timestamps); only the fields the desk reads are filled with meaning.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import time
from pathlib import Path
from typing import Any

import httpx
from stripe import WebhookSignature

SECRET = "whsec_test_5f0c1d2e3a4b5c6d7e8f9a0b1c2d3e4f"
OLD_SECRET = "whsec_test_rotating_out_0123456789abcdef"
_ids = itertools.count(1)


def stripe_id(prefix: str) -> str:
    return f"{prefix}_test_{next(_ids):06d}{int(time.time() * 1000) % 10**8:08d}"


def sign(body: bytes, secret: str = SECRET, timestamp: int | None = None) -> str:
    """The `Stripe-Signature` header as Stripe computes it (stripe-python's own signer)."""
    t = int(time.time()) if timestamp is None else timestamp
    try:
        return str(WebhookSignature.generate_signature_header(body.decode(), secret, t))
    except UnicodeDecodeError:  # a hostile body Stripe would never send: the same HMAC over the bytes
        return f"t={t},v1={hmac.new(secret.encode(), f'{t}.'.encode() + body, hashlib.sha256).hexdigest()}"


def event(type: str, obj: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
    return {
        "id": event_id or stripe_id("evt"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": int(time.time()),
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }


def body_of(evt: dict[str, Any]) -> bytes:
    return json.dumps(evt, indent=2).encode()  # Stripe sends pretty-printed JSON: the raw bytes are signed


async def deliver(
    http: httpx.AsyncClient,
    evt: dict[str, Any] | bytes,
    *,
    secret: str = SECRET,
    timestamp: int | None = None,
    signature: str | bytes | None = None,
) -> httpx.Response:
    body = evt if isinstance(evt, bytes) else body_of(evt)
    stripe_signature = signature if signature is not None else sign(body, secret, timestamp)
    headers = [
        (b"Content-Type", b"application/json; charset=utf-8"),
        (b"User-Agent", b"Stripe/1.0 (+https://stripe.com/docs/webhooks)"),
        (b"Stripe-Signature", stripe_signature if isinstance(stripe_signature, bytes) else stripe_signature.encode()),
    ]
    return await http.post("/webhooks/stripe", content=body, headers=headers)


def checkout_session(
    *,
    amount: int,
    currency: str = "usd",
    affiliate: str | None = None,
    product: str | None = None,
    client_reference_id: str | None = None,
    mode: str = "payment",
    customer: str | None = None,
    subscription: str | None = None,
    payment_intent: str | None = None,
    created: int | None = None,
) -> dict[str, Any]:
    metadata = {k: v for k, v in (("affiliate", affiliate), ("product", product)) if v is not None}
    return {
        "id": stripe_id("cs"),
        "object": "checkout.session",
        "amount_subtotal": amount,
        "amount_total": amount,
        "client_reference_id": client_reference_id,
        "created": created or int(time.time()) - 5,
        "currency": currency,
        "customer": customer or stripe_id("cus"),
        "livemode": False,
        "metadata": metadata,
        "mode": mode,
        "payment_intent": (payment_intent or stripe_id("pi")) if mode == "payment" else None,
        "payment_status": "paid",
        "status": "complete",
        "subscription": subscription if mode == "subscription" else None,
    }


def invoice(
    *,
    amount: int,
    customer: str,
    subscription: str,
    billing_reason: str = "subscription_cycle",
    currency: str = "usd",
    paid_at: int | None = None,
    payment_intent: str | None = None,
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    paid = paid_at or int(time.time()) - 5
    return {
        "id": stripe_id("in"),
        "object": "invoice",
        "amount_due": amount,
        "amount_paid": amount,
        "amount_remaining": 0,
        "billing_reason": billing_reason,
        "created": paid - 3600,
        "currency": currency,
        "customer": customer,
        "metadata": metadata or {},
        "paid": True,
        "payment_intent": payment_intent or stripe_id("pi"),
        "status": "paid",
        "status_transitions": {"finalized_at": paid - 3600, "paid_at": paid},
        "subscription": subscription,
    }


def charge(*, payment_intent: str, amount: int, refunded: int, currency: str = "usd") -> dict[str, Any]:
    return {
        "id": stripe_id("ch"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded,
        "captured": True,
        "created": int(time.time()) - 60,
        "currency": currency,
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": refunded == amount,
        "status": "succeeded",
    }


def dispute(
    *,
    payment_intent: str,
    amount: int,
    status: str = "needs_response",
    currency: str = "usd",
    dispute_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": dispute_id or stripe_id("dp"),
        "object": "dispute",
        "amount": amount,
        "charge": stripe_id("ch"),
        "created": int(time.time()) - 30,
        "currency": currency,
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": "fraudulent",
        "status": status,
    }


# --- the current API's shapes (2025-03-31.basil on), from Stripe's published fixtures -------------

FIXTURES = json.loads((Path(__file__).parent / "fixtures" / "stripe_basil.json").read_text())
BASIL = str(FIXTURES["api_version"])


def fixture(name: str, **fields: Any) -> dict[str, Any]:
    """A copy of Stripe's fixture object `name` (tests/fixtures/stripe_basil.json) with `fields` set."""
    obj: dict[str, Any] = copy.deepcopy(FIXTURES[name])
    return {**obj, **fields}


def basil_event(
    type: str, obj: dict[str, Any], *, livemode: bool = False, created: int | None = None
) -> dict[str, Any]:
    return {**event(type, obj), "api_version": BASIL, "livemode": livemode, "created": created or int(time.time())}


def basil_invoice(
    *,
    amount: int,
    customer: str,
    subscription: str | None = None,
    price: str | None = None,
    billing_reason: str = "subscription_create",
    metadata: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A paid invoice as basil sends it: no payment_intent, the subscription under parent, lines priced."""
    paid = int(time.time()) - 5
    base = fixture("invoice")
    line = {**base["lines"]["data"][0], "amount": amount, "pricing": {"type": "price_details", "price_details": {}}}
    line["pricing"]["price_details"] = {"price": price, "product": "prod_fixture"} if price else {}
    parent: dict[str, Any] = {"type": "invoice_item_details", "quote_details": None, "subscription_details": None}
    if subscription is not None:
        parent = {**parent, "type": "subscription_details"}
        parent["subscription_details"] = {"metadata": {}, "subscription": subscription}
    return fixture(
        "invoice",
        id=stripe_id("in"),
        amount_due=amount,
        amount_paid=amount,
        amount_remaining=0,
        billing_reason=billing_reason,
        customer=customer,
        metadata=metadata or {},
        status="paid",
        status_transitions={**base["status_transitions"], "finalized_at": paid - 60, "paid_at": paid},
        lines={**base["lines"], "data": [line]},
        parent=parent,
        subscription=None,
    )


def invoice_payment(*, invoice: str, payment_intent: str, amount: int) -> dict[str, Any]:
    return fixture(
        "invoice_payment",
        id=stripe_id("inpay"),
        invoice=invoice,
        amount_paid=amount,
        currency="usd",
        livemode=False,
        payment={"type": "payment_intent", "payment_intent": payment_intent},
        status="paid",
    )


def basil_charge(*, payment_intent: str, amount: int, refunded: int) -> dict[str, Any]:
    return fixture(
        "charge",
        id=stripe_id("ch"),
        amount=amount,
        amount_captured=amount,
        amount_refunded=refunded,
        payment_intent=payment_intent,
        refunded=refunded == amount,
        currency="usd",
    )


def basil_dispute(*, payment_intent: str, amount: int, status: str, dispute_id: str) -> dict[str, Any]:
    return fixture("dispute", id=dispute_id, amount=amount, payment_intent=payment_intent, status=status)


def basil_checkout(*, amount: int, payment_intent: str, invoice: str | None, **refs: Any) -> dict[str, Any]:
    """A paid payment-mode checkout; with `invoice`, Stripe created a post-purchase invoice (`invoice_creation`)."""
    return fixture(
        "checkout.session",
        id=stripe_id("cs"),
        amount_subtotal=amount,
        amount_total=amount,
        currency="usd",
        payment_intent=payment_intent,
        payment_status="paid",
        status="complete",
        invoice=invoice,
        **refs,
    )
