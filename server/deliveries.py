"""The webhook delivery worker (rule 19.4-19.6): claims due deliveries, POSTs them, records how it went.

It runs in every server process (the app's lifespan) and alone in `payouts webhooks worker`. Each
process has at most `CONCURRENCY` attempts in flight; claims are leased in the database
(`models.ledger.webhooks.claim`), so any number of processes share the work without two attempting
one delivery at once.

The SSRF guard resolves the host once, checks every address it resolves to, and connects to the
checked address itself: the URL sent to httpx carries the IP, the `Host` header and TLS SNI (and
certificate check) carry the name, so no second lookup can swap the address (DNS rebinding).
Connections are never reused between attempts: a pooled connection is keyed by address, and two
names on one address must not share a TLS session verified for one of them.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import random
import socket
import ssl
import time
from contextlib import suppress
from datetime import datetime, timedelta

import httpx

from models.clock import Clock, system_clock
from models.global_ids import to_global_id
from models.ledger.webhooks import AttemptResult, Claimed, Outcome, WebhookConfig, claim, prune, record
from models.rules.webhooks import BLOCKED, RESPONSE_EXCERPT, address_allowed, signature_header

log = logging.getLogger("payouts.webhooks.deliveries")

CONCURRENCY = 20  # attempts in flight per process (rule 19.4)
POLL = 1.0  # seconds between looks for due deliveries when idle: the first attempt starts well within 5 s
RETRY = 2.0  # seconds before the next look after the database failed
PRUNE_EVERY = 3600.0
USER_AGENT = "payout-desk-webhooks"


class Blocked(Exception):
    """The destination resolves to an address rule 19.6 does not allow."""


async def checked_address(host: str, port: int, allow_private: bool) -> str:
    """Resolve once; every address must be allowed; the first one is where the attempt connects."""
    literal = host.strip("[]")
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(literal, port, type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise httpx.ConnectError(f"cannot resolve the host ({e.strerror})") from None
    addresses = [str(info[4][0]).split("%")[0] for info in infos]
    if not addresses:
        raise httpx.ConnectError("the host resolves to no address")
    if not allow_private and not all(address_allowed(ipaddress.ip_address(a)) for a in addresses):
        raise Blocked(BLOCKED)
    return addresses[0]


def new_client(config: WebhookConfig, verify: ssl.SSLContext | bool = True) -> httpx.AsyncClient:
    """No redirects followed, no environment proxies, no pooled connections (see the module docstring).
    Certificates are checked against the system's CAs (`verify`: another context, for tests)."""
    return httpx.AsyncClient(
        follow_redirects=False,
        trust_env=False,
        verify=verify,
        proxy=config.settings.proxy,
        timeout=httpx.Timeout(config.settings.timeout_s),
        limits=httpx.Limits(max_connections=CONCURRENCY, max_keepalive_connections=0),
    )


async def attempt(
    client: httpx.AsyncClient, claimed: Claimed, config: WebhookConfig, started: datetime
) -> AttemptResult:
    """One POST of the message, signed at its start; never raises for what the receiver or network does."""
    settings = config.settings
    stamp = int(started.timestamp())
    begun = time.monotonic()
    status: int | None = None
    error = excerpt = retry_after = None
    try:
        async with asyncio.timeout(settings.timeout_s):
            url = httpx.URL(claimed.url)
            address = await checked_address(
                url.host, url.port or (443 if url.scheme == "https" else 80), settings.allow_private
            )
            headers = {
                "content-type": "application/json",
                "webhook-id": claimed.message_id,
                "webhook-timestamp": str(stamp),
                "webhook-signature": signature_header(claimed.secrets, claimed.message_id, stamp, claimed.body),
                "user-agent": USER_AGENT,
                "host": url.netloc.decode("ascii"),
            }
            request = client.build_request(
                "POST",
                url.copy_with(host=address),
                content=claimed.body.encode(),
                headers=headers,
                extensions={"sni_hostname": url.host} if url.scheme == "https" else {},
            )
            response = await client.send(request, stream=True)
            try:
                status = response.status_code
                retry_after = response.headers.get("retry-after")
                excerpt = await _excerpt(response)
            finally:
                await response.aclose()
    except Blocked:
        error = BLOCKED
    except TimeoutError:
        error = f"timeout after {settings.timeout_s} s"
    except httpx.HTTPError as e:
        error = f"{type(e).__name__}: {e}"[:200] if str(e) else type(e).__name__
    except (OSError, ValueError) as e:  # a bad address, a refused socket: a failed attempt, not a crash
        error = type(e).__name__
    elapsed = timedelta(seconds=time.monotonic() - begun)
    return AttemptResult(started, started + elapsed, status, error, excerpt, retry_after)


