"""Stripe webhook events read as bookkeeping intents (payout-rules.md section 13): pure, no I/O, no clock.

`parse_event` turns the raw body into a `StripeEvent` (or refuses it: the webhook answers 400);
`interpret` says what the event asks the ledger to do. Every field is read defensively: Stripe
objects are untrusted JSON, and a value of the wrong type makes the event IGNORED with a reason,
never an exception. Amounts stay Stripe's integer minor units; currency codes are upper-cased.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeGuard

from models.money import MoneyError, check_currency

MAX_ID = 255
MAX_TIMESTAMP = 253402300799  # 9999-12-31T23:59:59Z: anything later is not a time
MAX_MINOR = 10**13  # 1,000,000,000 (the desk's largest amount) in the finest minor unit (4 decimals)


class EventError(ValueError):
    """The body is not a Stripe event at all."""


@dataclass(frozen=True)
class StripeEvent:
    id: str
    type: str
    created: datetime | None
    object: Mapping[str, Any]
    livemode: bool | None = None


@dataclass(frozen=True)
class Refs:
    """Who and what a checkout or invoice names: raw references, resolved by the ledger."""

    affiliate: str | None = None
    product: str | None = None
    customer: str | None = None
    subscription: str | None = None
    prices: tuple[str, ...] = ()  # an invoice's line price ids: a product's externalId names it (rule 21)


@dataclass(frozen=True)
class Payment:
    """A one-off checkout paid: a sale of `amount` minor units; `invoice`: the invoice Stripe creates for it."""

    refs: Refs
    external_id: str
    amount: int
    currency: str
    occurred_at: datetime
    invoice: str | None = None


@dataclass(frozen=True)
class SubscriptionStarted:
    """A subscription checkout: remember its customer and subscription; its first invoice is the sale."""

    refs: Refs


@dataclass(frozen=True)
class InvoicePaid:
    refs: Refs
    external_id: str
    amount: int
    currency: str
    occurred_at: datetime
    billing_reason: str | None
    invoice: str = ""


@dataclass(frozen=True)
class InvoicePaymentPaid:
    """`invoice_payment.paid` (API 2025-03-31.basil on): this PaymentIntent paid this invoice."""

    invoice: str
    payment_intent: str


@dataclass(frozen=True)
class Refunded:
    """`amount_refunded` is the charge's running total, not this refund."""

    payment_intent: str
    total: int
    currency: str


@dataclass(frozen=True)
class DisputeOpened:
    payment_intent: str
    dispute_id: str


@dataclass(frozen=True)
class DisputeClosed:
    payment_intent: str
    dispute_id: str
    status: str
    amount: int
    currency: str


@dataclass(frozen=True)
class Ignore:
    reason: str


Intent = (
    Payment | SubscriptionStarted | InvoicePaid | InvoicePaymentPaid | Refunded | DisputeOpened | DisputeClosed | Ignore
)


class _Bad(Exception):
    """A field of the wrong shape: the event is ignored with this reason."""


# NUL and lone surrogates: no column can hold them, wherever they are. Other control characters
# (newlines...) only where a value is an id or a reference: ids, type, metadata.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
ID_KEYS = frozenset(
    {"id", "type", "object", "customer", "subscription", "payment_intent", "invoice", "charge", "price", "product"}
    | {"client_reference_id", "mode", "status", "currency", "billing_reason", "payment_status"}
)


def _hostile(value: object) -> bool:
    """Whether the event holds a string no id may hold (iteratively: nesting is the sender's choice)."""
    stack: list[tuple[object, bool]] = [(value, False)]
    while stack:
        item, strict = stack.pop()
        if isinstance(item, str):
            if (CONTROL if strict else UNSTORABLE).search(item):
                return True
        elif isinstance(item, dict):
            for key, inner in item.items():
                if CONTROL.search(key):
                    return True
                stack.append((inner, strict or key == "metadata" or (key in ID_KEYS and isinstance(inner, str))))
        elif isinstance(item, list):
            stack.extend((inner, strict) for inner in item)
    return False


