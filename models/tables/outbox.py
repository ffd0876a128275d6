"""The bus outbox's table: every cross-process bus message, kept for a while (models.ledger.outbox)."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class BusMessage(Model):
    """One bus message (a JSON batch of due events) as it was published."""

    id = fields.BigIntField(primary_key=True)
    created_at = fields.DatetimeField(db_index=True)
    message = fields.TextField()

    class Meta:
        table = "bus_outbox"
