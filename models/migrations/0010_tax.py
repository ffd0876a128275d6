"""Rule 17: tax profiles (TIN encrypted), tax year reports, the payee's current form on its row, the
program's tax settings, and an index for a tax year's payouts."""

from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import TaxClassification, TaxFormKind, TinType
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('payouts', '0014_page_indexes')]  # re-chained after main's latest when main was merged in

    initial = False

    operations = [
        ops.CreateModel(
            name='TaxProfile',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('affiliate', fields.ForeignKeyField('payouts.Affiliate', source_field='affiliate_id', db_constraint=True, to_field='id', related_name='tax_profiles', on_delete=OnDelete.CASCADE)),
                ('current_of', fields.IntField(null=True, unique=True)),
                ('kind', fields.CharEnumField(description='W9: W9\nW8BEN: W8BEN\nW8BENE: W8BENE', enum_type=TaxFormKind, max_length=6)),
                ('legal_name', fields.CharField(max_length=200)),
                ('business_name', fields.CharField(null=True, max_length=200)),
                ('tax_classification', fields.CharEnumField(null=True, description='INDIVIDUAL_SOLE_PROPRIETOR: INDIVIDUAL_SOLE_PROPRIETOR\nC_CORPORATION: C_CORPORATION\nS_CORPORATION: S_CORPORATION\nPARTNERSHIP: PARTNERSHIP\nTRUST_ESTATE: TRUST_ESTATE\nLLC_C: LLC_C\nLLC_S: LLC_S\nLLC_P: LLC_P\nOTHER: OTHER', enum_type=TaxClassification, max_length=26)),
                ('country', fields.CharField(max_length=2)),
                ('tin_type', fields.CharEnumField(null=True, description='SSN: SSN\nEIN: EIN\nITIN: ITIN\nFOREIGN: FOREIGN', enum_type=TinType, max_length=7)),
                ('tin', fields.TextField(null=True, unique=False)),
                ('tin_masked', fields.CharField(null=True, max_length=40)),
                ('address', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('signed_at', fields.DateField()),
                ('received_at', fields.DateField()),
                ('valid_until', fields.DateField(null=True)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tax_profiles', 'app': 'payouts', 'indexes': [Index(fields=['affiliate_id', 'id'])], 'pk_attr': 'id', 'table_description': 'One received form. The current one has `current_of` = its payee, replaced ones keep NULL (history).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TaxYearReport',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('year', fields.IntField()),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('rows', fields.IntField()),
                ('threshold', fields.BigIntField()),
                ('content', fields.TextField(unique=False)),
                ('actor', fields.CharField(max_length=100)),
            ],
            options={'table': 'tax_year_reports', 'app': 'payouts', 'pk_attr': 'id', 'table_description': "A CSV snapshot of the totals of a year, its content encrypted like TINs since it holds them in full."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Affiliate',
            name='tax_form',
            field=fields.CharEnumField(null=True, description='W9: W9\nW8BEN: W8BEN\nW8BENE: W8BENE', enum_type=TaxFormKind, max_length=6),
        ),
        ops.AddField(
            model_name='Affiliate',
            name='tax_form_expires_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Affiliate',
            name='tax_form_signed_at',
            field=fields.DateField(null=True),
        ),
        ops.AddIndex(
            model_name='Affiliate',
            index=Index(fields=['payment_status', 'tax_form_expires_at']),
        ),
        ops.AddIndex(
            model_name='Payout',
            index=Index(fields=['affiliate_id', 'paid_at']),
        ),
        ops.AddField(
            model_name='ProgramSettings',
            name='tax_form_required',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='ProgramSettings',
            name='tax_thresholds',
            field=fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='ProgramSettings',
            name='tax_time_zone',
            field=fields.CharField(default='UTC', db_default='UTC', max_length=64),
        ),
    ]
