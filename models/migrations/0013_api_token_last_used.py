"""`apiTokens` shows when a token was last used: a nullable column, null for tokens never used since."""

from tortoise import fields, migrations
from tortoise.migrations import operations as ops


class Migration(migrations.Migration):
    dependencies = [('payouts', '0012_webhooks')]

    initial = False

    operations = [
        ops.AddField(model_name='ApiToken', name='last_used_at', field=fields.DatetimeField(null=True)),
    ]
