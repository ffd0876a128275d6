from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.enums import ProcessorEventStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('payouts', '0005_affiliates_status_index')]

    initial = False

    operations = [
        ops.CreateModel(
            name='CommissionTier',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('product', fields.ForeignKeyField('payouts.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='tiers', on_delete=OnDelete.CASCADE)),
                ('name', fields.CharField(max_length=200)),
                ('currency', fields.CharField(max_length=3)),
                ('commission_percent', fields.CharField(null=True, max_length=16)),
                ('commission_flat', fields.BigIntField(null=True)),
                ('milestones', fields.JSONField(null=True, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'commission_tiers', 'app': 'payouts', 'unique_together': (('product', 'name'),), 'pk_attr': 'id', 'table_description': "A named rate of one product: exactly one of percent and flat is set (flat in the currency of the product)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessorEvent',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('event_id', fields.CharField(unique=True, max_length=255)),
                ('type', fields.CharField(max_length=100)),
                ('received_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('status', fields.CharEnumField(description='APPLIED: APPLIED\nIGNORED: IGNORED\nPENDING: PENDING', enum_type=ProcessorEventStatus, max_length=7)),
                ('reason', fields.CharField(null=True, max_length=500)),
                ('sale', fields.ForeignKeyField('payouts.Sale', source_field='sale_id', null=True, db_constraint=True, to_field='id', related_name='processor_events', on_delete=OnDelete.CASCADE)),
            ],
            options={'table': 'processor_events', 'app': 'payouts', 'indexes': [Index(fields=['status', 'id'])], 'pk_attr': 'id', 'table_description': 'One received event: the unique `event_id` makes a second delivery (even a concurrent one) a replay.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ProcessorLink',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=20)),
                ('key', fields.CharField(max_length=255)),
                ('affiliate', fields.ForeignKeyField('payouts.Affiliate', source_field='affiliate_id', db_constraint=True, to_field='id', related_name='processor_links', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('payouts.Product', source_field='product_id', null=True, db_constraint=True, to_field='id', related_name='processor_links', on_delete=OnDelete.CASCADE)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'processor_links', 'app': 'payouts', 'unique_together': (('kind', 'key'),), 'pk_attr': 'id', 'table_description': 'A processor customer or subscription attributed by a checkout, so later invoices need no metadata.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='TierAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('affiliate', fields.ForeignKeyField('payouts.Affiliate', source_field='affiliate_id', db_constraint=True, to_field='id', related_name='tier_assignments', on_delete=OnDelete.CASCADE)),
                ('product', fields.ForeignKeyField('payouts.Product', source_field='product_id', db_constraint=True, to_field='id', related_name='tier_assignments', on_delete=OnDelete.CASCADE)),
                ('tier', fields.ForeignKeyField('payouts.CommissionTier', source_field='tier_id', null=True, db_constraint=True, to_field='id', related_name='assignments', on_delete=OnDelete.CASCADE)),
                ('assigned_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'tier_assignments', 'app': 'payouts', 'indexes': [Index(fields=['affiliate_id', 'product_id', 'assigned_at'])], 'pk_attr': 'id', 'table_description': 'One assignment of an affiliate to a tier of a product (None: back to base), kept as history.'},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Affiliate',
            name='referral_code',
            field=fields.CharField(null=True, unique=True, max_length=64),
        ),
        # Existing affiliates get a referral code at once (new ones get a random one at creation).
        ops.RunSQL("UPDATE affiliates SET referral_code = 'aff' || CAST(id AS TEXT) WHERE referral_code IS NULL"),
        ops.AddField(
            model_name='Balance',
            name='disputed',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Installment',
            name='disputed',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Product',
            name='external_id',
            field=fields.CharField(null=True, unique=True, max_length=200),
        ),
        ops.AddField(
            model_name='Product',
            name='renewal_commission_flat',
            field=fields.BigIntField(null=True),
        ),
        ops.AddField(
            model_name='Product',
            name='renewal_commission_percent',
            field=fields.CharField(null=True, max_length=16),
        ),
        ops.AddField(
            model_name='Product',
            name='renewal_months',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Product',
            name='renewal_payments',
            field=fields.IntField(null=True),
        ),
        ops.AddField(
            model_name='Sale',
            name='commission_ended_reason',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='Sale',
            name='disputes',
            field=fields.JSONField(default=dict, db_default={}, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads),
        ),
        ops.AddField(
            model_name='Sale',
            name='processor_refunded',
            field=fields.BigIntField(default=0, db_default=0),
        ),
        ops.AddField(
            model_name='Sale',
            name='renewal',
            field=fields.BooleanField(default=False, db_default=False),
        ),
        ops.AddField(
            model_name='Sale',
            name='subscription_id',
            field=fields.CharField(null=True, max_length=200),
        ),
        ops.AddField(
            model_name='Sale',
            name='tier',
            field=fields.ForeignKeyField('payouts.CommissionTier', source_field='tier_id', null=True, db_constraint=True, to_field='id', related_name='sales', on_delete=OnDelete.CASCADE),
        ),
        ops.AddIndex(
            model_name='Sale',
            index=Index(fields=['subscription_id', 'id']),
        ),
    ]
