from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('payouts', '0003_bus_outbox')]

    initial = False

    operations = [
        ops.AddField(
            model_name='ExportFile',
            name='shared_rows',
            field=fields.IntField(default=0),
        ),
        ops.AddField(
            model_name='ExportRow',
            name='also_in',
            field=fields.CharField(default='', max_length=40),
        ),
        ops.AddField(
            model_name='OwedAmount',
            name='installment',
            field=fields.ForeignKeyField('payouts.Installment', source_field='installment_id', null=True, db_constraint=True, to_field='id', related_name='owed_amounts', on_delete=OnDelete.CASCADE),
        ),
        ops.AddField(
            model_name='OwedAmount',
            name='netted_by',
            field=fields.ForeignKeyField('payouts.Payout', source_field='netted_by_id', null=True, db_constraint=True, to_field='id', related_name='netted', on_delete=OnDelete.CASCADE),
        ),
    ]
