"""Ledger operations: every change of money state, each in one transaction.

Each operation validates its input, locks the affiliates it touches, writes, refreshes their
stored balances (`models.balances`) and appends to the audit log, all inside one transaction:
on any error nothing is written. The arithmetic itself lives in `models.rules`.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import audit, payment_details
from models.affiliates import Affiliate, PaymentMethod
from models.balances import Changed, lock_affiliates, program_rules, refresh_affiliates, refresh_all
from models.enums import ApprovalStatus, PaymentMethodType, PayoutMode, RefundKind
from models.errors import Invalid, NotFound, Violation
from models.money import canonical_percent
from models.payment_details import Cipher, Details
from models.payouts import Payout
from models.products import Product
from models.program import SETTINGS_ID, ProgramSettings, milestones_to_json
from models.rules import (
    Allocation,
    InstallmentSlice,
    OwedSlice,
    RuleError,
    Transition,
    allocate_reduction,
    commission_for_sale,
    effective_milestones,
    net_void,
    refund_reduction,
    release_times,
    sale_status,
    settles_at_sale,
    split_commission,
    validate_percent,
)
from models.sales import Installment, OwedAmount, Sale
from models.transactions import retried
from models.validation import Amount, milestones, minor, text

MAX_SALES_MINIMUM = 1_000_000
FUTURE_TOLERANCE = timedelta(minutes=5)  # clock skew allowed on occurredAt


async def _locked_affiliate(affiliate_id: int) -> Affiliate:
    await lock_affiliates([affiliate_id])
    affiliate = await Affiliate.get_or_none(id=affiliate_id)
    if affiliate is None:
        raise NotFound("no such affiliate", "affiliateId")
    return affiliate


# --- products and affiliates ------------------------------------------------------------------


@retried
async def create_product(
    actor: str,
    *,
    name: str,
    price: Amount,
    commission_percent: Decimal | None,
    commission_flat: Amount | None,
    product_milestones: Sequence[tuple[Decimal, int]] | None,
) -> Product:
    name = text(name, "name")
    price_minor = minor(price, "price")
    if (commission_percent is None) == (commission_flat is None):
        raise Invalid("set exactly one of commissionPercent and commissionFlat", "commissionPercent")
    flat_minor = None
    if commission_percent is not None:
        try:
            validate_percent(commission_percent)
        except RuleError as e:
            raise Invalid(str(e), e.field) from None
    if commission_flat is not None:
        flat_minor = minor(commission_flat, "commissionFlat")
        if commission_flat.currency != price.currency:
            raise Violation(
                "a flat commission is paid in the product's currency", "commissionFlat.currency",
                code="CURRENCY_MISMATCH",
            )
    parsed = milestones(product_milestones, "milestones") if product_milestones is not None else None
    async with in_transaction():
        product = await Product.create(
            name=name,
            currency=price.currency,
            price=price_minor,
            commission_percent=None if commission_percent is None else canonical_percent(commission_percent),
            commission_flat=flat_minor,
            milestones=milestones_to_json(parsed) if parsed else None,
        )
        await audit.record(actor, "createProduct", "Product", product.id, name=name)
    return product


@retried
async def create_affiliate(
    actor: str, *, name: str, email: str, approval: ApprovalStatus, mode: PayoutMode
) -> Affiliate:
    name = text(name, "name")
    email = text(email, "email", limit=254)
    if not payment_details._EMAIL.match(email):
        raise Invalid("email is not an email address", "email")
    async with in_transaction():
        affiliate = await Affiliate.create(
            name=name,
            email=email,
            approval_status=approval,
            payout_mode=mode,
            search_text=f"{name} {email}".lower(),
        )
        await audit.record(actor, "createAffiliate", "Affiliate", affiliate.id, name=name, email=email)
    return affiliate


@retried
async def _set_affiliate_field(
    actor: str, now: datetime, action: str, affiliate_id: int, column: str, value: ApprovalStatus | PayoutMode
) -> Changed[Affiliate]:
    """Change one status column of an affiliate; its payment status follows in the same transaction."""
    async with in_transaction():
        affiliate = await _locked_affiliate(affiliate_id)
        before = getattr(affiliate, column)
        setattr(affiliate, column, value)
        await affiliate.save(update_fields=[column])
        transitions = await refresh_affiliates([affiliate_id], now)
        await audit.record(actor, action, "Affiliate", affiliate_id, before=before.value, after=value.value)
    return Changed(await Affiliate.get(id=affiliate_id), transitions)


async def set_approval_status(
    actor: str, now: datetime, *, affiliate_id: int, status: ApprovalStatus
) -> Changed[Affiliate]:
    return await _set_affiliate_field(actor, now, "setApprovalStatus", affiliate_id, "approval_status", status)


async def set_payout_mode(actor: str, now: datetime, *, affiliate_id: int, mode: PayoutMode) -> Changed[Affiliate]:
    return await _set_affiliate_field(actor, now, "setPayoutMode", affiliate_id, "payout_mode", mode)


@retried
async def update_payment_details(
    actor: str,
    now: datetime,
    *,
    affiliate_id: int,
    cipher: Cipher,
    paypal_email: str | None = None,
    bank_wire: dict[str, Any] | None = None,
    check: dict[str, Any] | None = None,
    preferred: PaymentMethodType | None = None,
) -> Changed[Affiliate]:
    """Add or replace the methods given; an empty paypalEmail removes PayPal.

    Without a preferred type on file, the method just given (or the only one left) becomes it.
    """
    try:
        given, remove = payment_details.changes(paypal_email, bank_wire, check)
    except RuleError as e:
        raise Invalid(str(e), e.field) from None
    async with in_transaction():
        affiliate = await _locked_affiliate(affiliate_id)
        on_file = await _store_details(affiliate_id, cipher, now, given, remove)
        try:
            affiliate.preferred_method = payment_details.preferred_after(
                affiliate.preferred_method, preferred, on_file, [d.type for d in given]
            )
        except RuleError as e:
            raise Invalid(str(e), e.field) from None
        await affiliate.save(update_fields=["preferred_method"])
        transitions = await refresh_affiliates([affiliate_id], now)
        await audit.record(
            actor,
            "updatePaymentDetails",
            "Affiliate",
            affiliate_id,
            methods=sorted(t.value for t in on_file),
            removed=[t.value for t in remove],
            preferred=affiliate.preferred_method.value if affiliate.preferred_method else None,
        )
    return Changed(await Affiliate.get(id=affiliate_id), transitions)


async def _store_details(
    affiliate_id: int, cipher: Cipher, now: datetime, given: Sequence[Details], remove: Sequence[PaymentMethodType]
) -> set[PaymentMethodType]:
    """Write the given methods (encrypted), delete the removed ones; returns the types now on file."""
    if remove:
        await PaymentMethod.filter(affiliate_id=affiliate_id, type__in=remove).delete()
    for d in given:
        encrypted = cipher.encrypt(d.values)
        updated = await PaymentMethod.filter(affiliate_id=affiliate_id, type=d.type).update(
            details=encrypted, summary=d.summary, updated_at=now
        )
        if not updated:
            await PaymentMethod.create(affiliate_id=affiliate_id, type=d.type, details=encrypted, summary=d.summary)
    types = await PaymentMethod.filter(affiliate_id=affiliate_id).values_list("type", flat=True)
    return set(cast(list[PaymentMethodType], types))


@retried
async def update_program_settings(
    actor: str,
    now: datetime,
    *,
    minimum_sales: int | None = None,
    minimum_payout: Sequence[Amount] | None = None,
    default_milestones: Sequence[tuple[Decimal, int]] | None = None,
) -> Changed[ProgramSettings]:
    """Change only the fields given; an empty minimumPayout list removes every minimum."""
    if minimum_sales is not None and not 0 <= minimum_sales <= MAX_SALES_MINIMUM:
        raise Invalid(f"minimumSales is between 0 and {MAX_SALES_MINIMUM}", "minimumSales")
    minimums: dict[str, int] | None = None
    if minimum_payout is not None:
        minimums = {}
        for i, amount in enumerate(minimum_payout):
            value = minor(amount, f"minimumPayout[{i}]", allow_zero=True)
            if amount.currency in minimums:
                raise Invalid(f"{amount.currency} is listed twice", f"minimumPayout[{i}].currency")
            if value:
                minimums[amount.currency] = value
    parsed = milestones(default_milestones, "defaultMilestones") if default_milestones is not None else None
    async with in_transaction():
        settings, _ = await ProgramSettings.get_or_create(id=SETTINGS_ID)
        changed: dict[str, object] = {}
        if minimum_sales is not None:
            settings.minimum_sales = changed["minimumSales"] = minimum_sales
        if minimums is not None:
            settings.minimum_payout = changed["minimumPayout"] = minimums
        if parsed is not None:
            settings.default_milestones = changed["defaultMilestones"] = milestones_to_json(parsed)
        await settings.save()
        transitions = await refresh_all(now)
        await audit.record(actor, "updateProgramSettings", "ProgramSettings", SETTINGS_ID, **changed)
    return Changed(settings, transitions)


# --- sales and refunds ------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedSale:
    """recordSale's answer: the sale, whether this call booked it (not a retry), and what it caused."""

    sale: Sale
    created: bool
    transitions: list[Transition]


