"""Sales and refunds: booking (through `models.ledger.booking`), refunds and netting after a void.

A refund takes its commission reduction from unpaid installments first; the rest becomes owed,
all in one transaction with the affiliate locked. The arithmetic lives in `models.rules.commission`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.transactions import in_transaction

from models.enums import RefundKind
from models.errors import LedgerError, NotFound, Violation
from models.group_commit import committer
from models.ledger import audit, booking
from models.ledger.balances import Changed, refresh_affiliates
from models.ledger.booking import Order, RecordedSale, SaleLine
from models.ledger.commissions import lock_sale_payees
from models.ledger.webhooks import emit
from models.rules import webhook_events
from models.rules.commission import (
    InstallmentSlice,
    OwedSlice,
    allocate_reduction,
    net_void,
    sale_status,
)
from models.rules.commissions import CommissionLeft, reductions
from models.tables.commissions import Commission
from models.tables.sales import Installment, OwedAmount, Sale
from models.transactions import retried, retrying
from models.validation import Amount, minor, text

# --- sales and refunds ------------------------------------------------------------------------


async def record_sale(
    actor: str,
    now: datetime,
    *,
    external_id: str,
    product_id: int,
    affiliate_id: int | None,
    amount: Amount | None = None,
    occurred_at: datetime | None = None,
    subscription_id: str | None = None,
) -> RecordedSale:
    """Book a sale and its commission; the same externalId again returns the first sale unchanged.

    With a subscriptionId that already has a sale, this is a renewal (rule 14): booked to the
    initial sale's affiliate, at its tier, earning the product's renewal terms. Calls that come
    while another booking is being written are booked together (group commit: `models.booking`),
    each with its own answer; a call made inside a change (a webhook's transaction) joins it.
    """
    order = Order(actor, now, SaleLine(external_id, product_id, affiliate_id, amount, occurred_at, subscription_id))
    if retrying() or isinstance(Sale._choose_db(True), TransactionalDBClient):
        outcome = (await booking.book([order]))[0]
    else:
        outcome = await committer(booking.book).submit(order)
    if isinstance(outcome, LedgerError):
        raise outcome
    return outcome


@retried
async def refund_sale(
    actor: str,
    now: datetime,
    *,
    external_id: str,
    amount: Amount | None = None,
    kind: RefundKind = RefundKind.REFUND,
    occurred_at: datetime | None = None,
) -> Changed[Sale]:
    """Reduce the commission, taking it from unpaid installments first; the rest becomes owed."""
    external_id = text(external_id, "externalId")
    found = await Sale.get_or_none(external_id=external_id)
    if found is None:
        raise NotFound("no sale with this externalId", "externalId")
    occurred = occurred_at or now
    async with in_transaction():
        await lock_sale_payees(found.id)
        sale = await Sale.get(id=found.id)
        remaining = sale.amount - sale.refunded
        if amount is None:
            refund = remaining
        else:
            refund = minor(amount, "amount")
            if amount.currency != sale.currency:
                raise Violation(
                    f"the sale is in {sale.currency}, not {amount.currency}",
                    "amount.currency",
                    code="CURRENCY_MISMATCH",
                )
        if remaining == 0 or refund > remaining:
            raise Violation(
                f"refund exceeds the unrefunded amount of the sale ({remaining} minor units left)",
                "amount",
                code="REFUND_EXCEEDS_SALE",
            )
        commissions = await Commission.filter(sale_id=sale.id).order_by("position")
        # Rule 16.5: each commission on its own, from its own original amount.
        cuts = reductions(
            [CommissionLeft(c.original_amount, c.amount) for c in commissions], sale.amount, sale.refunded, refund
        )
        owed = await _take_reductions(sale, commissions, cuts, occurred)
        for c, cut in zip(commissions, cuts, strict=True):
            c.amount -= cut
        await Commission.bulk_update(commissions, fields=["amount"])
        reduction = cuts[0]  # the AFFILIATE commission's, which Sale.commission shows
        sale.refunded += refund
        sale.commission -= reduction
        sale.last_refund_kind = kind
        sale.status = sale_status(sale.amount, sale.refunded, kind)
        await sale.save(update_fields=["refunded", "commission", "last_refund_kind", "status"])
        transitions = await refresh_affiliates({c.affiliate_id for c in commissions}, now)
        await emit(
            [
                webhook_events.refunded(
                    sale_id=sale.id,
                    external_id=external_id,
                    currency=sale.currency,
                    kind=kind,
                    refund=refund,
                    refunded_total=sale.refunded,
                    status=sale.status.value,
                    occurred_at=occurred,
                    commissions=[
                        webhook_events.CommissionLine(c.id, c.role.value, c.affiliate_id, c.amount, cut)
                        for c, cut in zip(commissions, cuts, strict=True)
                    ],
                    at=now,
                )
            ]
        )
        await audit.record(
            actor,
            "refundSale",
            "Sale",
            sale.id,
            externalId=external_id,
            refund=refund,
            kind=kind.value,
            commissionReduced=reduction,
            owed=owed[0],
            **(
                {"reductions": [[c.affiliate_id, cut, o] for c, cut, o in zip(commissions, cuts, owed, strict=True)]}
                if len(commissions) > 1
                else {}
            ),
        )
    return Changed(sale, transitions)


async def _take_reductions(
    sale: Sale, commissions: Sequence[Commission], cuts: Sequence[int], occurred: datetime
) -> list[int]:
    """Shrink each commission's unpaid installments; book its rest as owed of its payee, per paid installment.

    Two reads for the whole sale, whatever the number of payees; returns the owed part of each cut.
    """
    installments: dict[int | None, list[Installment]] = defaultdict(list)
    for i in await Installment.filter(sale_id=sale.id):
        installments[i.commission_id].append(i)
    owed_against: dict[int, int] = defaultdict(int)
    for installment_id, amount in await OwedAmount.filter(
        sale_id=sale.id, amount__gt=0, installment_id__not_isnull=True
    ).values_list("installment_id", "amount"):
        owed_against[installment_id] += amount
    changed: list[Installment] = []
    owed_rows: list[OwedAmount] = []
    owed: list[int] = []
    for commission, cut in zip(commissions, cuts, strict=True):
        own = installments[commission.id]
        allocation = allocate_reduction(
            cut,
            [InstallmentSlice(i.id, i.amount, i.release_at, i.payout_id is not None, owed_against[i.id]) for i in own],
        )
        for inst in own:
            if inst.id in allocation.new_amounts:
                inst.amount = allocation.new_amounts[inst.id]
                inst.voided = inst.amount == 0
                changed.append(inst)
        parts: list[tuple[int | None, int]] = [*allocation.owed_from.items(), (None, allocation.unattributed)]
        owed_rows.extend(
            OwedAmount(
                affiliate_id=commission.affiliate_id,
                sale_id=sale.id,
                commission_id=commission.id,
                currency=sale.currency,
                amount=amount,
                installment_id=installment_id,
                created_at=occurred,
            )
            for installment_id, amount in parts
            if amount
        )
        owed.append(allocation.owed)
    if changed:
        await Installment.bulk_update(changed, fields=["amount", "voided"])
    await OwedAmount.bulk_create(owed_rows)
    return owed


async def net_void_against_refunds(affiliate_id: int, currency: str, voided_payout_id: int) -> int:
    """Rule 12, after a void (in its transaction): net outstanding owed against installments unpaid again.

    Returns the amount netted: the part of the installments voided, and of owed dropped.
    """
    outstanding = await OwedAmount.filter(
        affiliate_id=affiliate_id,
        currency=currency,
        recovered_by_id=None,
        amount__gt=0,
        installment_id__not_isnull=True,
    )
    if not outstanding:
        return 0
    unpaid = {
        i.id: i
        for i in await Installment.filter(
            id__in=list({o.installment_id for o in outstanding}), payout_id=None, voided=False
        )
    }
    netting = net_void(
        {key: i.amount for key, i in unpaid.items()},
        [OwedSlice(o.id, o.installment_id, o.amount) for o in outstanding],
    )
    for key, amount in netting.installments.items():
        unpaid[key].amount = amount
        unpaid[key].voided = amount == 0
    if netting.installments:
        await Installment.bulk_update([unpaid[k] for k in netting.installments], fields=["amount", "voided"])
    netted = 0
    for o in outstanding:
        if o.id in netting.owed:
            netted += o.amount - netting.owed[o.id]
            await OwedAmount.filter(id=o.id).update(amount=netting.owed[o.id], netted_by_id=voided_payout_id)
    return netted
