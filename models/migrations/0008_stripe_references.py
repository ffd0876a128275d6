"""Rule 21: the links between Stripe ids that a sale does not hold (models/tables/stripe.py)."""

from tortoise import fields, migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('payouts', '0007_reads_affiliate_search')]

    initial = False

    operations = [
        ops.CreateModel(
            name='StripeReference',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('kind', fields.CharField(max_length=20)),
                ('key', fields.CharField(max_length=255)),
                ('target', fields.CharField(max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'stripe_references', 'app': 'payouts', 'unique_together': (('kind', 'key', 'target'),), 'indexes': [Index(fields=['kind', 'target'])], 'pk_attr': 'id', 'table_description': 'One fact linking two Stripe ids, by `kind`:'},
            bases=['Model'],
        ),
    ]
