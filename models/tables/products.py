"""Products an affiliate earns commission on, with their own payout milestones."""

from __future__ import annotations

from decimal import Decimal

from tortoise import fields
from tortoise.models import Model

from models.rules.commission import Milestone, Rate, milestones_from_json
from models.rules.renewals import RenewalTerms


class Product(Model):
    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    currency = fields.CharField(max_length=3)
    price = fields.BigIntField()  # minor units
    # Exactly one of the two commissions is set. The percent is text: SQLite has no exact decimal.
    commission_percent = fields.CharField(max_length=16, null=True)
    commission_flat = fields.BigIntField(null=True)  # minor units of `currency`
    milestones: list[list[object]] | None = fields.JSONField(null=True)  # None: program default
    created_at = fields.DatetimeField(auto_now_add=True)
    external_id = fields.CharField(max_length=200, null=True, unique=True)  # e.g. a Stripe price id
    # Renewal terms (rule 14): at most one of the two rates; None means the sale's own rate.
    renewal_commission_percent = fields.CharField(max_length=16, null=True)
    renewal_commission_flat = fields.BigIntField(null=True)
    renewal_months = fields.IntField(null=True)  # None: the subscription's lifetime
    renewal_payments = fields.IntField(null=True)  # None: no count limit
    second_tier_commission_percent = fields.CharField(max_length=16, null=True)  # rule 16.2; None: none

    class Meta:
        table = "products"

    @property
    def percent(self) -> Decimal | None:
        return Decimal(self.commission_percent) if self.commission_percent is not None else None

    @property
    def rate(self) -> Rate:
        return Rate(self.percent, self.commission_flat)

    def own_milestones(self) -> tuple[Milestone, ...]:
        return milestones_from_json(self.milestones)

    def renewal_terms(self) -> RenewalTerms:
        percent = self.renewal_commission_percent
        return RenewalTerms(
            percent=None if percent is None else Decimal(percent),
            flat=self.renewal_commission_flat,
            months=self.renewal_months,
            payments=self.renewal_payments,
        )
