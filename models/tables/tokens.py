"""API tokens: only a SHA-256 hash is stored (models.tokens), the token itself is shown once."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import Role

if TYPE_CHECKING:
    from models.tables.affiliates import Affiliate


class ApiToken(Model):
    id = fields.IntField(primary_key=True)
    token_hash = fields.CharField(max_length=64, unique=True)
    role = fields.CharEnumField(Role)
    affiliate: fields.ForeignKeyNullableRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="tokens", null=True
    )
    affiliate_id: int | None
    label = fields.CharField(max_length=200, default="")
    created_at = fields.DatetimeField(auto_now_add=True)
    revoked_at = fields.DatetimeField(null=True)
    last_used_at = fields.DatetimeField(null=True)  # touched at most once a minute (models.ledger.access.touch_token)

    class Meta:
        table = "api_tokens"
