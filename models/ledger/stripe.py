"""Booking Stripe events through the same ledger operations as the API (payout-rules.md section 13).

`receive` records each event id once: the unique `processor_events.event_id` row is inserted
first, inside the booking's transaction, so a second delivery (also a concurrent one, on another
worker) waits for the first and then finds it: a replay that changes nothing. An event that needs
a sale not booked yet stays PENDING (HTTP 409) and is applied when Stripe delivers it again, but
only while that sale may still arrive (rule 21): otherwise it is IGNORED, so Stripe stops retrying.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.enums import DueCause, ProcessorEventStatus, RefundKind
from models.errors import LedgerError
from models.global_ids import pk_of
from models.ledger.commissions import lock_sale_payees
from models.ledger.disputes import CLOSED, close_dispute, open_dispute
from models.ledger.sales import record_sale, refund_sale
from models.money import from_minor
from models.rules.commission import processor_refund
from models.rules.status import Transition
from models.rules.stripe_events import (
    DisputeClosed,
    DisputeOpened,
    Ignore,
    Intent,
    InvoicePaid,
    InvoicePaymentPaid,
    Payment,
    Refs,
    Refunded,
    StripeEvent,
    SubscriptionStarted,
    interpret,
)
from models.tables.affiliates import Affiliate
from models.tables.processor import ProcessorEvent, ProcessorLink
from models.tables.products import Product
from models.tables.sales import Sale
from models.tables.stripe import StripeReference
from models.transactions import retried
from models.validation import Amount

APPLIED, IGNORED, PENDING = ProcessorEventStatus.APPLIED, ProcessorEventStatus.IGNORED, ProcessorEventStatus.PENDING
LOST = "lost"
INVOICE_PAYMENT, CHECKOUT_INVOICE, IGNORED_PAYMENT = "invoice_payment", "checkout_invoice", "ignored"
PURCHASE = "purchase"
MAY_STILL_ARRIVE = timedelta(hours=1)  # a refund or dispute younger than this waits for its sale (409)


@dataclass(frozen=True)
class Outcome:
    status: ProcessorEventStatus
    reason: str | None = None
    sale_id: int | None = None
    cause: DueCause = DueCause.SALE_RECORDED
    transitions: list[Transition] = field(default_factory=list)


@dataclass(frozen=True)
class Receipt:
    """What became of one delivery; `replay`: the event id was seen before and nothing changed."""

    event: ProcessorEvent
    replay: bool
    cause: DueCause = DueCause.SALE_RECORDED
    transitions: list[Transition] = field(default_factory=list)  # payment-status changes to announce

    @property
    def http_status(self) -> int:
        return 409 if self.event.status is PENDING else 200


def actor_of(event: StripeEvent) -> str:
    """Who the audit log names for a booking: the event itself."""
    return f"stripe:{event.id}"[:100]


@retried  # a deadlock anywhere in the booking starts the whole delivery over; at last CONFLICT
async def receive(actor: str, now: datetime, *, event: StripeEvent, live: bool = True) -> Receipt:
    """Book one delivery as `actor` (the event, e.g. `stripe:evt_...`), once per event id.

    `live`: the desk's PAYOUTS_STRIPE_MODE; an event of the other mode books nothing."""
    intent = interpret(event, live=live)
    try:
        async with in_transaction():
            row = await ProcessorEvent.filter(event_id=event.id).select_for_update().first()
            if row is not None and row.status is not PENDING:
                return Receipt(row, replay=True)
            if row is None:  # a concurrent delivery of the same id blocks here until we commit, then fails
                row = await ProcessorEvent.create(event_id=event.id, type=event.type, received_at=now, status=PENDING)
            outcome = await _book(intent, event, actor, now)
            if outcome.status is IGNORED and isinstance(intent, Payment | InvoicePaid):
                await _remember_ignored(intent, event.id, now)
            row.status, row.reason, row.sale_id = outcome.status, outcome.reason, outcome.sale_id
            await row.save(update_fields=["status", "reason", "sale_id"])
    except IntegrityError:
        seen = await ProcessorEvent.get_or_none(event_id=event.id)
        if seen is None:
            raise
        return Receipt(seen, replay=True)
    return Receipt(row, replay=False, cause=outcome.cause, transitions=outcome.transitions)


