"""The event bus: carries `DueEvent`s from the change that caused them to every subscriber.

`Bus` delivers within one process (the default, and the only choice on SQLite). `PostgresBus`
(LISTEN/NOTIFY) and `RedisBus` (PUBLISH/SUBSCRIBE) carry each message to every process, the
publishing one included, which then delivers it locally. A message also says whether balances
changed, which wakes the maturity clock wherever it runs (a change may create an earlier release).

Subscribers have bounded queues: a slow one loses events (logged), nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from contextlib import asynccontextmanager, suppress

import asyncpg
import redis.asyncio as redis

from models.enums import DueCause
from models.rules import Transition
from schema.clock import Clock, system_clock
from schema.events import DueEvent, due_events

log = logging.getLogger("payouts.pubsub")

CHANNEL = "payouts_due"
QUEUE_SIZE = 256
MAX_MESSAGE_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more


class Subscriber:
    """One subscription's bounded queue of events."""

    def __init__(self, affiliate_id: int | None, size: int) -> None:
        self.affiliate_id = affiliate_id
        self.queue: asyncio.Queue[DueEvent] = asyncio.Queue(size)
        self.dropped = 0

    def offer(self, event: DueEvent) -> None:
        """Never waits: a full queue means a slow client, and it alone loses the event."""
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            self.dropped += 1
            log.warning("subscriber queue full: dropped an event for affiliate %s (%d dropped so far)",
                        event.affiliate_id, self.dropped)

    async def events(self) -> AsyncIterator[DueEvent]:
        while True:
            yield await self.queue.get()


def encode(events: Collection[DueEvent], changed: bool) -> Iterator[str]:
    """JSON messages each under MAX_MESSAGE_BYTES; always at least one when balances changed."""
    batch: list[str] = []
    size = 0
    for event in events:
        item = json.dumps(event.to_json(), separators=(",", ":"))
        if batch and size + len(item) + 64 > MAX_MESSAGE_BYTES:
            yield _message(batch, changed)
            batch, size = [], 0
        batch.append(item)
        size += len(item) + 1
    if batch or changed:
        yield _message(batch, changed)


def _message(items: list[str], changed: bool) -> str:
    return f'{{"changed":{json.dumps(changed)},"events":[{",".join(items)}]}}'


class Bus:
    """In-process fan-out, indexed by affiliate so a filtered subscriber only sees its own."""

    def __init__(self, queue_size: int = QUEUE_SIZE, clock: Clock = system_clock) -> None:
        self.queue_size = queue_size
        self.clock = clock
        self._subscribers: dict[int | None, set[Subscriber]] = defaultdict(set)
        self._on_change: list[Callable[[], None]] = []

    async def start(self) -> None:
        """Nothing to connect to in-process."""

    async def stop(self) -> None:
        """Nothing to disconnect in-process."""

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call back (in this process) whenever any process reports changed balances."""
        self._on_change.append(callback)

    @property
    def subscriber_count(self) -> int:
        return sum(len(subs) for subs in self._subscribers.values())

    @asynccontextmanager
    async def subscribe(self, affiliate_id: int | None) -> AsyncIterator[AsyncIterator[DueEvent]]:
        """Events for one affiliate (or all with None) until the context exits, i.e. the client left."""
        subscriber = Subscriber(affiliate_id, self.queue_size)
        self._subscribers[affiliate_id].add(subscriber)
        try:
            yield subscriber.events()
        finally:
            subscribers = self._subscribers[affiliate_id]
            subscribers.discard(subscriber)
            if not subscribers:
                del self._subscribers[affiliate_id]

    def deliver(self, events: Collection[DueEvent], changed: bool) -> None:
        for event in events:
            for subscriber in (*self._subscribers.get(None, ()), *self._subscribers.get(event.affiliate_id, ())):
                subscriber.offer(event)
        if changed:
            for callback in self._on_change:
                callback()

    def receive(self, message: str | bytes) -> None:
        """A message from another process (or our own, echoed back by the server)."""
        try:
            data = json.loads(message)
            events = [DueEvent.from_json(item) for item in data["events"]]
            changed = bool(data["changed"])
        except (ValueError, KeyError, TypeError, AttributeError):
            log.error("ignored a malformed bus message: %.200r", message)
            return
        self.deliver(events, changed)

    async def publish(self, events: Collection[DueEvent], changed: bool) -> None:
        self.deliver(events, changed)

    async def announce(self, transitions: Collection[Transition], cause: DueCause) -> None:
        """`Context.announce`: called after the change committed, so it must not fail the request."""
        if not transitions:
            return
        events = due_events(transitions, cause, self.clock())
        try:
            await self.publish(events, changed=True)
        except Exception:  # the change is committed; losing its notification must not turn it into an error
            log.exception("could not publish %d due events", len(events))


class PostgresBus(Bus):
    """LISTEN on a dedicated connection; NOTIFY through a small pool (one connection is not concurrent)."""

    def __init__(self, url: str, queue_size: int = QUEUE_SIZE, clock: Clock = system_clock) -> None:
        super().__init__(queue_size, clock)
        self.url = url
        self._listener: asyncpg.Connection | None = None
        self._pool: asyncpg.Pool | None = None

    async def start(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=4)
        self._listener = await asyncpg.connect(self.url)
        await self._listener.add_listener(CHANNEL, self._notified)

    def _notified(self, connection: object, pid: int, channel: str, payload: str) -> None:
        self.receive(payload)

    async def stop(self) -> None:
        if self._listener is not None:
            with suppress(Exception):
                await self._listener.close()
        if self._pool is not None:
            await self._pool.close()

    async def publish(self, events: Collection[DueEvent], changed: bool) -> None:
        assert self._pool is not None, "PostgresBus.start() was not awaited"
        for message in encode(events, changed):
            await self._pool.execute("SELECT pg_notify($1, $2)", CHANNEL, message)


class RedisBus(Bus):
    """redis-py's asyncio pub/sub, read with get_message in a background task.

    Redis channels are server-wide (not per database number), so the channel is named after the
    deployment's database: two deployments sharing one Redis never see each other's events.
    """

    def __init__(
        self, url: str, database_url: str, queue_size: int = QUEUE_SIZE, clock: Clock = system_clock
    ) -> None:
        super().__init__(queue_size, clock)
        self.channel = f"{CHANNEL}:{hashlib.sha256(database_url.encode()).hexdigest()[:16]}"
        self._client = redis.from_url(url)
        self._pubsub = self._client.pubsub(ignore_subscribe_messages=True)
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self._pubsub.subscribe(self.channel)
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
            except (redis.ConnectionError, redis.TimeoutError):
                log.exception("redis pub/sub connection failed; retrying")
                await asyncio.sleep(1.0)
                continue
            if message is not None and message.get("type") == "message":
                self.receive(message["data"])

    async def stop(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with suppress(asyncio.CancelledError):
                await self._reader
        await self._pubsub.aclose()
        await self._client.aclose()

    async def publish(self, events: Collection[DueEvent], changed: bool) -> None:
        for message in encode(events, changed):
            await self._client.publish(self.channel, message)


def make_bus(url: str | None, database_url: str, clock: Clock = system_clock) -> Bus:
    """PAYOUTS_PUBSUB_URL: unset for in-process, postgres://... or redis://... across processes."""
    if not url:
        return Bus(clock=clock)
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresBus(url, clock=clock)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisBus(url, database_url, clock=clock)
    raise ValueError("PAYOUTS_PUBSUB_URL must be postgres://..., redis://... or unset")
