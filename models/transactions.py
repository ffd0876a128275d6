"""How a change meets a busy or failing database: conflicts are retried whole, outages are named.

PostgreSQL aborts one of two transactions that deadlock (or fail to serialise); SQLite answers
"database is locked" while another process holds its write lock. Either way nothing of the change
was written, so running the whole operation again is safe. `retried` does that, a bounded number
of times, around a ledger operation; if the conflict persists the caller gets a `CONFLICT`
(a refused change, never an internal error). Locks are also always taken in one global order
(`models.ledger.balances.lock_affiliates`), which makes deadlocks rare in the first place.

`is_unavailable` tells the server which failures mean "the database is not reachable" (HTTP 503).
"""

from __future__ import annotations

import asyncio
import errno
import functools
import logging
import random
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import ParamSpec, TypeVar

import asyncpg

from models.errors import Violation

log = logging.getLogger("payouts.transactions")

ATTEMPTS = 6
BACKOFF = 0.01  # seconds before the second attempt; doubled each time, with jitter
CONFLICT_MESSAGE = "the change conflicted with concurrent changes several times; nothing was written, retry it"

P = ParamSpec("P")
R = TypeVar("R")

UNREACHABLE = {errno.EHOSTUNREACH, errno.ENETUNREACH, errno.EHOSTDOWN, errno.ENETDOWN}


_retrying: ContextVar[bool] = ContextVar("payouts_retrying", default=False)


def causes(error: BaseException) -> Iterator[BaseException]:
    """The error and what it was raised from (Tortoise wraps driver errors)."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def is_conflict(error: BaseException) -> bool:
    """A deadlock or serialisation failure (PostgreSQL), or a held write lock (SQLite)."""
    for e in causes(error):
        if isinstance(e, asyncpg.DeadlockDetectedError | asyncpg.SerializationError):
            return True
        if isinstance(e, sqlite3.OperationalError) and "database is locked" in str(e):
            return True
    return False


def is_unavailable(error: BaseException) -> bool:
    """The database cannot be reached or dropped the connection: nothing the client did wrong."""
    for e in causes(error):
        if isinstance(
            e,
            ConnectionError
            | TimeoutError
            | asyncpg.PostgresConnectionError
            | asyncpg.InterfaceError
            | asyncpg.CannotConnectNowError
            | asyncpg.AdminShutdownError
            | asyncpg.CrashShutdownError
            | asyncpg.TooManyConnectionsError,
        ):
            return True
        if isinstance(e, OSError) and e.errno in UNREACHABLE:
            return True
        if isinstance(e, sqlite3.OperationalError) and "unable to open database" in str(e):
            return True
    return False


def retrying() -> bool:
    """Whether the caller runs inside a retried operation (whose transaction its writes must join)."""
    return _retrying.get()


def retried(operation: Callable[P, Awaitable[R]]) -> Callable[P, Awaitable[R]]:
    """Run a whole ledger operation again when the database reports a conflict; CONFLICT at last.

    The operation must do its writes in its own transaction(s). Calls nested inside a retried
    operation are not retried on their own: only the outermost call can start over. An aborted
    attempt returns nothing, so only the transitions of the attempt that committed are announced.
    """

    @functools.wraps(operation)
    async def attempt(*args: P.args, **kwargs: P.kwargs) -> R:
        if _retrying.get():
            return await operation(*args, **kwargs)
        token = _retrying.set(True)
        try:
            for n in range(1, ATTEMPTS + 1):
                try:
                    return await operation(*args, **kwargs)
                except Exception as e:
                    if not is_conflict(e):
                        raise
                    if n == ATTEMPTS:
                        log.warning("%s: conflict persisted after %d attempts", operation.__name__, n)
                        raise Violation(CONFLICT_MESSAGE, code="CONFLICT") from e
                    log.info("%s: conflict (%s), attempt %d of %d", operation.__name__, type(e).__name__, n, ATTEMPTS)
                await asyncio.sleep(BACKOFF * 2 ** (n - 1) * random.uniform(0.5, 1.5))
        finally:
            _retrying.reset(token)
        raise AssertionError("the loop above returns or raises")

    return attempt
