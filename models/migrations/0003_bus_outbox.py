from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('payouts', '0002_payment_exports')]

    initial = False

    operations = [
        ops.CreateModel(
            name='BusMessage',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('message', fields.TextField(unique=False)),
            ],
            options={'table': 'bus_outbox', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'One bus message (a JSON batch of due events) as it was published.'},
            bases=['Model'],
        ),
    ]