async def _book(intent: Intent, event: StripeEvent, actor: str, now: datetime) -> Outcome:
    """Apply the intent; a refusal by the ledger rolls back all of it and is recorded with its reason."""
    try:
        async with in_transaction():
            return await _apply(intent, event, actor, now)
    except LedgerError as e:
        return Outcome(IGNORED, f"{e.code}: {e.message}"[:500])


async def _apply(intent: Intent, event: StripeEvent, actor: str, now: datetime) -> Outcome:
    match intent:
        case Ignore(reason):
            return Outcome(IGNORED, reason[:500])
        case Payment() | InvoicePaid():
            return await _sale(intent, actor, now)
        case InvoicePaymentPaid(invoice, payment_intent):
            await _reference(INVOICE_PAYMENT, payment_intent, invoice, now)
            return Outcome(APPLIED)
        case SubscriptionStarted(refs):
            return await _subscription(refs, now)
        case Refunded():
            return await _refund(intent, event, actor, now)
        case DisputeOpened() | DisputeClosed():
            return await _dispute(intent, event, actor, now)


# --- what Stripe said about payments (rule 21) ----------------------------------------------------


async def _reference(kind: str, key: str, target: str, now: datetime) -> None:
    """Record a link once; a concurrent event recording the same one wins (a savepoint)."""
    if await StripeReference.exists(kind=kind, key=key, target=target):
        return
    try:
        async with in_transaction():
            await StripeReference.create(kind=kind, key=key, target=target, created_at=now)
    except IntegrityError:
        pass


async def _remember_ignored(intent: Payment | InvoicePaid, event_id: str, now: datetime) -> None:
    """A payment whose sale event was IGNORED: its refunds and disputes will never find a sale."""
    keys = {intent.external_id, intent.invoice} if isinstance(intent, InvoicePaid) else {intent.external_id}
    for key in sorted(keys):
        await _reference(IGNORED_PAYMENT, key, event_id, now)


async def _invoices_paid_by(payment_intent: str) -> list[str]:
    """The invoices this PaymentIntent paid: by `invoice_payment.paid`, or as the checkout that created them."""
    paid = await StripeReference.filter(kind=INVOICE_PAYMENT, key=payment_intent).values_list("target", flat=True)
    created = await StripeReference.filter(kind=CHECKOUT_INVOICE, target=payment_intent).values_list("key", flat=True)
    return sorted({str(invoice) for invoice in [*paid, *created]})


# --- attribution --------------------------------------------------------------------------------


async def _affiliate(ref: str) -> Affiliate | None:
    """A referral code, else an affiliate's global id."""
    found = await Affiliate.get_or_none(referral_code=ref)
    pk = pk_of(ref, "Affiliate") if found is None else None
    return found if pk is None else await Affiliate.get_or_none(id=pk)


async def _product(ref: str) -> Product | None:
    """A product's externalId (e.g. a Stripe price id), else its global id."""
    found = await Product.get_or_none(external_id=ref)
    pk = pk_of(ref, "Product") if found is None else None
    return found if pk is None else await Product.get_or_none(id=pk)


async def _link(kind: str, key: str | None) -> ProcessorLink | None:
    return None if key is None else await ProcessorLink.get_or_none(kind=kind, key=key)


async def _remember(refs: Refs, affiliate_id: int, product_id: int | None, now: datetime) -> None:
    """Attribute the customer and subscription once; a later checkout never re-attributes them."""
    for kind, key in (("customer", refs.customer), ("subscription", refs.subscription)):
        if key is None or await ProcessorLink.filter(kind=kind, key=key).exists():
            continue
        try:
            async with in_transaction():  # a savepoint: another event attributing it at once wins
                await ProcessorLink.create(
                    kind=kind, key=key, affiliate_id=affiliate_id, product_id=product_id, created_at=now
                )
        except IntegrityError:
            pass


@dataclass(frozen=True)
class Attribution:
    affiliate: Affiliate | None
    product: Product | None
    missing: str | None  # why it could not be attributed


