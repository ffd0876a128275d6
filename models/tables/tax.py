"""Rule 17's tables: payees' tax forms (TIN encrypted) and the tax year reports made."""

from __future__ import annotations

from typing import TYPE_CHECKING

from tortoise import fields
from tortoise.models import Model

from models.enums import TaxClassification, TaxFormKind, TinType

if TYPE_CHECKING:
    from models.tables.affiliates import Affiliate


class TaxProfile(Model):
    """One received form. The current one has `current_of` = its payee, replaced ones keep NULL (history)."""

    id = fields.IntField(primary_key=True)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="tax_profiles"
    )
    affiliate_id: int
    current_of = fields.IntField(null=True, unique=True)  # NULLs never collide: at most one current per payee
    kind = fields.CharEnumField(TaxFormKind)
    legal_name = fields.CharField(max_length=200)
    business_name = fields.CharField(max_length=200, null=True)
    tax_classification: fields.Field[TaxClassification | None] = fields.CharEnumField(  # type: ignore[assignment]
        TaxClassification, null=True
    )
    country = fields.CharField(max_length=2)
    tin_type: fields.Field[TinType | None] = fields.CharEnumField(TinType, null=True)  # type: ignore[assignment]
    tin = fields.TextField(null=True)  # Fernet token of the canonical TIN (key label `tax-tins`)
    tin_masked = fields.CharField(max_length=40, null=True)
    address: dict[str, str | None] = fields.JSONField(default=dict)
    signed_at = fields.DateField()
    received_at = fields.DateField()
    valid_until = fields.DateField(null=True)
    created_at = fields.DatetimeField()

    class Meta:
        table = "tax_profiles"
        indexes = (("affiliate_id", "id"),)


class TaxYearReport(Model):
    """A CSV snapshot of the totals of a year, its content encrypted like TINs since it holds them in full."""

    id = fields.IntField(primary_key=True)
    year = fields.IntField()
    created_at = fields.DatetimeField()
    rows = fields.IntField()
    threshold = fields.BigIntField()  # USD cents
    content = fields.TextField()  # Fernet token of the CSV bytes
    actor = fields.CharField(max_length=100)

    class Meta:
        table = "tax_year_reports"
