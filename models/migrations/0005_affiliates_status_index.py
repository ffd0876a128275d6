from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    # Depends on both heads of the chain (0003 and 0004 were written in parallel from 0002).
    dependencies = [('payouts', '0004_owed_installments_shared_rows')]

    initial = False

    operations = [
        # The DUE page (payment status filter, newest first) reads a page of the index, not every DUE row.
        ops.AddIndex(model_name='Affiliate', index=Index(fields=['payment_status', 'id'])),
    ]
