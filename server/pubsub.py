"""The event bus: carries `DueEvent`s from the change that caused them to every subscriber.

`Bus` delivers within one process (the default, and the only choice on SQLite). `PostgresBus`
(LISTEN/NOTIFY) and `RedisBus` (PUBLISH/SUBSCRIBE) carry each message to every process, the
publishing one included, which then delivers it locally. A message also says whether balances
changed, which wakes the maturity clock wherever it runs (a change may create an earlier release),
and may name revoked tokens, whose open WebSockets every process then closes (server/sockets.py).

`PostgresBus` and `RedisBus` reconnect by themselves after a dropped connection and catch up
on what was published meanwhile from the database outbox (`RelayBus`).

Subscribers have bounded queues: a slow one loses events (logged), nobody else waits for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import os
import time
from collections import defaultdict
from collections.abc import AsyncIterator, Callable, Collection, Iterator
from contextlib import asynccontextmanager, suppress
from datetime import datetime, timedelta

import asyncpg
import redis.asyncio as redis
from redis.asyncio.client import PubSub

from models.clock import Clock, system_clock
from models.enums import DueCause
from models.ledger import outbox
from models.rules.status import Transition
from schema.events import DueEvent, due_events

log = logging.getLogger("payouts.pubsub")

CHANNEL = "payouts_due"
QUEUE_SIZE = 256
MAX_MESSAGE_BYTES = 7900  # PostgreSQL refuses NOTIFY payloads of 8000 bytes or more
LISTENER_NAME = "payouts-bus"  # application_name / client name of the subscribing connection, with the pid
KEEPALIVE = 2.0  # seconds between checks that the subscribing connection is alive
FIRST_CONNECT = 5.0  # seconds start() waits for the first connection before serving anyway
BACKOFF_MIN, BACKOFF_MAX = 0.1, 5.0  # reconnect delays, doubling
GAP_MARGIN = timedelta(seconds=30)  # read the outbox from this long before the connection was last seen alive
SEEN_FOR = 600.0  # seconds a delivered message id is remembered (far beyond GAP_MARGIN + KEEPALIVE)
PRUNE_EVERY = 60.0
RECENT = timedelta(seconds=10)  # while connected, the outbox rows of the last RECENT are read every KEEPALIVE


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
            log.warning(
                "subscriber queue full: dropped an event for affiliate %s (%d dropped so far)",
                event.affiliate_id,
                self.dropped,
            )

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
        self._on_revoke: list[Callable[[int], None]] = []
        self._pruner: asyncio.Task[None] | None = None

    @property
    def state(self) -> str:
        """What /healthz reports: "ok", or "reconnecting" while a cross-process bus is cut off."""
        return "ok"

    async def start(self) -> None:
        """Nothing to connect to in-process; the outbox rows changes write (for a relay) are pruned."""
        self._pruner = asyncio.create_task(self._prune_now_and_then())

    async def stop(self) -> None:
        if self._pruner is not None:
            self._pruner.cancel()
            with suppress(asyncio.CancelledError):
                await self._pruner

    async def _prune_now_and_then(self) -> None:
        while True:
            await asyncio.sleep(PRUNE_EVERY)
            with suppress(Exception):  # another process may be pruning; next time then
                await outbox.prune(self.clock())

    def on_change(self, callback: Callable[[], None]) -> None:
        """Call back (in this process) whenever any process reports changed balances."""
        self._on_change.append(callback)

    def on_revoke(self, callback: Callable[[int], None]) -> None:
        """Call back (in this process) with the id of every token any process revokes."""
        self._on_revoke.append(callback)

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
            revoked = [int(token_id) for token_id in data.get("revoked", ())]
        except (ValueError, KeyError, TypeError, AttributeError):
            log.error("ignored a malformed bus message: %.200r", message)
            return
        for token_id in revoked:
            for revoke in self._on_revoke:
                revoke(token_id)
        self.deliver(events, changed)

    async def send(self, message: str) -> None:
        """Carry one encoded message to every process; in-process, that is this one."""
        self.receive(message)

    async def revoke(self, token_id: int) -> None:
        """`Context.revoke`: after the revocation committed, close that token's sockets everywhere."""
        try:
            await self.send(json.dumps({"changed": False, "events": [], "revoked": [token_id]}))
        except Exception:  # committed already: its sockets still fail their next operation or event
            log.exception("could not announce the revocation of token %d", token_id)

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