async def _attribute(refs: Refs) -> Attribution:
    """Metadata first, then what the subscription or the customer was attributed to before."""
    links = [
        link
        for link in (await _link("subscription", refs.subscription), await _link("customer", refs.customer))
        if link is not None
    ]
    affiliate = product = None
    if refs.affiliate is not None:
        affiliate = await _affiliate(refs.affiliate)
        if affiliate is None:
            return Attribution(None, None, f"no affiliate has the referral code or id {refs.affiliate!r}")
    elif links:
        affiliate = await Affiliate.get_or_none(id=links[0].affiliate_id)
    if refs.product is not None:
        product = await _product(refs.product)
        if product is None:
            return Attribution(affiliate, None, f"no product has the externalId or id {refs.product!r}")
    elif refs.prices:  # an invoice line's price id equal to a product's externalId (rule 21)
        product = await Product.filter(external_id__in=refs.prices).order_by("id").first()
    if product is None and links and links[0].kind == "subscription" and links[0].product_id is not None:
        # A customer attributed by a checkout gives the affiliate, never the product: only the
        # subscription remembers what was bought.
        product = await Product.get_or_none(id=links[0].product_id)
    return Attribution(affiliate, product, None)


# --- what each event books ----------------------------------------------------------------------


async def _subscription(refs: Refs, now: datetime) -> Outcome:
    found = await _attribute(refs)
    if found.missing or found.affiliate is None:
        return Outcome(IGNORED, found.missing or "no affiliate: set metadata.affiliate or client_reference_id")
    await _remember(refs, found.affiliate.id, found.product.id if found.product else None, now)
    return Outcome(APPLIED)


async def _one_purchase(intent: Payment | InvoicePaid, now: datetime) -> Outcome | None:
    """A checkout and the invoice Stripe creates for it (`invoice_creation`) are one purchase, one sale.

    Both first claim the invoice (a unique row): a checkout and its invoice delivered at once to two
    workers wait for each other there, so the second sees what the first booked."""
    if intent.invoice:
        await _reference(PURCHASE, intent.invoice, "", now)
    if isinstance(intent, InvoicePaid):
        checkout = await StripeReference.filter(kind=CHECKOUT_INVOICE, key=intent.invoice).first()
        return None if checkout is None else Outcome(IGNORED, f"booked as checkout {checkout.target}")
    if intent.invoice is None:
        return None
    await _reference(CHECKOUT_INVOICE, intent.invoice, intent.external_id, now)
    booked = await Sale.get_or_none(external_id=intent.invoice)  # the invoice's event came first
    return None if booked is None else Outcome(IGNORED, f"booked as invoice {intent.invoice}", booked.id)


async def _sale(intent: Payment | InvoicePaid, actor: str, now: datetime) -> Outcome:
    refs = intent.refs
    same = await _one_purchase(intent, now)
    if same is not None:
        return same
    found = await _attribute(refs)
    if found.missing:
        return Outcome(IGNORED, found.missing)
    initial = None
    if isinstance(intent, InvoicePaid) and refs.subscription is not None:
        initial = await Sale.filter(subscription_id=refs.subscription).order_by("occurred_at", "id").first()
    product = found.product
    if product is None and initial is not None:
        product = await Product.get(id=initial.product_id)
    if product is None:
        return Outcome(
            IGNORED, "no product: set metadata.product (or an invoice line's price) to a product's externalId or id"
        )
    if found.affiliate is None and initial is None:
        return Outcome(IGNORED, "no affiliate: set metadata.affiliate or client_reference_id at checkout")
    if found.affiliate is not None:
        await _remember(refs, found.affiliate.id, product.id, now)
    recorded = await record_sale(
        actor,
        now,
        external_id=intent.external_id,
        product_id=product.id,
        affiliate_id=None if initial is not None or found.affiliate is None else found.affiliate.id,
        amount=Amount(from_minor(intent.amount, intent.currency), intent.currency),
        occurred_at=intent.occurred_at,
        subscription_id=refs.subscription if isinstance(intent, InvoicePaid) else None,
    )
    if not recorded.created:
        return Outcome(IGNORED, f"a sale with externalId {intent.external_id} was booked before", recorded.sale.id)
    return Outcome(APPLIED, sale_id=recorded.sale.id, transitions=recorded.transitions)


