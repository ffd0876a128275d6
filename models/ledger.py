"""Ledger operations: every change of money state, each in one transaction.

Each operation validates its input, locks the affiliates it touches, writes, refreshes their
stored balances (`models.balances`) and appends to the audit log, all inside one transaction:
on any error nothing is written. The arithmetic itself lives in `models.rules`.
"""

from __future__ import annotations

import re
import secrets
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any, cast

from tortoise.backends.base.client import TransactionalDBClient
from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models import audit, booking, payment_details, webhook_events, webhook_ledger
from models.affiliates import Affiliate, PaymentMethod
from models.balances import Changed, lock_affiliates, refresh_affiliates, refresh_all
from models.booking import Order, RecordedSale, SaleLine
from models.enums import ApprovalStatus, DueCause, PaymentMethodType, PayoutMode, RefundKind
from models.errors import Invalid, LedgerError, NotFound, Violation
from models.group_commit import committer
from models.money import canonical_percent
from models.payment_details import Cipher, Details
from models.products import Product
from models.program import SETTINGS_ID, ProgramSettings, milestones_to_json
from models.rules import (
    Allocation,
    Assignment,
    InstallmentSlice,
    OwedSlice,
    Rate,
    RuleError,
    allocate_reduction,
    net_void,
    refund_reduction,
    sale_status,
    tier_at,
    validate_percent,
)
from models.sales import Installment, OwedAmount, Sale
from models.tiers import CommissionTier, TierAssignment
from models.transactions import retried, retrying
from models.validation import Amount, milestones, minor, text

MAX_SALES_MINIMUM = 1_000_000
MAX_RENEWAL_MONTHS = 1200
MAX_RENEWAL_PAYMENTS = 100_000
REFERRAL_CODE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{2,63}")
CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: codes are read aloud and typed


class Keep(Enum):
    """An optional field an update was not given, as opposed to one it was given as null (clear it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


async def _locked_affiliate(affiliate_id: int) -> Affiliate:
    await lock_affiliates([affiliate_id])
    affiliate = await Affiliate.get_or_none(id=affiliate_id)
    if affiliate is None:
        raise NotFound("no such affiliate", "affiliateId")
    return affiliate


# --- products and affiliates ------------------------------------------------------------------


def percent_text(percent: Decimal, field: str) -> str:
    """A validated commission percent as stored (text: SQLite has no exact decimal)."""
    try:
        validate_percent(percent, field)
    except RuleError as e:
        raise Invalid(str(e), e.field) from None
    return canonical_percent(percent)


def flat_minor(flat: Amount, currency: str, field: str) -> int:
    """A flat commission is paid in the product's currency."""
    value = minor(flat, field)
    if flat.currency != currency:
        raise Violation(
            f"a flat commission is paid in the product's currency ({currency})",
            f"{field}.currency",
            code="CURRENCY_MISMATCH",
        )
    return value


def rate_columns(percent: Decimal | None, flat: Amount | None, currency: str, prefix: str = "commission") -> Rate:
    """Exactly one of a percent and a flat amount, validated: what a product or tier earns."""
    camel = prefix[0].lower() + prefix[1:]
    if (percent is None) == (flat is None):
        raise Invalid(f"set exactly one of {camel}Percent and {camel}Flat", f"{camel}Percent")
    if percent is not None:
        return Rate(Decimal(percent_text(percent, f"{camel}Percent")), None)
    assert flat is not None
    return Rate(None, flat_minor(flat, currency, f"{camel}Flat"))


def limit(value: int | None, field: str, most: int) -> int | None:
    if value is not None and not 0 <= value <= most:
        raise Invalid(f"{field} is between 0 and {most}, or null for no limit", field)
    return value


def external_id_of(value: str | None) -> str | None:
    return None if value is None else text(value, "externalId")


async def _unique_external_id(value: str | None, product_id: int | None = None) -> None:
    if value is not None and await Product.filter(external_id=value).exclude(id=product_id or 0).exists():
        raise Invalid("another product has this externalId", "externalId")