def parse_event(body: bytes) -> StripeEvent:
    """The envelope every Stripe event has: an id, a type and data.object; anything else is refused.

    So is an event with a hostile string (NUL, a lone surrogate, a control character in an id, its
    type or metadata): it is answered 400 and never reaches the database or a log line.
    """
    try:
        raw = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise EventError("the body is not JSON") from None
    if not isinstance(raw, dict):
        raise EventError("the body is not a JSON object")
    if _hostile(raw):
        raise EventError("malformed event: a control character, NUL or unpaired surrogate in an id or metadata")
    data = raw.get("data")
    obj = data.get("object") if isinstance(data, dict) else None
    event_id, kind = raw.get("id"), raw.get("type")
    if not isinstance(event_id, str) or not 0 < len(event_id) <= MAX_ID:
        raise EventError("the event has no id")
    if not isinstance(kind, str) or not 0 < len(kind) <= 100:
        raise EventError("the event has no type")
    if not isinstance(obj, dict):
        raise EventError("the event has no data.object")
    created = raw.get("created")
    livemode = raw.get("livemode")
    at = _time(created) if _is_int(created) and 0 <= created <= MAX_TIMESTAMP else None
    return StripeEvent(event_id, kind, at, obj, livemode if isinstance(livemode, bool) else None)


def _is_int(value: object) -> TypeGuard[int]:
    return type(value) is int


def _time(value: int) -> datetime:
    if not 0 <= value <= MAX_TIMESTAMP:
        raise _Bad("a timestamp is out of range")
    return datetime.fromtimestamp(value, UTC)


def _text(obj: Mapping[str, Any], key: str, *, required: bool = False) -> str | None:
    """A string field, or (for expanded objects) the id of the object in it."""
    value = obj.get(key)
    if isinstance(value, dict):
        value = value.get("id")
    if value is None or value == "":
        if required:
            raise _Bad(f"{key} is missing")
        return None
    if not isinstance(value, str) or len(value) > MAX_ID:
        raise _Bad(f"{key} is not an id")
    return value


