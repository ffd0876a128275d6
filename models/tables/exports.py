"""Payment exports (snapshots of what a pay run covers) and the record of each mark-as-paid call."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model
from tortoise.queryset import QuerySet

from models.enums import ExportFileFormat, ExportScope, PaymentMethodType


class PaymentExport(Model):
    """One export of payment details: its groups are the files, its rows the snapshot."""

    id = fields.IntField(primary_key=True)
    scope = fields.CharEnumField(ExportScope)
    actor = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()
    affiliate_counts: dict[str, int] = fields.JSONField(default=dict)  # payment type -> affiliates in its group

    class Meta:
        table = "payment_exports"


class ExportFile(Model):
    """One file of a group: a payment type, a currency and a part number (PayPal splits at 5,000 rows)."""

    id = fields.IntField(primary_key=True)
    export: fields.ForeignKeyRelation[PaymentExport] = fields.ForeignKeyField(
        "payouts.PaymentExport", related_name="files"
    )
    export_id: int
    method = fields.CharEnumField(PaymentMethodType)
    currency = fields.CharField(max_length=3)
    part = fields.IntField(default=1)
    rows = fields.IntField(default=0)
    total = fields.BigIntField(default=0)
    paid_at = fields.DatetimeField(null=True)  # set when markAsPaid settled this file
    shared_rows = fields.IntField(default=0)  # rows whose affiliate and currency are in another group too
    # Rule 18: a group's CSV/PayPal files own its rows; SEPA and Wise files list some of them
    # (models.tables.bank_files.ExportFileRow), with the debtor as it was when the file was made.
    format = fields.CharEnumField(ExportFileFormat, default=ExportFileFormat.CSV, db_default="CSV")
    execution_date = fields.DateField(null=True)
    superseded = fields.BooleanField(default=False, db_default=False)
    debtor: dict[str, str] | None = fields.JSONField(null=True)
    created_at = fields.DatetimeField(null=True)

    class Meta:
        table = "export_files"
        indexes = (("export_id", "method", "currency"),)


class ExportRow(Model):
    """One (affiliate, currency) of a file: exactly which installments and owed amounts it covers.

    `details` is the encrypted payment method as it was at export time, so the file is a snapshot too.
    """

    id = fields.IntField(primary_key=True)
    file: fields.ForeignKeyRelation[ExportFile] = fields.ForeignKeyField(
        "payouts.ExportFile", related_name="export_rows"
    )
    file_id: int
    affiliate_id = fields.IntField()
    currency = fields.CharField(max_length=3)
    amount = fields.BigIntField()  # net: installments minus recovered owed amounts
    installments_total = fields.BigIntField()
    installment_ids: list[int] = fields.JSONField(default=list)
    owed_ids: list[int] = fields.JSONField(default=list)
    details = fields.TextField()
    # The other groups (payment types, comma-separated) of the same export that list this affiliate
    # and currency too (PROVIDED scope): a payer pays such a row from one group only.
    also_in = fields.CharField(max_length=40, default="")

    class Meta:
        table = "export_rows"
        indexes = (("file_id", "id"),)


def payment_reference(export_id: int, row_id: int) -> str:
    """The reference a row carries in its file (and in the API): `PD-<export>-<row>`."""
    return f"PD-{export_id}-{row_id}"


def shared_rows(file_ids: list[int]) -> QuerySet[ExportRow]:
    """The rows of these files that other groups of their export list too."""
    return ExportRow.filter(file_id__in=file_ids).exclude(also_in="")


class ExportSkip(Model):
    """A selected affiliate that was not exported, with the reason."""

    id = fields.IntField(primary_key=True)
    export: fields.ForeignKeyRelation[PaymentExport] = fields.ForeignKeyField(
        "payouts.PaymentExport", related_name="skips"
    )
    export_id: int
    affiliate_id = fields.IntField()
    reason = fields.CharField(max_length=200)

    class Meta:
        table = "export_skips"


class PayRun(Model):
    """One markAsPaid call that settled something: its idempotency key and the result it answered."""

    id = fields.IntField(primary_key=True)
    idempotency_key = fields.CharField(max_length=200, unique=True, null=True)
    actor = fields.CharField(max_length=100)
    created_at = fields.DatetimeField()
    payout_ids: list[int] = fields.JSONField(default=list)
    skipped: list[list[object]] = fields.JSONField(default=list)  # [affiliate id, reason]

    class Meta:
        table = "pay_runs"
