"""Indexes for every sort of the affiliates list after each status filter, and for the audit log's
filters (issue 23).

The DUE page (`filter: {paymentStatus: [DUE]}, sort: DUE_DESC`) sorted every DUE affiliate in a
temporary B-tree (`(payment_status, id)` found them, nothing gave their due order): its cost grew
with the program. With `(filter column, sort column, id)` for each of the three status-like filters
and each sort, every page is read in index order and stops after a page. The audit log (one entry
per change: the fastest-growing list) filtered by action, actor or object walked every entry newer
than the matches; it now reads its filter's entries newest first.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops

PAGES = [
    ['payment_status', 'name', 'id'],
    ['payment_status', 'due_rank', 'id'],
    ['approval_status', 'id'],
    ['approval_status', 'name', 'id'],
    ['approval_status', 'due_rank', 'id'],
    ['payout_mode', 'id'],
    ['payout_mode', 'name', 'id'],
    ['payout_mode', 'due_rank', 'id'],
]

AUDIT = [['action', 'id'], ['actor', 'id'], ['object_type', 'object_id', 'id']]


class Migration(migrations.Migration):
    dependencies = [('payouts', '0009_commissions')]

    initial = False

    operations = [
        *(ops.AddIndex(model_name='Affiliate', index=Index(fields=fields)) for fields in PAGES),
        *(ops.AddIndex(model_name='AuditEntry', index=Index(fields=fields)) for fields in AUDIT),
    ]
