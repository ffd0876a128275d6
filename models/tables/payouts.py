"""Payouts: what was settled for one affiliate in one currency, by hand or instantly."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import PaymentMethodType, PayoutStatus, PayoutVoidSource

if TYPE_CHECKING:
    from models.tables.affiliates import Affiliate


class Payout(Model):
    id = fields.IntField(primary_key=True)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="payouts"
    )
    affiliate_id: int
    currency = fields.CharField(max_length=3)
    amount = fields.BigIntField()  # net of recovered owed amounts
    method = fields.CharEnumField(PaymentMethodType, null=True)  # None for instant payouts
    instant = fields.BooleanField(default=False)
    status = fields.CharEnumField(PayoutStatus, default=PayoutStatus.PAID)
    paid_at = fields.DatetimeField()
    reference = fields.CharField(max_length=200, null=True)
    export_id = fields.IntField(null=True)
    voided_at = fields.DatetimeField(null=True)
    void_reason = fields.CharField(max_length=500, null=True)
    void_source = fields.CharEnumField(PayoutVoidSource, null=True)
    export_row_id = fields.IntField(null=True)  # the export row it settled: `PD-<export_id>-<export_row_id>`
    result_status = fields.CharField(max_length=40, null=True)  # the latest status a result import gave it
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "payouts"
        indexes = (
            ("affiliate_id", "id"),
            ("affiliate_id", "paid_at"),
            ("export_row_id",),
        )  # the second: a tax year's payouts