async def _locked_sale(payment_intent: str) -> Sale | None:
    """The sale a PaymentIntent paid: booked under it, or under the invoice it paid (rule 21)."""
    found = await Sale.get_or_none(external_id=payment_intent)
    if found is None:
        invoices = await _invoices_paid_by(payment_intent)
        found = await Sale.filter(external_id__in=invoices).order_by("id").first() if invoices else None
    if found is None:
        return None
    await lock_sale_payees(found.id)  # every payee of the sale (rule 16.5)
    return await Sale.get(id=found.id)


async def _no_sale(payment_intent: str, event: StripeEvent, now: datetime) -> Outcome:
    """409 while the sale may still arrive (a young event, a payment never ignored); else acknowledged."""
    young = event.created is not None and now - event.created < MAY_STILL_ARRIVE
    keys = [payment_intent, *await _invoices_paid_by(payment_intent)]
    if young and not await StripeReference.exists(kind=IGNORED_PAYMENT, key__in=keys):
        return Outcome(PENDING, f"no sale booked for payment_intent {payment_intent} yet; applied on redelivery")
    return Outcome(IGNORED, f"no sale for payment_intent {payment_intent}")


async def _refund(intent: Refunded, event: StripeEvent, actor: str, now: datetime) -> Outcome:
    sale = await _locked_sale(intent.payment_intent)
    if sale is None:
        return await _no_sale(intent.payment_intent, event, now)
    if intent.currency != sale.currency:
        return Outcome(IGNORED, f"the sale is in {sale.currency}, the refund in {intent.currency}", sale.id)
    refund = processor_refund(sale.processor_refunded, intent.total, sale.amount - sale.refunded)
    if intent.total > sale.processor_refunded:
        await Sale.filter(id=sale.id).update(processor_refunded=intent.total)
    if refund == 0:
        return Outcome(IGNORED, f"refund total {intent.total} books nothing new for this sale", sale.id)
    refunded = await refund_sale(
        actor,
        now,
        external_id=sale.external_id,
        amount=Amount(from_minor(refund, sale.currency), sale.currency),
        kind=RefundKind.REFUND,
    )
    return Outcome(APPLIED, sale_id=sale.id, transitions=refunded.transitions)


async def _dispute(intent: DisputeOpened | DisputeClosed, event: StripeEvent, actor: str, now: datetime) -> Outcome:
    sale = await _locked_sale(intent.payment_intent)
    if sale is None:
        return await _no_sale(intent.payment_intent, event, now)
    if isinstance(intent, DisputeClosed) and sale.disputes.get(intent.dispute_id) == CLOSED:
        return Outcome(IGNORED, f"dispute {intent.dispute_id} closed before", sale.id)  # one chargeback
    if isinstance(intent, DisputeOpened):
        opened = await open_dispute(actor, now, sale_id=sale.id, dispute_id=intent.dispute_id)
        return Outcome(APPLIED, sale_id=sale.id, transitions=opened.transitions)
    closed = await close_dispute(actor, now, sale_id=sale.id, dispute_id=intent.dispute_id)
    outcome = Outcome(APPLIED, sale_id=sale.id, cause=DueCause.REQUIREMENTS_MET, transitions=closed.transitions)
    if intent.status != LOST:
        return outcome
    if intent.currency != sale.currency:  # the hold is lifted all the same
        return replace(
            outcome, reason=f"no chargeback booked: the sale is in {sale.currency}, the dispute in {intent.currency}"
        )
    lost = min(intent.amount, sale.amount - sale.refunded)
    if lost > 0:
        charged = await refund_sale(
            actor,
            now,
            external_id=sale.external_id,
            amount=Amount(from_minor(lost, sale.currency), sale.currency),
            kind=RefundKind.CHARGEBACK,
        )
        outcome = replace(outcome, transitions=outcome.transitions + charged.transitions)
    return outcome
