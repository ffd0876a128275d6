"""Indexes for the lists of the third release (issue 23): no page sorts or scans what grows.

Sales, newest occurrence first: the program's list (from/to), and by affiliate, product or status,
each read in index order (the affiliate's (affiliate_id, id) gives way to (affiliate_id, occurred_at,
id), which also serves every lookup by affiliate). An endpoint's deliveries, with or without a
status, and the messages of one type, newest first.
"""

from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('payouts', '0015_history_indexes')]

    initial = False

    operations = [
        ops.RemoveIndex(
            model_name='Sale',
            name=None,
            fields=['affiliate_id', 'id'],
        ),
        ops.AddIndex(
            model_name='Sale',
            index=Index(fields=['occurred_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Sale',
            index=Index(fields=['affiliate_id', 'occurred_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Sale',
            index=Index(fields=['product_id', 'occurred_at', 'id']),
        ),
        ops.AddIndex(
            model_name='Sale',
            index=Index(fields=['status', 'occurred_at', 'id']),
        ),
        ops.AddIndex(
            model_name='WebhookDelivery',
            index=Index(fields=['endpoint_id', 'id']),
        ),
        ops.AddIndex(
            model_name='WebhookDelivery',
            index=Index(fields=['endpoint_id', 'status', 'id']),
        ),
        ops.AddIndex(
            model_name='WebhookMessage',
            index=Index(fields=['type', 'id']),
        ),
    ]
