"""Sales, the installments their commission is split into, and owed amounts from refunds."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import RefundKind, SaleStatus

if TYPE_CHECKING:
    from models.tables.affiliates import Affiliate
    from models.tables.commissions import Commission
    from models.tables.payouts import Payout
    from models.tables.products import Product
    from models.tables.tiers import CommissionTier


class Sale(Model):
    id = fields.IntField(primary_key=True)
    external_id = fields.CharField(max_length=200, unique=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField("payouts.Product", related_name="sales")
    product_id: int
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField("payouts.Affiliate", related_name="sales")
    affiliate_id: int
    currency = fields.CharField(max_length=3)
    amount = fields.BigIntField()
    refunded = fields.BigIntField(default=0)
    original_commission = fields.BigIntField()
    commission = fields.BigIntField()  # after refunds
    status = fields.CharEnumField(SaleStatus, default=SaleStatus.COMPLETED)
    last_refund_kind = fields.CharEnumField(RefundKind, null=True)
    occurred_at = fields.DatetimeField()
    created_at = fields.DatetimeField(auto_now_add=True)
    subscription_id = fields.CharField(max_length=200, null=True)
    renewal = fields.BooleanField(default=False, db_default=False)
    tier: fields.ForeignKeyNullableRelation[CommissionTier] = fields.ForeignKeyField(
        "payouts.CommissionTier", related_name="sales", null=True
    )
    tier_id: int | None
    commission_ended_reason = fields.CharField(max_length=200, null=True)
    # The processor's running refund total last booked (charge.refunded), and its disputes by id.
    processor_refunded = fields.BigIntField(default=0, db_default=0)
    disputes: dict[str, str] = fields.JSONField(default=dict, db_default={})  # dispute id -> "open" | "closed"

    class Meta:
        table = "sales"
        # Each list of sales, newest occurrence first, reads a page in one of these orders (migration
        # 0016): the program's (optionally from/to) and by affiliate, product or status.
        indexes = (
            ("occurred_at", "id"),
            ("affiliate_id", "occurred_at", "id"),
            ("product_id", "occurred_at", "id"),
            ("status", "occurred_at", "id"),
            ("subscription_id", "id"),
        )


class Installment(Model):
    """The share of one milestone in the commission of a sale, settled by at most one live payout."""

    id = fields.IntField(primary_key=True)
    sale: fields.ForeignKeyRelation[Sale] = fields.ForeignKeyField("payouts.Sale", related_name="installments")
    sale_id: int
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="installments"
    )
    affiliate_id: int
    currency = fields.CharField(max_length=3)
    position = fields.IntField()
    amount = fields.BigIntField()  # after refunds; 0 once voided
    original_amount = fields.BigIntField()
    release_at = fields.DatetimeField()
    voided = fields.BooleanField(default=False)
    disputed = fields.BooleanField(default=False, db_default=False)  # held by an open dispute: not due
    payout: fields.ForeignKeyNullableRelation[Payout] = fields.ForeignKeyField(
        "payouts.Payout", related_name="installments", null=True
    )
    payout_id: int | None
    # The commission it is a share of (rule 16.4); the affiliate above is that commission's payee.
    commission: fields.ForeignKeyNullableRelation[Commission] = fields.ForeignKeyField(
        "payouts.Commission", related_name="installments", null=True
    )
    commission_id: int | None

    class Meta:
        table = "installments"
        # A refund or dispute reads its sale's installments, a void its payout's (migration 0015).
        indexes = (("affiliate_id", "payout_id"), ("sale_id",), ("payout_id",))


class OwedAmount(Model):
    """Refunded commission that had already been paid, recovered by the next payout.

    It names the paid installment it was taken from, so that voiding that installment's payout nets
    the two (rule 12): the installment shrinks by the amount, and the amount drops to 0.
    """

    id = fields.IntField(primary_key=True)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="owed_amounts"
    )
    affiliate_id: int
    sale: fields.ForeignKeyRelation[Sale] = fields.ForeignKeyField("payouts.Sale", related_name="owed_amounts")
    sale_id: int
    currency = fields.CharField(max_length=3)
    amount = fields.BigIntField()
    created_at = fields.DatetimeField()
    recovered_by: fields.ForeignKeyNullableRelation[Payout] = fields.ForeignKeyField(
        "payouts.Payout", related_name="recovered", null=True
    )
    recovered_by_id: int | None
    installment: fields.ForeignKeyNullableRelation[Installment] = fields.ForeignKeyField(
        "payouts.Installment", related_name="owed_amounts", null=True
    )
    installment_id: int | None  # None: booked before installments were named (migration 0004)
    netted_by: fields.ForeignKeyNullableRelation[Payout] = fields.ForeignKeyField(
        "payouts.Payout", related_name="netted", null=True
    )
    netted_by_id: int | None  # the voided payout whose void netted this amount against its installment
    commission: fields.ForeignKeyNullableRelation[Commission] = fields.ForeignKeyField(
        "payouts.Commission", related_name="owed_amounts", null=True
    )
    commission_id: int | None

    class Meta:
        table = "owed_amounts"
        indexes = (("affiliate_id", "recovered_by_id"), ("sale_id",), ("recovered_by_id",))
