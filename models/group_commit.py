"""Group commit: calls that arrive while a batch is being written are booked together in the next one.

On SQLite every transaction holds the process's one connection from BEGIN to COMMIT, so changes
are written strictly one after another; on PostgreSQL each costs its own round trips and commit.
A `GroupCommit` runs one batch at a time: the first call starts a batch of one at once (no added
latency when idle), and every call arriving meanwhile waits for the next batch, which takes all of
them (up to `most`). The batch function answers each item on its own (a value or an exception
instance), so one caller's refusal is not its neighbours'; if the batch itself fails, every
caller in it gets that failure. One committer per event loop.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

I = TypeVar("I")  # noqa: E741
O = TypeVar("O")  # noqa: E741

Batch = Callable[[Sequence[I]], Awaitable[Sequence[O | Exception]]]


class GroupCommit(Generic[I, O]):
    def __init__(self, run: Batch[I, O], most: int = 500) -> None:
        self._run = run
        self._most = most
        self._waiting: list[tuple[I, asyncio.Future[O]]] = []
        self._busy = False
        self._draining: asyncio.Future[None] | None = None  # held: the loop keeps only weak references

    async def submit(self, item: I) -> O:
        """Book `item` with the batch it falls in; its own answer, or its own error raised."""
        future: asyncio.Future[O] = asyncio.get_running_loop().create_future()
        self._waiting.append((item, future))
        if not self._busy:
            self._busy = True
            # The caller's context is copied: callers are never inside a transaction (ledger.record_sale).
            self._draining = asyncio.ensure_future(self._drain())
        return await future

    async def _drain(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._most], self._waiting[self._most :]
                await self._answer(batch)
        finally:
            self._busy = False

    async def _answer(self, batch: list[tuple[I, asyncio.Future[O]]]) -> None:
        try:
            outcomes = await self._run([item for item, _ in batch])
        except Exception as e:
            for _, future in batch:
                if not future.done():
                    future.set_exception(e)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            if future.done():  # the caller went away (cancelled); the batch was booked all the same
                continue
            if isinstance(outcome, Exception):
                future.set_exception(outcome)
            else:
                future.set_result(outcome)


_committers: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[int, GroupCommit]] = (  # type: ignore[type-arg]
    weakref.WeakKeyDictionary()
)


def committer(run: Batch[I, O], most: int = 500) -> GroupCommit[I, O]:
    """The running loop's committer for this batch function (created on first use)."""
    per_loop = _committers.setdefault(asyncio.get_running_loop(), {})
    found = per_loop.get(id(run))
    if found is None:
        found = per_loop[id(run)] = GroupCommit(run, most)
    return found