@retried
async def record_sale(
    actor: str,
    now: datetime,
    *,
    external_id: str,
    product_id: int,
    affiliate_id: int,
    amount: Amount | None = None,
    occurred_at: datetime | None = None,
) -> RecordedSale:
    """Book a sale and its commission; the same externalId again returns the first sale unchanged."""
    external_id = text(external_id, "externalId")
    occurred = occurred_at or now
    if occurred > now + FUTURE_TOLERANCE:
        raise Invalid("occurredAt must not be in the future", "occurredAt")
    try:
        async with in_transaction():
            existing = await Sale.get_or_none(external_id=external_id)
            if existing is not None:
                return RecordedSale(existing, False, [])
            affiliate = await _locked_affiliate(affiliate_id)
            if affiliate.approval_status is ApprovalStatus.DECLINED:
                raise Violation("sales cannot be recorded for a declined affiliate", "affiliateId",
                                code="AFFILIATE_DECLINED")
            product = await Product.get_or_none(id=product_id)
            if product is None:
                raise NotFound("no such product", "productId")
            sale_amount = product.price
            if amount is not None:
                sale_amount = minor(amount, "amount")
                if amount.currency != product.currency:
                    raise Violation(
                        f"the product is sold in {product.currency}, not {amount.currency}",
                        "amount.currency",
                        code="CURRENCY_MISMATCH",
                    )
            commission = commission_for_sale(sale_amount, product.percent, product.commission_flat)
            sale = await Sale.create(
                external_id=external_id,
                product_id=product.id,
                affiliate_id=affiliate.id,
                currency=product.currency,
                amount=sale_amount,
                original_commission=commission,
                commission=commission,
                occurred_at=occurred,
            )
            await _book_installments(sale, affiliate, product, occurred)
            transitions = await refresh_affiliates([affiliate.id], now)
            await audit.record(
                actor, "recordSale", "Sale", sale.id, externalId=external_id, amount=sale_amount,
                currency=sale.currency, commission=commission,
            )
    except IntegrityError:
        # A concurrent request booked the same externalId first: answer as a retry would be.
        existing = await Sale.get_or_none(external_id=external_id)
        if existing is None:
            raise
        return RecordedSale(existing, False, [])
    return RecordedSale(sale, True, transitions)