class RelayBus(Bus):
    """A bus across processes that survives a dropped connection, or a publisher killed, without
    losing messages.

    Every message is kept in the database outbox (`models.ledger.outbox`) and sent with its id; a due
    event's row is written by the change itself, in its transaction (`models.ledger.announcements`).
    A background task holds the connection: when it drops, `state` says "reconnecting" (shown by
    /healthz) and it reconnects with backoff; once subscribed again it reads from the outbox what
    was published since shortly before the connection was last known alive, and delivers what
    it had not seen. While connected it also reads the last RECENT seconds of rows every KEEPALIVE:
    an event whose publisher died between its commit and its send arrives that way. Ids already
    delivered are remembered for a while, so each message reaches each subscriber of this process once.
    """

    def __init__(self, queue_size: int = QUEUE_SIZE, clock: Clock = system_clock) -> None:
        super().__init__(queue_size, clock)
        self._seen: dict[int, float] = {}
        self._alive_at: datetime | None = None  # Settings.clock: outbox rows carry the publisher's
        self._connected = asyncio.Event()
        self._holder: asyncio.Task[None] | None = None
        self._pruned_at = 0.0

    @property
    def state(self) -> str:
        return "ok" if self._connected.is_set() else "reconnecting"

    async def start(self) -> None:
        self._holder = asyncio.create_task(self._hold())
        with suppress(TimeoutError):  # a server may start while the bus is down: it keeps trying
            async with asyncio.timeout(FIRST_CONNECT):
                await self._connected.wait()

    async def stop(self) -> None:
        if self._holder is not None:
            self._holder.cancel()
            with suppress(asyncio.CancelledError):
                await self._holder
        await self._disconnect()

    async def _hold(self) -> None:
        """Forever: connect, catch up on the gap, serve until the connection drops, back off, again."""
        delay = BACKOFF_MIN
        while True:
            try:
                await self._connect()
                gap_from = self._alive_at
                self._alive_at = self.clock()
                self._connected.set()
                log.info("bus connected")
                if gap_from is not None:
                    await self._catch_up(gap_from - GAP_MARGIN)
                delay = BACKOFF_MIN
                await self._serve()
            except asyncio.CancelledError:
                raise
            except Exception as e:
                if self._connected.is_set():
                    log.warning("bus connection lost (%s); reconnecting", type(e).__name__)
                else:
                    log.warning("bus unavailable (%s); retrying in %.1f s", type(e).__name__, delay)
            self._connected.clear()
            await self._disconnect()
            await asyncio.sleep(delay)
            delay = min(BACKOFF_MAX, delay * 2)

    async def _serve(self) -> None:
        """Until the connection fails: check it every KEEPALIVE seconds, read the recent outbox rows,
        prune now and then."""
        while True:
            await self._check()
            self._alive_at = self.clock()
            try:
                await self._catch_up(self._alive_at - RECENT)
            except Exception as e:  # the database is unreachable: the next round reads the same rows
                log.warning("bus: could not read the outbox (%s)", type(e).__name__)
            now = time.monotonic()
            self._seen = {i: t for i, t in self._seen.items() if now - t < SEEN_FOR}
            if now - self._pruned_at > PRUNE_EVERY:
                self._pruned_at = now
                with suppress(Exception):  # another process may be pruning; next time then
                    await outbox.prune(self.clock())

    async def _catch_up(self, moment: datetime) -> None:
        missed = [(i, m) for i, m in await outbox.since(moment) if i not in self._seen]
        if missed:
            log.info("bus: delivering %d messages from the outbox that did not arrive live", len(missed))
        for number, message in missed:  # numbered, so the same message arriving live now is dropped
            self.receive(_numbered(message, number))

    def receive(self, message: str | bytes) -> None:
        try:
            number = json.loads(message).get("id")
        except (ValueError, AttributeError):
            number = None
        if isinstance(number, int):
            if number in self._seen:
                return
            self._seen[number] = time.monotonic()
        super().receive(message)

    async def publish(self, events: Collection[DueEvent], changed: bool) -> None:
        for message in encode(events, changed):
            await self.send(message)

    async def announce(self, transitions: Collection[Transition], cause: DueCause) -> None:
        """After the commit: each event its change wrote to the outbox goes out under that row's id
        (no second row); what wrote none (a poke for the clocks) goes out as `publish` sends it."""
        if not transitions:
            return
        at = self.clock()
        written = [t for t in transitions if t.bus_id is not None]
        rest = [t for t in transitions if t.bus_id is None]
        try:
            for t in written:
                for message in encode(due_events([t], cause, at), True):
                    assert t.bus_id is not None
                    await self._relay(_numbered(message, t.bus_id))
            if rest:
                await self.publish(due_events(rest, cause, at), changed=True)
        except Exception:  # the change is committed; its written events still reach every process
            log.exception("could not publish the due events of %d transitions", len(transitions))

    async def send(self, message: str) -> None:
        """Keep the message in the outbox, then carry it, numbered, to every process."""
        await self._relay(_numbered(message, await outbox.append(message, self.clock())))

    async def _relay(self, numbered: str) -> None:
        """A message kept in the outbox under its number, to every process."""
        try:
            await self._transmit(numbered)
        except Exception as e:  # kept in the outbox: other processes read it from there
            log.warning("bus send failed (%s); delivering locally, others catch up from the outbox", type(e).__name__)
            self.receive(numbered)

    async def _connect(self) -> None:
        raise NotImplementedError

    async def _check(self) -> None:
        """Return after KEEPALIVE seconds if the connection is fine; raise as soon as it is not."""
        raise NotImplementedError

    async def _disconnect(self) -> None:
        raise NotImplementedError

    async def _transmit(self, message: str) -> None:
        raise NotImplementedError


