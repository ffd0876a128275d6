"""The clock: what every part of the server asks for the time, so a test can move time instead of waiting.

Settings carries one (`Settings.clock`); the request context, the maturity clock and the event bus
read it. Only server/ and schema/ call it: the rules and the ledger in `models/` are handed `now`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time, timezone-aware UTC."""
    return datetime.now(UTC)
