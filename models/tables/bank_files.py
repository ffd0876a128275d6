"""Rule 18 and 20 tables: which rows a SEPA or Wise file lists (or leaves out), result imports and their
lines, and the payment-return hold."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model

from models.enums import PaymentMethodType, PaymentResultFormat, PaymentResultOutcome


class ExportFileRow(Model):
    """A group row as a SEPA or Wise file sees it: listed (reason None) or left out with why."""

    id = fields.IntField(primary_key=True)
    file_id = fields.IntField()
    row_id = fields.IntField()
    omitted_reason = fields.CharField(max_length=200, null=True)

    class Meta:
        table = "export_file_rows"
        indexes = (("file_id", "id"), ("row_id",))


class PaymentResultImport(Model):
    """One imported result file (rule 20): its lines say what each item did."""

    id = fields.IntField(primary_key=True)
    format = fields.CharEnumField(PaymentResultFormat)
    created_at = fields.DatetimeField()
    actor = fields.CharField(max_length=100)
    export_id = fields.IntField(null=True)
    line_count = fields.IntField(default=0)
    counts: dict[str, int] = fields.JSONField(default=dict)  # outcome -> lines

    class Meta:
        table = "payment_result_imports"


class PaymentResultLine(Model):
    """One item of an import and its outcome.

    applied_key is set on the lines that took effect, so the same result imported again is ALREADY_APPLIED.
    """

    id = fields.IntField(primary_key=True)
    result_import_id = fields.IntField()
    line = fields.IntField()
    reference = fields.CharField(max_length=200, null=True)
    external_id = fields.CharField(max_length=200, null=True)
    status = fields.CharField(max_length=100)
    outcome = fields.CharEnumField(PaymentResultOutcome)
    payout_id = fields.IntField(null=True)
    message = fields.CharField(max_length=500)
    applied_key = fields.CharField(max_length=300, null=True)

    class Meta:
        table = "payment_result_lines"
        indexes = (("result_import_id", "id"), ("applied_key",))


class PaymentReturnHold(Model):
    """A payee whose payment came back: held (PAYMENT_RETURNED) until its payment details are updated."""

    id = fields.IntField(primary_key=True)
    affiliate_id = fields.IntField(unique=True)
    payout_id = fields.IntField()
    method = fields.CharEnumField(PaymentMethodType, null=True)
    reason = fields.CharField(max_length=500)
    returned_at = fields.DatetimeField()

    class Meta:
        table = "payment_return_holds"