def _amount(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if not _is_int(value) or not 0 <= value <= MAX_MINOR:
        raise _Bad(f"{key} is not an amount in minor units")
    return value


def _currency(obj: Mapping[str, Any]) -> str:
    value = obj.get("currency")
    if not isinstance(value, str) or len(value) != 3:
        raise _Bad("currency is not a currency code")
    try:
        return check_currency(value.upper())
    except MoneyError:
        raise _Bad(f"{value.upper()} is not a currency this desk books") from None


def _metadata(obj: Mapping[str, Any]) -> Mapping[str, Any]:
    value = obj.get("metadata")
    return value if isinstance(value, dict) else {}


def _meta(metadata: Mapping[str, Any], key: str) -> str | None:
    value = metadata.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_ID:
        raise _Bad(f"metadata.{key} is not a reference")
    return value.strip() or None


def _created(obj: Mapping[str, Any], event: StripeEvent) -> datetime:
    created = obj.get("created")
    if _is_int(created):
        return _time(created)
    if event.created is not None:
        return event.created
    raise _Bad("created is missing")


def _checkout(event: StripeEvent) -> Intent:
    s = event.object
    metadata = _metadata(s)
    refs = Refs(
        affiliate=_meta(metadata, "affiliate") or _text(s, "client_reference_id"),
        product=_meta(metadata, "product"),
        customer=_text(s, "customer"),
        subscription=_text(s, "subscription"),
    )
    mode = s.get("mode")
    if mode == "subscription":
        if refs.subscription is None:
            raise _Bad("a subscription checkout without a subscription")
        return SubscriptionStarted(refs)
    if mode != "payment":
        return Ignore(f"checkout mode {str(mode)[:40]!r} books nothing")
    if s.get("payment_status") != "paid":
        return Ignore(f"checkout payment_status is {str(s.get('payment_status'))[:40]!r}, not 'paid'")
    external_id = _text(s, "payment_intent") or _text(s, "id", required=True)
    assert external_id is not None
    amount, currency, created = _amount(s, "amount_total"), _currency(s), _created(s, event)
    return Payment(refs, external_id, amount, currency, created, _text(s, "invoice"))


def _invoice_subscription(invoice: Mapping[str, Any]) -> str | None:
    """`subscription` on older API versions; `parent.subscription_details.subscription` on newer ones."""
    direct = _text(invoice, "subscription")
    if direct is not None:
        return direct
    parent = invoice.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    return _text(details, "subscription") if isinstance(details, dict) else None


def _prices(invoice: Mapping[str, Any]) -> tuple[str, ...]:
    """The price id of each line: `pricing.price_details.price` from basil on, `price.id` before."""
    lines = invoice.get("lines")
    data = lines.get("data") if isinstance(lines, dict) else None
    found: list[str] = []
    for line in data if isinstance(data, list) else []:
        if not isinstance(line, dict):
            continue
        pricing = line.get("pricing")
        details = pricing.get("price_details") if isinstance(pricing, dict) else None
        for holder, key in ((details, "price"), (line, "price")):
            price = _text(holder, key) if isinstance(holder, dict) else None
            if price is not None and price not in found:
                found.append(price)
    return tuple(found[:20])


def _invoice(event: StripeEvent) -> Intent:
    inv = event.object
    amount = _amount(inv, "amount_paid")
    if amount == 0:
        return Ignore("the invoice paid nothing (amount_paid 0)")
    metadata = _metadata(inv)
    parent = inv.get("parent")
    details = parent.get("subscription_details") if isinstance(parent, dict) else None
    sub_metadata = _metadata(details) if isinstance(details, dict) else {}
    refs = Refs(
        affiliate=_meta(metadata, "affiliate") or _meta(sub_metadata, "affiliate"),
        product=_meta(metadata, "product") or _meta(sub_metadata, "product"),
        customer=_text(inv, "customer"),
        subscription=_invoice_subscription(inv),
        prices=_prices(inv),
    )
    invoice_id = _text(inv, "id", required=True)
    assert invoice_id is not None
    external_id = _text(inv, "payment_intent") or invoice_id
    transitions = inv.get("status_transitions")
    paid_at = transitions.get("paid_at") if isinstance(transitions, dict) else None
    occurred = _time(paid_at) if _is_int(paid_at) else _created(inv, event)
    reason = inv.get("billing_reason")
    reason = reason if isinstance(reason, str) else None
    return InvoicePaid(refs, external_id, amount, _currency(inv), occurred, reason, invoice_id)


def _invoice_payment(event: StripeEvent) -> Intent:
    paid = event.object
    payment = paid.get("payment")
    invoice = _text(paid, "invoice", required=True)
    payment_intent = _text(payment, "payment_intent") if isinstance(payment, dict) else None
    assert invoice is not None
    if payment_intent is None:
        return Ignore(f"invoice payment of {invoice} names no payment_intent: nothing to link")
    return InvoicePaymentPaid(invoice, payment_intent)


def _refund(event: StripeEvent) -> Intent:
    charge = event.object
    payment_intent = _text(charge, "payment_intent", required=True)
    assert payment_intent is not None
    return Refunded(payment_intent, _amount(charge, "amount_refunded"), _currency(charge))


def _dispute(event: StripeEvent) -> Intent:
    dispute = event.object
    payment_intent = _text(dispute, "payment_intent", required=True)
    dispute_id = _text(dispute, "id", required=True)
    assert payment_intent is not None and dispute_id is not None
    if event.type == "charge.dispute.created":
        return DisputeOpened(payment_intent, dispute_id)
    status = dispute.get("status")
    if not isinstance(status, str):
        raise _Bad("status is missing")
    return DisputeClosed(payment_intent, dispute_id, status, _amount(dispute, "amount"), _currency(dispute))


READERS = {
    "checkout.session.completed": _checkout,
    "invoice.paid": _invoice,
    "invoice_payment.paid": _invoice_payment,
    "charge.refunded": _refund,
    "charge.dispute.created": _dispute,
    "charge.dispute.closed": _dispute,
}


def interpret(event: StripeEvent, *, live: bool = True) -> Intent:
    """What the event asks of the ledger; types we do not book, malformed objects and events of the
    other mode (`live`: the desk books live-mode events, else test-mode ones) are Ignore."""
    if event.livemode is not live:
        mode = (
            "event without livemode"
            if event.livemode is None
            else ("live" if event.livemode else "test") + "-mode event"
        )
        return Ignore(mode)
    reader = READERS.get(event.type)
    if reader is None:
        return Ignore(f"events of type {event.type} book nothing")
    try:
        return reader(event)
    except _Bad as e:
        return Ignore(f"malformed {event.type}: {e}")
