"""The maturity clock: applies held installments the moment they are released, with no request needed.

It sleeps until the earliest release anywhere (`next_maturity()`, one indexed row), applies what
matured and announces it, then sleeps again. A change can create an earlier release, so `poke()`
(wired to the bus's "balances changed" signal, from any process) wakes it to look again; MAX_SLEEP
is only a safety net. On start it first applies whatever matured while no clock was running.

On PostgreSQL one process leads: it holds a session advisory lock on a dedicated connection, the
others retry every RETRY seconds and take over when the leader's connection goes away. Announcing
exactly once does not depend on that: `apply_maturities` locks the affiliates and re-reads, so a
maturity is applied (and returned for announcing) by one transaction only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress

import asyncpg

from models.clock import Clock, system_clock
from models.enums import DueCause
from models.ledger.balances import apply_maturities, next_maturity
from models.transactions import is_unavailable
from schema.context import Announce

log = logging.getLogger("payouts.clock")

MAX_SLEEP = 30.0
RETRY = 2.0
MIN_SLEEP = 0.01  # never spin, even if the clock and the database disagree by a hair
LOCK_KEY = 0x7061796F7574  # "payout": the advisory lock the leading clock holds


def on_postgres(database_url: str) -> bool:
    return database_url.startswith(("postgres://", "postgresql://"))


@asynccontextmanager
async def leadership(database_url: str, retry: float = RETRY) -> AsyncIterator[Callable[[], bool]]:
    """Wait until this process may run the clock; yields a check that it still may."""
    if not on_postgres(database_url):  # SQLite: one process is the supported deployment
        yield lambda: True
        return
    connection = await asyncpg.connect(database_url)
    try:
        # The lock is another process's to release: no local Event can tell us, so poll it.
        while not await connection.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEY):  # noqa: ASYNC110
            await asyncio.sleep(retry)
        log.info("this process now runs the maturity clock")
        yield lambda: not connection.is_closed()
    finally:
        with suppress(Exception):
            await connection.close()  # ends the session, which releases the lock


class MaturityClock:
    def __init__(
        self,
        announce: Announce,
        database_url: str,
        *,
        clock: Clock = system_clock,
        max_sleep: float = MAX_SLEEP,
        retry: float = RETRY,
    ) -> None:
        self.announce = announce
        self.clock = clock
        self.database_url = database_url
        self.max_sleep = max_sleep
        self.retry = retry
        self._wake = asyncio.Event()

    def poke(self) -> None:
        """Balances changed somewhere, or time was moved: the earliest release may now be sooner than the
        one slept for."""
        self._wake.set()

    async def run(self) -> None:
        """Forever (until cancelled): lead when allowed, survive database hiccups."""
        while True:
            try:
                async with leadership(self.database_url, self.retry) as leading:
                    await self._tick_while(leading)
                log.warning("lost the maturity clock lock; waiting to lead again")
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if not is_unavailable(e):
                    log.exception("maturity clock failed; retrying in %.0f s", self.retry)
                else:  # an outage is reported by /healthz; one line each retry is enough here
                    log.warning("maturity clock: database unavailable (%s); retrying", type(e).__name__)
                await asyncio.sleep(self.retry)

    async def _tick_while(self, leading: Callable[[], bool]) -> None:
        while leading():
            self._wake.clear()  # before reading, so a change made meanwhile still wakes us
            await self.tick()
            upcoming = await next_maturity()
            delay = self.max_sleep
            if upcoming is not None:
                delay = min(delay, max(MIN_SLEEP, (upcoming - self.clock()).total_seconds()))
            # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a cancel that meets a wake-up
            # (a sale's poke just as the server stops), and the clock would then never stop.
            with suppress(TimeoutError):
                async with asyncio.timeout(delay):
                    await self._wake.wait()

    async def tick(self) -> None:
        await self.announce(await apply_maturities(self.clock()), DueCause.MATURED)
