"""Indexes for the lookups a single change makes by sale or by payout.

A refund, chargeback or dispute reads its sale's installments and owed amounts; voiding a payout
releases its installments and owed amounts. Without these indexes each of those statements scanned
every installment or owed amount ever booked: a cost growing with the history.
"""

from tortoise import migrations
from tortoise.indexes import Index
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('payouts', '0011_bank_files')]

    initial = False

    operations = [
        ops.AddIndex(model_name='Installment', index=Index(fields=['sale_id'])),
        ops.AddIndex(model_name='Installment', index=Index(fields=['payout_id'])),
        ops.AddIndex(model_name='OwedAmount', index=Index(fields=['sale_id'])),
        ops.AddIndex(model_name='OwedAmount', index=Index(fields=['recovered_by_id'])),
    ]
