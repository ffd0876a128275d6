"""Rule 16: commissions per beneficiary, recruiter history, JV partners, second-tier percent.

Every existing sale becomes one AFFILIATE commission (its payee, original amount, amount after
refunds and ended reason as booked), and its installments and owed amounts are keyed by it: set-based
statements, so the money of every payee is the same cent for cent before and after.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from models.enums import CommissionRole
from models.sql import AFFILIATE_COMMISSIONS
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('payouts', '0008_stripe_references')]

    initial = False

    operations = [
        ops.CreateModel(
            name='Commission',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('sale', fields.ForeignKeyField('payouts.Sale', source_field='sale_id', db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.CASCADE)),
                ('affiliate', fields.ForeignKeyField('payouts.Affiliate', source_field='affiliate_id', db_constraint=True, to_field='id', related_name='commissions', on_delete=OnDelete.CASCADE)),
                ('role', fields.CharEnumField(description='AFFILIATE: AFFILIATE\nSECOND_TIER: SECOND_TIER\nJV_PARTNER: JV_PARTNER', enum_type=CommissionRole, max_length=11)),
                ('position', fields.IntField()),
                ('currency', fields.CharField(max_length=3)),
                ('percent', fields.CharField(null=True, max_length=16)),
                ('original_amount', fields.BigIntField()),
                ('amount', fields.BigIntField()),
                ('ended_reason', fields.CharField(null=True, max_length=200)),
            ],
            options={'table': 'commissions', 'app': 'payouts', 'unique_together': (('sale', 'position'),), 'indexes': [Index(fields=['affiliate_id', 'id'])], 'pk_attr': 'id', 'table_description': 'What one payee earns on one sale in one role: its installments and owed amounts name it.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='JvPartnerShare',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('payouts.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='jv_partners', on_delete=OnDelete.CASCADE)),
                ('position', fields.IntField()),
                ('payee', fields.ForeignKeyField('payouts.Affiliate', source_field='payee_id', db_constraint=True, to_field='id', related_name='jv_shares', on_delete=OnDelete.CASCADE)),
                ('percent', fields.CharField(max_length=16)),
                ('renewal_months', fields.IntField(null=True)),
                ('renewal_payments', fields.IntField(null=True)),
            ],
            options={'table': 'jv_partner_shares', 'app': 'payouts', 'unique_together': (('product', 'position'),), 'pk_attr': 'id', 'table_description': "One JV partner of a product: a percent of every sale, within the partner's own renewal limits."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='RecruiterAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('affiliate', fields.ForeignKeyField('payouts.Affiliate', source_field='affiliate_id', db_constraint=True, to_field='id', related_name='recruiter_assignments', on_delete=OnDelete.CASCADE)),
                ('recruiter', fields.ForeignKeyField('payouts.Affiliate', source_field='recruiter_id', null=True, db_constraint=True, to_field='id', related_name='recruit_assignments', on_delete=OnDelete.CASCADE)),
                ('assigned_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'recruiter_assignments', 'app': 'payouts', 'indexes': [Index(fields=['affiliate_id', 'assigned_at'])], 'pk_attr': 'id', 'table_description': "One setting of an affiliate's recruiter (None: cleared), kept as history like tier assignments."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Affiliate',
            name='recruited_at',
            field=fields.DatetimeField(null=True, auto_now=False, auto_now_add=False),
        ),
        ops.AddField(
            model_name='Affiliate',
            name='recruited_by',
            field=fields.ForeignKeyField('payouts.Affiliate', source_field='recruited_by_id', null=True, db_constraint=True, to_field='id', related_name='recruited', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Installment',
            name='commission',
            field=fields.ForeignKeyField('payouts.Commission', source_field='commission_id', null=True, db_constraint=True, to_field='id', related_name='installments', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='OwedAmount',
            name='commission',
            field=fields.ForeignKeyField('payouts.Commission', source_field='commission_id', null=True, db_constraint=True, to_field='id', related_name='owed_amounts', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='Product',
            name='second_tier_commission_percent',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddIndex(model_name='Affiliate', index=Index(fields=['recruited_by_id', 'recruited_at', 'id'])),
        *(ops.RunSQL(statement) for statement in AFFILIATE_COMMISSIONS),
    ]
