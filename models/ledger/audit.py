"""Appending to the audit log: the last write of every change, inside its transaction."""

from __future__ import annotations

from models.tables.audit import AuditEntry


async def record(
    actor: str, action: str, object_type: str | None = None, object_id: object = None, **details: object
) -> None:
    """Append one entry; call inside the transaction of the change it describes."""
    await AuditEntry.create(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        details=details,
    )
