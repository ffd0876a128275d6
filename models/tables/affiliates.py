"""Affiliates, their encrypted payment methods, and their per-currency balances."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import ApprovalStatus, PaymentMethodType, PaymentStatus, PayoutMode, TaxFormKind


class Affiliate(Model):
    """An affiliate with the figures filters and sorts need kept up to date on the row itself."""

    id = fields.IntField(primary_key=True)
    name = fields.CharField(max_length=200)
    email = fields.CharField(max_length=254)
    approval_status = fields.CharEnumField(ApprovalStatus, default=ApprovalStatus.PENDING)
    payout_mode = fields.CharEnumField(PayoutMode, default=PayoutMode.MANUAL)
    # Tortoise types a field as never None even with null=True: the annotation says what it holds.
    preferred_method: fields.Field[PaymentMethodType | None] = fields.CharEnumField(  # type: ignore[assignment]
        PaymentMethodType, null=True
    )
    created_at = fields.DatetimeField(auto_now_add=True)
    # Derived, refreshed in the transaction of every change (models.ledger.balances.refresh_affiliates).
    sales_count = fields.IntField(default=0)
    has_payment_method = fields.BooleanField(default=False)
    payment_status = fields.CharEnumField(PaymentStatus, default=PaymentStatus.NOTHING_DUE, db_index=True)
    due_rank = fields.BigIntField(default=0)
    search_text = fields.CharField(max_length=460, default="")  # lower(name + " " + email)
    # What checkout metadata names the affiliate by; always set (generated when not given).
    referral_code = fields.CharField(max_length=64, null=True, unique=True)
    # The recruiter in force now and since when (rule 16.1); its history is in RecruiterAssignment.
    recruited_by: fields.ForeignKeyNullableRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="recruited", null=True
    )
    recruited_by_id: int | None
    recruited_at = fields.DatetimeField(null=True)
    # The current tax form's facts the hold needs (rule 17), copied by setTaxProfile/removeTaxProfile.
    tax_form: fields.Field[TaxFormKind | None] = fields.CharEnumField(  # type: ignore[assignment]
        TaxFormKind, null=True
    )
    tax_form_signed_at = fields.DateField(null=True)
    tax_form_expires_at = fields.DatetimeField(null=True)  # a W-8's expiry instant in the program's tax time zone
    # Rule 20.4: the PAYMENT_RETURNED message while a returned payment holds the payee (details: PaymentReturnHold).
    payment_returned = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "affiliates"
        # Every sort (id, name, due_rank) alone and after each status filter: a page is read in index
        # order whatever the filter, never sorted out of every matching row (migration 0014).
        indexes = (
            ("created_at", "id"),
            ("name", "id"),
            ("due_rank", "id"),
            ("payment_status", "id"),
            ("payment_status", "name", "id"),
            ("payment_status", "due_rank", "id"),
            ("approval_status", "id"),
            ("approval_status", "name", "id"),
            ("approval_status", "due_rank", "id"),
            ("payout_mode", "id"),
            ("payout_mode", "name", "id"),
            ("payout_mode", "due_rank", "id"),
            ("recruited_by_id", "recruited_at", "id"),
            ("payment_status", "tax_form_expires_at"),  # DUE payees whose W-8 expires next (the clock)
        )


class PaymentMethod(Model):
    """The details of one payment type: encrypted at rest, with a masked summary for queries."""

    id = fields.IntField(primary_key=True)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="payment_methods"
    )
    affiliate_id: int
    type = fields.CharEnumField(PaymentMethodType)
    details = fields.TextField()  # Fernet token of the JSON details
    summary = fields.CharField(max_length=200)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "payment_methods"
        unique_together = (("affiliate", "type"),)


class Balance(Model):
    """The figures of one affiliate in one currency as of `refreshed_at` (rule 4)."""

    id = fields.IntField(primary_key=True)
    affiliate: fields.ForeignKeyRelation[Affiliate] = fields.ForeignKeyField(
        "payouts.Affiliate", related_name="balances"
    )
    affiliate_id: int
    currency = fields.CharField(max_length=3)
    earned = fields.BigIntField(default=0)
    reserve = fields.BigIntField(default=0)
    due_installments = fields.BigIntField(default=0)
    paid = fields.BigIntField(default=0)
    owed = fields.BigIntField(default=0)
    next_release_at = fields.DatetimeField(null=True, db_index=True)
    next_release_amount = fields.BigIntField(default=0)
    disputed = fields.BigIntField(default=0, db_default=0)  # part of reserve held by open disputes
    refreshed_at = fields.DatetimeField()  # when the figures last changed

    class Meta:
        table = "balances"
        unique_together = (("affiliate", "currency"),)
