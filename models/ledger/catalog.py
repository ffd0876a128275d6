"""The catalog: products and their commission tiers (rule 15), each change in one transaction.

Each operation validates its input, locks what it touches, writes and appends to the audit log,
all inside one transaction: on any error nothing is written. The arithmetic lives in `models/rules/`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from models.errors import Invalid, NotFound, Violation
from models.ledger import audit
from models.ledger.affiliates import locked_affiliate
from models.money import canonical_percent
from models.rules.commission import (
    Rate,
    RuleError,
    milestones_to_json,
    validate_percent,
)
from models.rules.renewals import MAX_RENEWAL_MONTHS, MAX_RENEWAL_PAYMENTS, Assignment, tier_at
from models.tables.affiliates import Affiliate
from models.tables.products import Product
from models.tables.tiers import CommissionTier, TierAssignment
from models.transactions import retried
from models.validation import Amount, milestones, minor, text


class Keep(Enum):
    """An optional field an update was not given, as opposed to one it was given as null (clear it)."""

    KEEP = "keep"


KEEP = Keep.KEEP

# --- products ---------------------------------------------------------------------------------------


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
    second_tier_commission_percent: Decimal | None | Keep = KEEP


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
    if c.second_tier_commission_percent is not KEEP:  # rule 16.2
        percent = c.second_tier_commission_percent
        product.second_tier_commission_percent = changed["secondTierCommissionPercent"] = (
            None if percent is None else percent_text(percent, "secondTierCommissionPercent")
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
    second_tier_commission_percent: Decimal | None = None,
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
            second_tier_commission_percent=second_tier_commission_percent,
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
        affiliate = await locked_affiliate(affiliate_id)
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