async def _excerpt(response: httpx.Response) -> str | None:
    """The first 1,000 bytes of the body, as text; the rest is never read."""
    kept = b""
    async for chunk in response.aiter_raw():
        kept += chunk
        if len(kept) >= RESPONSE_EXCERPT:
            break
    return kept[:RESPONSE_EXCERPT].decode("utf-8", "replace") if kept else None


class DeliveryWorker:
    """Claims and attempts due deliveries until stopped; the clock is passed in (tests move time).

    Finished attempts are recorded together, one transaction per look: under load that is one
    write per batch of attempts instead of one per attempt.
    """

    def __init__(self, config: WebhookConfig, clock: Clock = system_clock, concurrency: int = CONCURRENCY) -> None:
        self.config = config
        self.clock = clock
        self.concurrency = concurrency
        self.rng = random.Random()
        self._wake = asyncio.Event()
        self._in_flight: set[asyncio.Task[None]] = set()
        self._finished: list[Outcome] = []
        self._pruned_at = 0.0

    def poke(self) -> None:
        """Look now (a test moved the clock, a message was just written)."""
        self._wake.set()

    async def run(self) -> None:
        async with new_client(self.config) as client:
            try:
                while True:
                    self._wake.clear()
                    try:
                        await self._record()
                        free = self.concurrency - len(self._in_flight)
                        claimed = await claim(self.clock(), self.config.box, self.config.settings.lease, free)
                        await self._prune()
                    except Exception as e:  # the database is down or busy: try again shortly
                        log.warning("webhook worker: database unavailable (%s); retrying", type(e).__name__)
                        await asyncio.sleep(RETRY)
                        continue
                    for c in claimed:
                        task = asyncio.create_task(self._deliver(client, c))
                        self._in_flight.add(task)
                        task.add_done_callback(self._done)
                    with suppress(TimeoutError):  # a finished attempt frees a slot and wakes us sooner
                        async with asyncio.timeout(POLL):
                            await self._wake.wait()
            finally:
                await self._finish()

    def _done(self, task: asyncio.Task[None]) -> None:
        self._in_flight.discard(task)
        self._wake.set()  # a slot is free, an outcome waits

    async def _record(self) -> None:
        """What finished since the last look; kept for the next look if the database fails (the leases
        outlive that: another worker would only retry after them)."""
        finished, self._finished = self._finished, []
        try:
            await record(finished, self.config.settings, self.rng)
        except BaseException:
            self._finished[:0] = finished
            raise

    async def _finish(self) -> None:
        """On stop: attempts in flight end (each within the timeout) and are recorded."""
        if self._in_flight:
            await asyncio.wait(set(self._in_flight), timeout=self.config.settings.timeout_s + 5)
        try:
            await self._record()
        except Exception as e:  # their leases run out; another worker attempts them again
            log.warning("webhook worker: %d outcomes not recorded at stop (%s)", len(self._finished), type(e).__name__)

    async def _deliver(self, client: httpx.AsyncClient, claimed: Claimed) -> None:
        result = await attempt(client, claimed, self.config, self.clock())
        log.info(
            "webhook attempt endpoint=%s message=%s attempt=%d result=%s duration_ms=%d",
            to_global_id("WebhookEndpoint", claimed.endpoint_id),
            claimed.message_id,
            claimed.number,
            result.status if result.status is not None else (result.error or "").split(":")[0],
            result.duration_ms,
        )
        self._finished.append((claimed, result))

    async def _prune(self) -> None:
        now = time.monotonic()
        if now - self._pruned_at > PRUNE_EVERY:
            self._pruned_at = now
            await prune(self.clock())