def _numbered(message: str, number: int) -> str:
    return f'{{"id":{number},{message[1:]}'


class PostgresBus(RelayBus):
    """LISTEN on a dedicated connection; NOTIFY through a small pool (one connection is not concurrent)."""

    def __init__(self, url: str, queue_size: int = QUEUE_SIZE, clock: Clock = system_clock) -> None:
        super().__init__(queue_size, clock)
        self.url = url
        self._listener: asyncpg.Connection | None = None
        self._lost = asyncio.Event()
        self._pool: asyncpg.Pool | None = None

    async def _connect(self) -> None:
        self._lost.clear()
        self._listener = await asyncpg.connect(
            self.url, server_settings={"application_name": f"{LISTENER_NAME}-{os.getpid()}"}
        )
        self._listener.add_termination_listener(lambda _: self._lost.set())
        await self._listener.add_listener(CHANNEL, self._notified)

    async def _check(self) -> None:
        assert self._listener is not None
        with suppress(TimeoutError):  # asyncio.timeout: a cancel (stop) is never swallowed, unlike 3.11's wait_for
            async with asyncio.timeout(KEEPALIVE):
                await self._lost.wait()
        if self._lost.is_set() or self._listener.is_closed():
            raise ConnectionError("the LISTEN connection was closed")
        async with asyncio.timeout(KEEPALIVE):
            await self._listener.fetchval("SELECT 1")

    def _notified(self, connection: object, pid: int, channel: str, payload: str) -> None:
        self.receive(payload)

    async def _disconnect(self) -> None:
        listener, self._listener = self._listener, None
        if listener is not None:
            with suppress(Exception):
                async with asyncio.timeout(2):
                    await listener.close()
            listener.terminate()

    async def stop(self) -> None:
        await super().stop()
        if self._pool is not None:
            await self._pool.close()

    async def _transmit(self, message: str) -> None:
        if self._pool is None:
            self._pool = await asyncpg.create_pool(self.url, min_size=0, max_size=4)
        for attempt in range(2):  # a pooled connection the server dropped fails once, then is replaced
            try:
                await self._pool.execute("SELECT pg_notify($1, $2)", CHANNEL, message)
                return
            except (asyncpg.InterfaceError, asyncpg.PostgresConnectionError, ConnectionError):
                if attempt:
                    raise


class RedisBus(RelayBus):
    """redis-py's asyncio pub/sub, read with get_message.

    Redis channels are server-wide (not per database number), so the channel is named after the
    deployment's database: two deployments sharing one Redis never see each other's events.
    """

    def __init__(self, url: str, database_url: str, queue_size: int = QUEUE_SIZE, clock: Clock = system_clock) -> None:
        super().__init__(queue_size, clock)
        deployment = hashlib.sha256(database_url.encode()).hexdigest()[:16]
        self.channel = f"{CHANNEL}:{deployment}"
        self._client = redis.from_url(url)
        # Its own client, named, so an operator (or a test) can find the subscribing connection.
        self._subscriber = redis.from_url(url, client_name=f"{LISTENER_NAME}-{os.getpid()}")
        self._pubsub: PubSub | None = None

    async def _connect(self) -> None:
        self._pubsub = self._subscriber.pubsub(ignore_subscribe_messages=True)
        await self._pubsub.subscribe(self.channel)

    async def _check(self) -> None:
        """Read for KEEPALIVE seconds. redis-py raises once on a killed connection (then would resubscribe
        silently on the next read, losing the gap): that exception is our signal to catch up."""
        assert self._pubsub is not None
        deadline = time.monotonic() + KEEPALIVE
        while time.monotonic() < deadline:
            message = await self._pubsub.get_message(timeout=min(1.0, KEEPALIVE))
            if message is not None and message.get("type") == "message":
                self.receive(message["data"])
        await self._pubsub.ping()

    async def _disconnect(self) -> None:
        pubsub, self._pubsub = self._pubsub, None
        if pubsub is not None:
            with suppress(Exception):
                await pubsub.aclose()

    async def stop(self) -> None:
        await super().stop()
        await self._subscriber.aclose()
        await self._client.aclose()

    async def _transmit(self, message: str) -> None:
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
