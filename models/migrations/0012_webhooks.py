from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from json import dumps, loads
from models.tables.webhooks import WebhookDeliveryStatus, WebhookDisabledReason, WebhookEndpointStatus
from tortoise.fields.base import OnDelete
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('payouts', '0010_tax')]

    initial = False

    operations = [
        ops.CreateModel(
            name='WebhookEndpoint',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('url', fields.CharField(max_length=2000)),
                ('description', fields.CharField(default='', max_length=200)),
                ('event_types', fields.JSONField(default=list, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('status', fields.CharEnumField(default=WebhookEndpointStatus.ENABLED, description='ENABLED: ENABLED\nDISABLED: DISABLED', enum_type=WebhookEndpointStatus, max_length=16)),
                ('disabled_reason', fields.CharEnumField(null=True, description='MANUAL: MANUAL\nGONE: GONE\nFAILING: FAILING', enum_type=WebhookDisabledReason, max_length=16)),
                ('disabled_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('enabled_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('last_success_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('secret', fields.TextField(unique=False)),
                ('secret_tail', fields.CharField(max_length=4)),
                ('previous_secret', fields.TextField(null=True, unique=False)),
                ('previous_secret_expires_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_endpoints', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'A receiver, its secrets sealed by `models.ledger.webhooks.SecretBox`.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookMessage',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('message_id', fields.CharField(unique=True, max_length=30)),
                ('type', fields.CharField(db_index=True, max_length=50)),
                ('created_at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('body', fields.TextField(unique=False)),
            ],
            options={'table': 'webhook_messages', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'One event, written in the transaction of the change it announces, its body never changed.'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookDelivery',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('endpoint', fields.ForeignKeyField('payouts.WebhookEndpoint', source_field='endpoint_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('message', fields.ForeignKeyField('payouts.WebhookMessage', source_field='message_id', db_constraint=True, to_field='id', related_name='deliveries', on_delete=OnDelete.CASCADE)),
                ('status', fields.CharEnumField(default=WebhookDeliveryStatus.PENDING, description='PENDING: PENDING\nSUCCEEDED: SUCCEEDED\nFAILED: FAILED\nCANCELLED: CANCELLED', enum_type=WebhookDeliveryStatus, max_length=16)),
                ('attempt_count', fields.IntField(default=0)),
                ('failures', fields.IntField(default=0)),
                ('url', fields.CharField(max_length=2000)),
                ('next_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease_until', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('lease_owner', fields.CharField(null=True, max_length=32)),
                ('last_attempt_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_response_code', fields.IntField(null=True)),
                ('succeeded_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'webhook_deliveries', 'app': 'payouts', 'unique_together': (('endpoint', 'message'),), 'indexes': [Index(fields=['next_attempt_at']), Index(fields=['status'])], 'pk_attr': 'id', 'table_description': "One message for one endpoint, leased by one worker at a time (rule 19.5)."},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='WebhookAttempt',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('delivery', fields.ForeignKeyField('payouts.WebhookDelivery', source_field='delivery_id', db_constraint=True, to_field='id', related_name='attempts', on_delete=OnDelete.CASCADE)),
                ('number', fields.IntField()),
                ('at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('response_code', fields.IntField(null=True)),
                ('duration_ms', fields.IntField()),
                ('error', fields.CharField(null=True, max_length=200)),
                ('response_excerpt', fields.TextField(null=True, unique=False)),
            ],
            options={'table': 'webhook_attempts', 'app': 'payouts', 'pk_attr': 'id', 'table_description': 'One HTTP attempt of a delivery, as it went.'},
            bases=['Model'],
        ),
    ]