async def _book_installments(sale: Sale, affiliate: Affiliate, product: Product, occurred: datetime) -> None:
    """Split the commission by milestones, or settle it at once for approved PayPal Instant affiliates."""
    if sale.commission <= 0:
        return
    if settles_at_sale(affiliate.approval_status, affiliate.payout_mode):
        payout = await Payout.create(
            affiliate_id=affiliate.id, currency=sale.currency, amount=sale.commission, instant=True,
            paid_at=occurred, reference=f"instant:{sale.external_id}",
        )
        await Installment.create(
            sale_id=sale.id, affiliate_id=affiliate.id, currency=sale.currency, position=0,
            amount=sale.commission, original_amount=sale.commission, release_at=occurred, payout_id=payout.id,
        )
        return
    plan = effective_milestones(product.own_milestones(), (await program_rules()).default_milestones)
    parts = split_commission(sale.commission, plan)
    await Installment.bulk_create(
        [
            Installment(
                sale_id=sale.id, affiliate_id=affiliate.id, currency=sale.currency, position=i,
                amount=part, original_amount=part, release_at=release,
            )
            for i, (part, release) in enumerate(zip(parts, release_times(occurred, plan), strict=True))
            if part > 0
        ]
    )


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
        await lock_affiliates([found.affiliate_id])
        sale = await Sale.get(id=found.id)
        remaining = sale.amount - sale.refunded
        if amount is None:
            refund = remaining
        else:
            refund = minor(amount, "amount")
            if amount.currency != sale.currency:
                raise Violation(f"the sale is in {sale.currency}, not {amount.currency}", "amount.currency",
                                code="CURRENCY_MISMATCH")
        if remaining == 0 or refund > remaining:
            raise Violation(
                f"refund exceeds the unrefunded amount of the sale ({remaining} minor units left)",
                "amount", code="REFUND_EXCEEDS_SALE",
            )
        reduction = refund_reduction(sale.original_commission, sale.commission, sale.amount, sale.refunded, refund)
        allocation = await _take_reduction(sale, reduction, occurred)
        sale.refunded += refund
        sale.commission -= reduction
        sale.last_refund_kind = kind
        sale.status = sale_status(sale.amount, sale.refunded, kind)
        await sale.save(update_fields=["refunded", "commission", "last_refund_kind", "status"])
        transitions = await refresh_affiliates([sale.affiliate_id], now)
        await audit.record(
            actor, "refundSale", "Sale", sale.id, externalId=external_id, refund=refund, kind=kind.value,
            commissionReduced=reduction, owed=allocation.owed,
        )
    return Changed(sale, transitions)


