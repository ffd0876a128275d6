"""Commission tiers (rule 15): named rates of a product besides its base tier, and who is on which."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.rules.commission import Milestone, Rate, milestones_from_json

if TYPE_CHECKING:
    from models.tables.affiliates import Affiliate
    from models.tables.products import Product


class CommissionTier(Model):
    """A named rate of one product: exactly one of percent and flat is set (flat in the currency of the product)."""

    id = fields.IntField(primary_key=True)
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField("payouts.Product", related_name="tiers")
    product_id: int
    name = fields.CharField(max_length=200)
    currency = fields.CharField(max_length=3)  # the product's, which never changes
    commission_percent = fields.CharField(max_length=16, null=True)
    commission_flat = fields.BigIntField(null=True)
    milestones: list[list[object]] | None = fields.JSONField(null=True)  # None: the product's
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "commission_tiers"
        unique_together = (("product", "name"),)

    @property
    def rate(self) -> Rate:
        percent = None if self.commission_percent is None else Decimal(self.commission_percent)
        return Rate(percent, self.commission_flat)

    def own_milestones(self) -> tuple[Milestone, ...]:
        return milestones_from_json(self.milestones)


class TierAssignment(Model):
    """One assignment of an affiliate to a tier of a product (None: back to base), kept as history.

    Sales look up the assignment in force at their own time, so changing a tier never rewrites
    commission booked before, and a sale dated before the change keeps the old rate.
    """

    id = fields.IntField(primary_key=True)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="tier_assignments"
    )
    affiliate_id: int
    product: fields.ForeignKeyRelation[Product] = fields.ForeignKeyField(
        "payouts.Product", related_name="tier_assignments"
    )
    product_id: int
    tier: fields.ForeignKeyNullableRelation[CommissionTier] = fields.ForeignKeyField(
        "payouts.CommissionTier", related_name="assignments", null=True
    )
    tier_id: int | None
    assigned_at = fields.DatetimeField()

    class Meta:
        table = "tier_assignments"
        indexes = (("affiliate_id", "product_id", "assigned_at"),)