@dataclass(frozen=True)
class ProductChanges:
    """What updateProduct was given: None (or KEEP) keeps a field; None given for a KEEP field clears it."""

    name: str | None = None
    price: Amount | None = None
    commission_percent: Decimal | None = None
    commission_flat: Amount | None = None
    milestones: Sequence[tuple[Decimal, int]] | None = None
    external_id: str | None | Keep = KEEP
    renewal_commission_percent: Decimal | None | Keep = KEEP
    renewal_commission_flat: Amount | None | Keep = KEEP
    renewal_months: int | None | Keep = KEEP
    renewal_payments: int | None | Keep = KEEP


def _apply_product_changes(product: Product, c: ProductChanges) -> dict[str, object]:
    """Validate and set the given fields on the row; returns what changed, for the audit log."""
    changed: dict[str, object] = {}
    if c.name is not None:
        product.name = changed["name"] = text(c.name, "name")
    if c.price is not None:
        if c.price.currency != product.currency:
            raise Violation(
                f"the product is sold in {product.currency}; its currency cannot change",
                "price.currency",
                code="CURRENCY_MISMATCH",
            )
        product.price = changed["price"] = minor(c.price, "price")
    if c.commission_percent is not None or c.commission_flat is not None:
        rate = rate_columns(c.commission_percent, c.commission_flat, product.currency)
        product.commission_percent = None if rate.percent is None else str(rate.percent)
        product.commission_flat = rate.flat
        changed["commission"] = product.commission_percent or product.commission_flat
    if c.milestones is not None:
        product.milestones = changed["milestones"] = milestones_to_json(milestones(c.milestones, "milestones"))
    return {**changed, **_apply_renewal_changes(product, c)}


def _apply_renewal_changes(product: Product, c: ProductChanges) -> dict[str, object]:
    """The optional externalId and renewal terms (rule 14): a field not given is kept, null clears it."""
    changed: dict[str, object] = {}
    if c.external_id is not KEEP:
        product.external_id = changed["externalId"] = external_id_of(c.external_id)
    if c.renewal_commission_percent is not KEEP:
        percent = c.renewal_commission_percent
        product.renewal_commission_percent = (
            None if percent is None else percent_text(percent, "renewalCommissionPercent")
        )
        changed["renewalCommissionPercent"] = product.renewal_commission_percent
    if c.renewal_commission_flat is not KEEP:
        flat = c.renewal_commission_flat
        product.renewal_commission_flat = changed["renewalCommissionFlat"] = (
            None if flat is None else flat_minor(flat, product.currency, "renewalCommissionFlat")
        )
    if product.renewal_commission_percent is not None and product.renewal_commission_flat is not None:
        raise Invalid(
            "set at most one of renewalCommissionPercent and renewalCommissionFlat", "renewalCommissionPercent"
        )
    if c.renewal_months is not KEEP:
        product.renewal_months = changed["renewalMonths"] = limit(c.renewal_months, "renewalMonths", MAX_RENEWAL_MONTHS)
    if c.renewal_payments is not KEEP:
        product.renewal_payments = changed["renewalPayments"] = limit(
            c.renewal_payments, "renewalPayments", MAX_RENEWAL_PAYMENTS
        )
    return changed


@retried
async def create_product(
    actor: str,
    *,
    name: str,
    price: Amount,
    commission_percent: Decimal | None,
    commission_flat: Amount | None,
    product_milestones: Sequence[tuple[Decimal, int]] | None,
    external_id: str | None = None,
    renewal_commission_percent: Decimal | None = None,
    renewal_commission_flat: Amount | None = None,
    renewal_months: int | None = None,
    renewal_payments: int | None = None,
) -> Product:
    name = text(name, "name")
    price_minor = minor(price, "price")
    rate = rate_columns(commission_percent, commission_flat, price.currency)
    parsed = milestones(product_milestones, "milestones") if product_milestones is not None else None
    product = Product(
        name=name,
        currency=price.currency,
        price=price_minor,
        commission_percent=None if rate.percent is None else str(rate.percent),
        commission_flat=rate.flat,
        milestones=milestones_to_json(parsed) if parsed else None,
    )
    _apply_product_changes(
        product,
        ProductChanges(
            external_id=external_id,
            renewal_commission_percent=renewal_commission_percent,
            renewal_commission_flat=renewal_commission_flat,
            renewal_months=renewal_months,
            renewal_payments=renewal_payments,
        ),
    )
    try:
        async with in_transaction():
            await _unique_external_id(product.external_id)
            await product.save()
            await audit.record(actor, "createProduct", "Product", product.id, name=name)
    except IntegrityError:  # a concurrent create took the externalId first
        raise Invalid("another product has this externalId", "externalId") from None
    return product


