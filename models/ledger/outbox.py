"""The bus outbox: every cross-process bus message, kept for a while in the database.

A process whose bus connection dropped reads here, after reconnecting, what it missed in the gap
(`since`), and tells those messages from the ones it already has by their id. Rows older than
`RETAIN` are pruned by whichever process gets to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from models.tables.outbox import BusMessage

RETAIN = timedelta(hours=1)  # far longer than any reconnect; bounded so the table stays small


async def append(message: str, now: datetime) -> int:
    """Keep a message before it is sent; its id travels with it."""
    row = await BusMessage.create(message=message, created_at=now)
    message_id: int = row.id  # Tortoise types a primary key as Any
    return message_id


async def since(moment: datetime) -> list[tuple[int, str]]:
    """(id, message) of everything published from `moment` on, oldest first (an indexed range)."""
    rows = await BusMessage.filter(created_at__gte=moment).order_by("id").values_list("id", "message")
    return [(int(i), str(m)) for i, m in rows]


async def prune(now: datetime) -> int:
    return await BusMessage.filter(created_at__lt=now - RETAIN).delete()