async def _take_reduction(sale: Sale, reduction: int, occurred: datetime) -> Allocation:
    """Shrink the sale's unpaid installments; book the rest as owed, one amount per paid installment."""
    installments = await Installment.filter(sale_id=sale.id)
    owed_against: dict[int, int] = defaultdict(int)
    for installment_id, amount in await OwedAmount.filter(
        sale_id=sale.id, amount__gt=0, installment_id__not_isnull=True
    ).values_list("installment_id", "amount"):
        owed_against[installment_id] += amount
    allocation = allocate_reduction(
        reduction,
        [
            InstallmentSlice(i.id, i.amount, i.release_at, i.payout_id is not None, owed_against[i.id])
            for i in installments
        ],
    )
    changed = [i for i in installments if i.id in allocation.new_amounts]
    for inst in changed:
        inst.amount = allocation.new_amounts[inst.id]
        inst.voided = inst.amount == 0
    if changed:
        await Installment.bulk_update(changed, fields=["amount", "voided"])
    parts: list[tuple[int | None, int]] = [*allocation.owed_from.items(), (None, allocation.unattributed)]
    await OwedAmount.bulk_create(
        [
            OwedAmount(
                affiliate_id=sale.affiliate_id, sale_id=sale.id, currency=sale.currency, amount=amount,
                installment_id=installment_id, created_at=occurred,
            )
            for installment_id, amount in parts
            if amount
        ]
    )
    return allocation


async def net_void_against_refunds(affiliate_id: int, currency: str, voided_payout_id: int) -> int:
    """Rule 12, after a void (in its transaction): net outstanding owed against installments unpaid again.

    Returns the amount netted: the part of the installments voided, and of owed dropped.
    """
    outstanding = await OwedAmount.filter(
        affiliate_id=affiliate_id, currency=currency, recovered_by_id=None, amount__gt=0,
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
