"""Outgoing webhooks (rule 19): endpoints, messages (the outbox), deliveries and their attempts."""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model


class WebhookEndpointStatus(str, Enum):
    ENABLED = "ENABLED"
    DISABLED = "DISABLED"


class WebhookDisabledReason(str, Enum):
    MANUAL = "MANUAL"
    GONE = "GONE"
    FAILING = "FAILING"


class WebhookDeliveryStatus(str, Enum):
    PENDING = "PENDING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELLED = "CANCELLED"


class WebhookEndpoint(Model):
    """A receiver, its secrets sealed by `models.ledger.webhooks.SecretBox`.

    `enabled_at` is when it was created or last enabled: the FAILING rule looks back no further.
    """

    id = fields.IntField(primary_key=True)
    url = fields.CharField(max_length=2000)
    description = fields.CharField(max_length=200, default="")
    event_types: list[str] = fields.JSONField(default=list)
    status = fields.CharEnumField(WebhookEndpointStatus, max_length=16, default=WebhookEndpointStatus.ENABLED)
    disabled_reason = fields.CharEnumField(WebhookDisabledReason, max_length=16, null=True)
    disabled_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()
    enabled_at = fields.DatetimeField()
    last_success_at = fields.DatetimeField(null=True)
    secret = fields.TextField()
    secret_tail = fields.CharField(max_length=4)
    previous_secret: str | None = fields.TextField(null=True)
    previous_secret_expires_at = fields.DatetimeField(null=True)

    class Meta:
        table = "webhook_endpoints"


class WebhookMessage(Model):
    """One event, written in the transaction of the change it announces, its body never changed."""

    id = fields.IntField(primary_key=True)
    message_id = fields.CharField(max_length=30, unique=True)
    type = fields.CharField(max_length=50, db_index=True)
    created_at = fields.DatetimeField(db_index=True)
    body = fields.TextField()

    class Meta:
        table = "webhook_messages"
        # The messages of a type, newest first (migration 0016; the (type) index of 0012 stays: removing
        # it rebuilds the SQLite table, which loses its other indexes).
        indexes = (("type", "id"),)


class WebhookDelivery(Model):
    """One message for one endpoint, leased by one worker at a time (rule 19.5)."""

    id = fields.IntField(primary_key=True)
    endpoint: fields.ForeignKeyRelation[WebhookEndpoint] = fields.ForeignKeyField(
        "payouts.WebhookEndpoint", related_name="deliveries", on_delete=fields.CASCADE
    )
    endpoint_id: int
    message: fields.ForeignKeyRelation[WebhookMessage] = fields.ForeignKeyField(
        "payouts.WebhookMessage", related_name="deliveries", on_delete=fields.CASCADE
    )
    message_id: int
    status = fields.CharEnumField(WebhookDeliveryStatus, max_length=16, default=WebhookDeliveryStatus.PENDING)
    attempt_count = fields.IntField(default=0)
    failures = fields.IntField(default=0)  # failed attempts in the current schedule (a replay restarts it)
    url = fields.CharField(max_length=2000)  # the endpoint's URL when the message was written
    next_attempt_at = fields.DatetimeField(null=True)  # set while an attempt is due (PENDING, or a replay)
    lease_until = fields.DatetimeField(null=True)
    lease_owner = fields.CharField(max_length=32, null=True)
    last_attempt_at = fields.DatetimeField(null=True)
    last_response_code = fields.IntField(null=True)
    succeeded_at = fields.DatetimeField(null=True)
    created_at = fields.DatetimeField()

    if TYPE_CHECKING:
        attempts: fields.ReverseRelation[WebhookAttempt]

    class Meta:
        table = "webhook_deliveries"
        unique_together = (("endpoint", "message"),)
        # An endpoint's deliveries, newest first, with or without a status (migration 0016).
        indexes = (("next_attempt_at",), ("status",), ("endpoint_id", "id"), ("endpoint_id", "status", "id"))


class WebhookAttempt(Model):
    """One HTTP attempt of a delivery, as it went."""

    id = fields.IntField(primary_key=True)
    delivery: fields.ForeignKeyRelation[WebhookDelivery] = fields.ForeignKeyField(
        "payouts.WebhookDelivery", related_name="attempts", on_delete=fields.CASCADE
    )
    delivery_id: int
    number = fields.IntField()
    at = fields.DatetimeField()
    response_code = fields.IntField(null=True)
    duration_ms = fields.IntField()
    error = fields.CharField(max_length=200, null=True)
    response_excerpt = fields.TextField(null=True)

    class Meta:
        table = "webhook_attempts"
