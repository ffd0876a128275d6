"""What the payment processor sent: each webhook event once, and the customers and subscriptions it attributed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import ProcessorEventStatus

if TYPE_CHECKING:
    from models.tables.affiliates import Affiliate
    from models.tables.products import Product
    from models.tables.sales import Sale


class ProcessorEvent(Model):
    """One received event: the unique `event_id` makes a second delivery (even a concurrent one) a replay."""

    id = fields.IntField(primary_key=True)
    event_id = fields.CharField(max_length=255, unique=True)
    type = fields.CharField(max_length=100)
    received_at = fields.DatetimeField()
    status = fields.CharEnumField(ProcessorEventStatus)
    reason = fields.CharField(max_length=500, null=True)
    sale: fields.ForeignKeyNullableRelation[Sale] = fields.ForeignKeyField(
        "payouts.Sale", related_name="processor_events", null=True
    )
    sale_id: int | None

    class Meta:
        table = "processor_events"
        indexes = (("status", "id"),)


class ProcessorLink(Model):
    """A processor customer or subscription attributed by a checkout, so later invoices need no metadata."""

    id = fields.IntField(primary_key=True)
    kind = fields.CharField(max_length=20)  # "customer" | "subscription"
    key = fields.CharField(max_length=255)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="processor_links"
    )
    affiliate_id: int
    product: fields.ForeignKeyNullableRelation[Product] = fields.ForeignKeyField(
        "payouts.Product", related_name="processor_links", null=True
    )
    product_id: int | None
    created_at = fields.DatetimeField()

    class Meta:
        table = "processor_links"
        unique_together = (("kind", "key"),)