@retried
async def update_product(actor: str, *, product_id: int, changes: ProductChanges) -> Product:
    """Change only the fields given. Booked sales keep their commission and installments as they are."""
    try:
        async with in_transaction():
            product = await Product.filter(id=product_id).select_for_update().first()
            if product is None:
                raise NotFound("no such product", "productId")
            changed = _apply_product_changes(product, changes)
            await _unique_external_id(product.external_id, product.id)
            await product.save()
            await audit.record(actor, "updateProduct", "Product", product.id, **changed)
    except IntegrityError:
        raise Invalid("another product has this externalId", "externalId") from None
    return product


def email_of(value: str) -> str:
    email = text(value, "email", limit=254)
    if not payment_details._EMAIL.match(email):
        raise Invalid("email is not an email address", "email")
    return email


def referral_code_of(value: str) -> str:
    code = value.strip()
    if not REFERRAL_CODE.fullmatch(code):
        raise Invalid(
            "referralCode is 3 to 64 letters, digits, '-' or '_', starting with a letter or digit", "referralCode"
        )
    return code


def new_referral_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(10))


async def _unique_referral_code(code: str, affiliate_id: int = 0) -> None:
    if await Affiliate.filter(referral_code=code).exclude(id=affiliate_id).exists():
        raise Invalid("another affiliate has this referralCode", "referralCode")


@retried
async def create_affiliate(
    actor: str, *, name: str, email: str, approval: ApprovalStatus, mode: PayoutMode, referral_code: str | None = None
) -> Affiliate:
    name = text(name, "name")
    email = email_of(email)
    code = referral_code_of(referral_code) if referral_code is not None else new_referral_code()
    try:
        async with in_transaction():
            await _unique_referral_code(code)
            affiliate = await Affiliate.create(
                name=name,
                email=email,
                approval_status=approval,
                payout_mode=mode,
                search_text=f"{name} {email}".lower(),
                referral_code=code,
            )
            await audit.record(
                actor, "createAffiliate", "Affiliate", affiliate.id, name=name, email=email, referralCode=code
            )
    except IntegrityError:  # a concurrent create took the code first
        raise Invalid("another affiliate has this referralCode", "referralCode") from None
    return affiliate


@retried
async def update_affiliate(
    actor: str,
    *,
    affiliate_id: int,
    name: str | None = None,
    email: str | None = None,
    referral_code: str | None = None,
) -> Affiliate:
    """Change only the fields given; nothing about money moves."""
    changed: dict[str, object] = {}
    try:
        async with in_transaction():
            affiliate = await _locked_affiliate(affiliate_id)
            if name is not None:
                affiliate.name = changed["name"] = text(name, "name")
            if email is not None:
                affiliate.email = changed["email"] = email_of(email)
            if referral_code is not None:
                affiliate.referral_code = changed["referralCode"] = referral_code_of(referral_code)
                await _unique_referral_code(affiliate.referral_code, affiliate_id)
            affiliate.search_text = f"{affiliate.name} {affiliate.email}".lower()
            await affiliate.save(update_fields=["name", "email", "referral_code", "search_text"])
            await audit.record(actor, "updateAffiliate", "Affiliate", affiliate_id, **changed)
    except IntegrityError:
        raise Invalid("another affiliate has this referralCode", "referralCode") from None
    return affiliate


# --- commission tiers (rule 15) -------------------------------------------------------------------


