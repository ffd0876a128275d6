"""Rule 18 and 20: SEPA and Wise files, markAsPaid by file, payment results and the return hold."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import ExportFileFormat, PaymentMethodType, PaymentResultFormat, PaymentResultOutcome, PayoutVoidSource
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('payouts', '0013_api_token_last_used')]  # re-chained after main's latest when main was merged in

    initial = False

    operations = [
        # Rule 18/20 (payout-rules-3.md): bank files, payment results, the payment-return hold.
        ops.CreateModel(
            name='ExportFileRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('file_id', fields.IntField()),
                ('row_id', fields.IntField()),
                ('omitted_reason', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'export_file_rows', 'app': 'payouts', 'indexes': [Index(fields=['file_id', 'id']), Index(fields=['row_id'])], 'pk_attr': 'id', 'table_description': 'A group row as a SEPA or Wise file sees it: listed (reason None) or left out with why.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentResultImport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('format', fields.CharEnumField(description='PAYPAL_PAYOUTS_JSON: PAYPAL_PAYOUTS_JSON\nRETURNS_CSV: RETURNS_CSV', enum_type=PaymentResultFormat, max_length=19)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('actor', fields.CharField(max_length=100)),
                ('export_id', fields.IntField(null=True)),
                ('line_count', fields.IntField(default=0)),
                ('counts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'payment_result_imports', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'One imported result file (rule 20): its lines say what each item did.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentResultLine',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('result_import_id', fields.IntField()),
                ('line', fields.IntField()),
                ('reference', fields.CharField(null=True, max_length=200)),
                ('external_id', fields.CharField(null=True, max_length=200)),
                ('status', fields.CharField(max_length=100)),
                ('outcome', fields.CharEnumField(description='VOIDED: VOIDED\nCONFIRMED: CONFIRMED\nPENDING: PENDING\nALREADY_APPLIED: ALREADY_APPLIED\nALREADY_VOIDED: ALREADY_VOIDED\nUNMATCHED: UNMATCHED\nMISMATCH: MISMATCH\nNOT_PAID: NOT_PAID\nINVALID: INVALID', enum_type=PaymentResultOutcome, max_length=15)),
                ('payout_id', fields.IntField(null=True)),
                ('message', fields.CharField(max_length=500)),
                ('applied_key', fields.CharField(null=True, max_length=300)),
            ],
            options={'table': 'payment_result_lines', 'app': 'payouts', 'indexes': [Index(fields=['result_import_id', 'id']), Index(fields=['applied_key'])], 'pk_attr': 'id', 'table_description': 'One item of an import and its outcome.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentReturnHold',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('affiliate_id', fields.IntField(unique=True)),
                ('payout_id', fields.IntField()),
                ('method', fields.CharEnumField(null=True, description='PAYPAL: PAYPAL\nBANK_WIRE: BANK_WIRE\nCHECK: CHECK', enum_type=PaymentMethodType, max_length=9)),
                ('reason', fields.CharField(max_length=500)),
                ('returned_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'payment_return_holds', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'A payee whose payment came back: held (PAYMENT_RETURNED) until its payment details are updated.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Affiliate',
            name='payment_returned',
            field=fields.CharField(null=True, max_length=300),
        ),
        ops.AddField(
            model_name='ExportFile',
            name='created_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='ExportFile',
            name='debtor',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ExportFile',
            name='execution_date',
            field=fields.DateField(null=True),
        ),
        ops.AddField(
            model_name='ExportFile',
            name='format',
            field=fields.CharEnumField(default=ExportFileFormat.CSV, db_default='CSV', description='CSV: CSV\nPAYPAL_BULK: PAYPAL_BULK\nSEPA_PAIN_001_001_09: SEPA_PAIN_001_001_09\nWISE_BATCH_CSV: WISE_BATCH_CSV', enum_type=ExportFileFormat, max_length=20),
        ),
        ops.AddField(
            model_name='ExportFile',
            name='superseded',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Payout',
            name='export_row_id',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Payout',
            name='result_status',
            field=fields.CharField(null=True, max_length=40),
        ),
        ops.AddField(
            model_name='Payout',
            name='void_source',
            field=fields.CharEnumField(null=True, description='MANUAL: MANUAL\nPAYMENT_RESULT: PAYMENT_RESULT', enum_type=PayoutVoidSource, max_length=14),
        ),
        ops.AddIndex(
            model_name='Payout',
            index=Index(fields=['export_row_id']),
        ),
        ops.AddField(
            model_name='ProgramSettings',
            name='sepa_debtor',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ProgramSettings',
            name='sepa_max_transactions_per_file',
            field=fields.IntField(default=5000, db_default=5000),
        ),
            # Files made before: PayPal groups are PayPal's bulk format, the others CSV.
        ops.RunSQL("UPDATE export_files SET format = 'PAYPAL_BULK' WHERE method = 'PAYPAL'"),
        ops.RunSQL("UPDATE payouts SET void_source = 'MANUAL' WHERE status = 'VOIDED'"),
        # A payout made from an export settled exactly one row of its group: its reference.
        ops.RunSQL(
            "UPDATE payouts SET export_row_id = (SELECT r.id FROM export_rows r"
            " JOIN export_files f ON f.id = r.file_id WHERE f.export_id = payouts.export_id"
            " AND f.method = payouts.method AND r.affiliate_id = payouts.affiliate_id"
            " AND r.currency = payouts.currency ORDER BY r.id LIMIT 1)"
            " WHERE export_id IS NOT NULL AND instant = FALSE"
        ),
    ]
