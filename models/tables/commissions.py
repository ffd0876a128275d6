"""Rule 16: one commission per beneficiary of a sale, recruiter history, and JV partners per product."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import CommissionRole

if TYPE_CHECKING:
    from models.tables.affiliates import Affiliate
    from models.tables.products import Product
    from models.tables.sales import Sale


class Commission(Model):
    """What one payee earns on one sale in one role: its installments and owed amounts name it.

    The sale's AFFILIATE commission is mirrored on `Sale.commission` (rule 16.4: `Sale.commission`
    keeps meaning the first tier's).
    """

    id = fields.IntField(primary_key=True)
    sale: fields.ForeignKeyRelation[Sale] = fields.ForeignKeyField("payouts.Sale", related_name="commissions")
    sale_id: int
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="commissions"
    )
    affiliate_id: int  # the payee
    role = fields.CharEnumField(CommissionRole)
    position = fields.IntField()  # 0: AFFILIATE, then SECOND_TIER, then JV partners in the product's order
    currency = fields.CharField(max_length=3)
    percent = fields.CharField(max_length=16, null=True)  # None: flat, or booked before release 3
    original_amount = fields.BigIntField()
    amount = fields.BigIntField()  # after refunds
    ended_reason = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "commissions"
        unique_together = (("sale", "position"),)
        indexes = (("affiliate_id", "id"),)


class RecruiterAssignment(Model):
    """One setting of an affiliate's recruiter (None: cleared), kept as history like tier assignments."""

    id = fields.IntField(primary_key=True)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="recruiter_assignments"
    )
    affiliate_id: int
    recruiter: fields.ForeignKeyNullableRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="recruit_assignments", null=True
    )
    recruiter_id: int | None
    assigned_at = fields.DatetimeField()

    class Meta:
        table = "recruiter_assignments"
        indexes = (("affiliate_id", "assigned_at"),)


class JvPartnerShare(Model):
    """One JV partner of a product: a percent of every sale, within the partner's own renewal limits."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField("payouts.Product", related_name="jv_partners")
    product_id: int
    position = fields.IntField()
    payee: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField("payouts.Affiliate", related_name="jv_shares")
    payee_id: int
    percent = fields.CharField(max_length=16)
    renewal_months = fields.IntField(null=True)
    renewal_payments = fields.IntField(null=True)

    class Meta:
        table = "jv_partner_shares"
        unique_together = (("product", "position"),)

    @property
    def percent_value(self) -> Decimal:
        return Decimal(self.percent)
