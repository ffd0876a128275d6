"""The append-only audit log: who changed what, when, on which object."""

from __future__ import annotations

from tortoise import fields
from tortoise.models import Model


class AuditEntry(Model):
    id = fields.BigIntField(primary_key=True)
    at = fields.DatetimeField(auto_now_add=True, db_index=True)
    actor = fields.CharField(max_length=100)  # "admin-env", "token:12", "cli"
    action = fields.CharField(max_length=100)
    object_type = fields.CharField(max_length=50, null=True)
    object_id = fields.CharField(max_length=50, null=True)
    details: dict[str, object] = fields.JSONField(default=dict)

    class Meta:
        table = "audit_log"
        # auditLog's filters, each read newest first in index order (migration 0014).
        indexes = (("action", "id"), ("actor", "id"), ("object_type", "object_id", "id"))