@retried
async def create_commission_tier(
    actor: str,
    *,
    product_id: int,
    name: str,
    commission_percent: Decimal | None,
    commission_flat: Amount | None,
    tier_milestones: Sequence[tuple[Decimal, int]] | None,
) -> CommissionTier:
    name = text(name, "name")
    parsed = milestones(tier_milestones, "milestones") if tier_milestones is not None else None
    try:
        async with in_transaction():
            product = await Product.get_or_none(id=product_id)
            if product is None:
                raise NotFound("no such product", "productId")
            rate = rate_columns(commission_percent, commission_flat, product.currency)
            if await CommissionTier.filter(product_id=product_id, name=name).exists():
                raise Invalid("the product already has a tier of this name", "name")
            tier = await CommissionTier.create(
                product_id=product_id,
                name=name,
                currency=product.currency,
                commission_percent=None if rate.percent is None else str(rate.percent),
                commission_flat=rate.flat,
                milestones=milestones_to_json(parsed) if parsed else None,
            )
            await audit.record(
                actor,
                "createCommissionTier",
                "CommissionTier",
                tier.id,
                product=product_id,
                name=name,
                percent=tier.commission_percent,
                flat=tier.commission_flat,
            )
    except IntegrityError:
        raise Invalid("the product already has a tier of this name", "name") from None
    return tier


@retried
async def assign_commission_tier(
    actor: str, now: datetime, *, affiliate_id: int, product_id: int, tier_id: int | None
) -> Affiliate:
    """From now on the affiliate's sales of the product earn the tier's rate (None: the base tier).

    Kept as history: sales already booked, and sales dated before now, keep the tier of their time.
    """
    async with in_transaction():
        affiliate = await _locked_affiliate(affiliate_id)
        if not await Product.filter(id=product_id).exists():
            raise NotFound("no such product", "productId")
        if tier_id is not None:
            tier = await CommissionTier.get_or_none(id=tier_id)
            if tier is None:
                raise NotFound("no such tier", "tierId")
            if tier.product_id != product_id:
                raise Invalid("the tier belongs to another product", "tierId")
        await TierAssignment.create(affiliate_id=affiliate_id, product_id=product_id, tier_id=tier_id, assigned_at=now)
        await audit.record(actor, "assignCommissionTier", "Affiliate", affiliate_id, product=product_id, tier=tier_id)
    return affiliate


async def tier_in_force(affiliate_id: int, product_id: int, when: datetime) -> CommissionTier | None:
    rows = await TierAssignment.filter(affiliate_id=affiliate_id, product_id=product_id).values(
        "id", "assigned_at", "tier_id"
    )
    tier_id = tier_at((Assignment(r["assigned_at"], r["id"], r["tier_id"]) for r in rows), when)
    return None if tier_id is None else await CommissionTier.get(id=tier_id)


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
        await webhook_ledger.emit(webhook_events.became_due(transitions, DueCause.REQUIREMENTS_MET, now))
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
        await webhook_ledger.emit(webhook_events.became_due(transitions, DueCause.REQUIREMENTS_MET, now))
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
        await webhook_ledger.emit(webhook_events.became_due(transitions, DueCause.REQUIREMENTS_MET, now))
        await audit.record(actor, "updateProgramSettings", "ProgramSettings", SETTINGS_ID, **changed)
    return Changed(settings, transitions)


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
        await lock_affiliates([found.affiliate_id])
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
        reduction = refund_reduction(sale.original_commission, sale.commission, sale.amount, sale.refunded, refund)
        allocation = await _take_reduction(sale, reduction, occurred)
        sale.refunded += refund
        sale.commission -= reduction
        sale.last_refund_kind = kind
        sale.status = sale_status(sale.amount, sale.refunded, kind)
        await sale.save(update_fields=["refunded", "commission", "last_refund_kind", "status"])
        transitions = await refresh_affiliates([sale.affiliate_id], now)
        await webhook_ledger.emit(
            [
                webhook_events.refunded(
                    sale_id=sale.id,
                    external_id=external_id,
                    affiliate_id=sale.affiliate_id,
                    currency=sale.currency,
                    kind=kind,
                    refund=refund,
                    refunded_total=sale.refunded,
                    status=sale.status.value,
                    occurred_at=occurred,
                    reduction=reduction,
                    commission_after=sale.commission,
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
            owed=allocation.owed,
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
                affiliate_id=sale.affiliate_id,
                sale_id=sale.id,
                currency=sale.currency,
                amount=amount,
                installment_id=installment_id,
                created_at=occurred,
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
