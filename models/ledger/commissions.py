"""Rule 16's settings: an affiliate's recruiter (with its history) and a product's JV partners.

Neither moves money: they decide who earns on sales booked from then on (models.ledger.booking).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import cast

from tortoise.transactions import in_transaction

from models.enums import ApprovalStatus
from models.errors import Invalid, NotFound
from models.ledger import audit
from models.ledger.balances import lock_affiliates
from models.money import canonical_percent
from models.rules.commission import RuleError
from models.rules.commissions import JvEntry, check_jv_partners
from models.rules.renewals import MAX_RENEWAL_MONTHS, MAX_RENEWAL_PAYMENTS
from models.sql import recruiter_chain_contains
from models.tables.affiliates import Affiliate
from models.tables.commissions import Commission, JvPartnerShare, RecruiterAssignment
from models.tables.products import Product
from models.transactions import retried


async def check_recruiter(affiliate_id: int | None, recruiter_id: int, field: str) -> None:
    """Rule 16.1: an existing, not DECLINED affiliate, neither the recruit nor below it in a chain."""
    recruiter = await Affiliate.get_or_none(id=recruiter_id).values("id", "approval_status")
    if recruiter is None:
        raise NotFound("no such recruiter", field)
    if recruiter_id == affiliate_id:
        raise Invalid("an affiliate cannot recruit itself", field)
    if recruiter["approval_status"] == ApprovalStatus.DECLINED:
        raise Invalid("a DECLINED affiliate cannot be a recruiter", field)
    if affiliate_id is not None and await recruiter_chain_contains(recruiter_id, affiliate_id):
        raise Invalid("the recruiter is itself recruited, directly or not, by this affiliate (a cycle)", field)


async def assign_recruiter(affiliate: Affiliate, recruiter_id: int | None, now: datetime) -> bool:
    """Record the change in the history and on the row; False when it is the recruiter already."""
    if affiliate.recruited_by_id == recruiter_id:
        return False
    affiliate.recruited_by_id = recruiter_id
    affiliate.recruited_at = None if recruiter_id is None else now
    await affiliate.save(update_fields=["recruited_by_id", "recruited_at"])
    await RecruiterAssignment.create(affiliate_id=affiliate.id, recruiter_id=recruiter_id, assigned_at=now)
    return True


@retried
async def set_recruiter(actor: str, now: datetime, *, affiliate_id: int, recruiter_id: int | None) -> Affiliate:
    """Set, change or clear the recruiter: sales at or after `now` earn the new one (booked ones never move)."""
    async with in_transaction():
        # Locking the recruit serialises its changes, so two concurrent settings cannot build a cycle
        # on SQLite; on PostgreSQL the chain read below could race one, so the lock covers both ends.
        await lock_affiliates([affiliate_id] if recruiter_id is None else [affiliate_id, recruiter_id])
        affiliate = await Affiliate.get_or_none(id=affiliate_id)
        if affiliate is None:
            raise NotFound("no such affiliate", "affiliateId")
        if recruiter_id is not None:
            await check_recruiter(affiliate_id, recruiter_id, "recruiterId")
        if await assign_recruiter(affiliate, recruiter_id, now):
            await audit.record(actor, "setRecruiter", "Affiliate", affiliate_id, recruiter=recruiter_id)
    return affiliate


@dataclass(frozen=True)
class JvPartnerInput:
    payee_id: int
    percent: Decimal
    renewal_months: int | None = None
    renewal_payments: int | None = None


@retried
async def set_product_jv_partners(actor: str, *, product_id: int, partners: Sequence[JvPartnerInput]) -> Product:
    """Replace the product's JV list (rule 16.3); sales booked from now on use the new one."""
    entries = [JvEntry(p.payee_id, p.percent, p.renewal_months, p.renewal_payments) for p in partners]
    try:
        check_jv_partners(entries, MAX_RENEWAL_MONTHS, MAX_RENEWAL_PAYMENTS)
    except RuleError as refused:
        raise Invalid(str(refused), refused.field) from None
    async with in_transaction():
        product = await Product.filter(id=product_id).select_for_update().first()
        if product is None:
            raise NotFound("no such product", "productId")
        statuses = dict(
            await Affiliate.filter(id__in=[e.payee_id for e in entries]).values_list("id", "approval_status")
        )
        for i, e in enumerate(entries):
            if e.payee_id not in statuses:
                raise NotFound("no such payee", f"partners.{i}.payeeId")
            if statuses[e.payee_id] == ApprovalStatus.DECLINED:
                raise Invalid("a DECLINED affiliate cannot be a JV partner", f"partners.{i}.payeeId")
        await JvPartnerShare.filter(product_id=product_id).delete()
        await JvPartnerShare.bulk_create(
            [
                JvPartnerShare(
                    product_id=product_id,
                    position=i,
                    payee_id=e.payee_id,
                    percent=canonical_percent(e.percent),
                    renewal_months=e.months,
                    renewal_payments=e.payments,
                )
                for i, e in enumerate(entries)
            ]
        )
        await audit.record(
            actor,
            "setProductJvPartners",
            "Product",
            product_id,
            partners=[[e.payee_id, canonical_percent(e.percent), e.months, e.payments] for e in entries],
        )
    return product


async def lock_sale_payees(sale_id: int) -> list[int]:
    """Lock every payee of a sale's commissions (ascending, in one call) before changing its money."""
    found = cast(list[int], await Commission.filter(sale_id=sale_id).values_list("affiliate_id", flat=True))
    payees = sorted(set(found))
    await lock_affiliates(payees)
    return payees
