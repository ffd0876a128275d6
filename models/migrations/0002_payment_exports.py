from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import ExportScope, PaymentMethodType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('payouts', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='PayRun',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('idempotency_key', fields.CharField(null=True, unique=True, max_length=200)),
                ('actor', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('payout_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('skipped', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'pay_runs', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'One markAsPaid call that settled something: its idempotency key and the result it answered.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='PaymentExport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('scope', fields.CharEnumField(description='PROVIDED: PROVIDED\nPREFERRED: PREFERRED', enum_type=ExportScope, max_length=9)),
                ('actor', fields.CharField(max_length=100)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('affiliate_counts', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
            ],
            options={'table': 'payment_exports', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'One export of payment details: its groups are the files, its rows the snapshot.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExportFile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('export', fields.ForeignKeyField('payouts.PaymentExport', source_field='export_id', db_constraint=True, to_field='id', related_name='files', on_delete=OnDelete.CASCADE)),
                ('method', fields.CharEnumField(description='PAYPAL: PAYPAL\nBANK_WIRE: BANK_WIRE\nCHECK: CHECK', enum_type=PaymentMethodType, max_length=9)),
                ('currency', fields.CharField(max_length=3)),
                ('part', fields.IntField(default=1)),
                ('rows', fields.IntField(default=0)),
                ('total', fields.BigIntField(default=0)),
                ('paid_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'export_files', 'app': 'payouts', 'indexes': [Index(fields=['export_id', 'method', 'currency'])], 'pk_attr': 'id', 'table_description': 'One file of a group: a payment type, a currency and a part number (PayPal splits at 5,000 rows).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExportRow',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('file', fields.ForeignKeyField('payouts.ExportFile', source_field='file_id', db_constraint=True, to_field='id', related_name='export_rows', on_delete=OnDelete.CASCADE)),
                ('affiliate_id', fields.IntField()),
                ('currency', fields.CharField(max_length=3)),
                ('amount', fields.BigIntField()),
                ('installments_total', fields.BigIntField()),
                ('installment_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('owed_ids', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('details', fields.TextField(unique=False)),
            ],
            options={'table': 'export_rows', 'app': 'payouts', 'indexes': [Index(fields=['file_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One (affiliate, currency) of a file: exactly which installments and owed amounts it covers.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExportSkip',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('export', fields.ForeignKeyField('payouts.PaymentExport', source_field='export_id', db_constraint=True, to_field='id', related_name='skips', on_delete=OnDelete.CASCADE)),
                ('affiliate_id', fields.IntField()),
                ('reason', fields.CharField(max_length=200)),
            ],
            options={'table': 'export_skips', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'A selected affiliate that was not exported, with the reason.'},
            bases=['Model'],
        ),
    ]
