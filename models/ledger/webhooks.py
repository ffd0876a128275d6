"""Outgoing webhooks (rule 19): endpoint management, the outbox, and the worker's bookkeeping.

`emit` writes messages and their PENDING deliveries on the connection of the caller's transaction,
so a change and its announcement commit (or roll back) together. The worker `claim`s due
deliveries under a lease, makes the HTTP attempt outside any transaction (server/deliveries.py),
then `record`s the outcome; success is counted with `... WHERE status = 'PENDING'`, once.
"""

from __future__ import annotations

import base64
import os
import random
import secrets
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from tortoise.expressions import F, Q
from tortoise.transactions import in_transaction

from models.errors import Invalid, NotFound
from models.ledger import audit
from models.rules.commission import RuleError
from models.rules.webhook_events import test_data
from models.rules.webhooks import (
    FAILING_AFTER,
    MAX_DESCRIPTION,
    MAX_ENDPOINTS,
    MAX_OVERLAP_HOURS,
    RESPONSE_EXCERPT,
    RETAIN,
    SECRET_BYTES,
    TEST_EVENT,
    Event,
    WebhookSettings,
    body,
    checked_event_types,
    checked_url,
    message_id,
    new_secret,
    next_delay,
    retry_at,
)
from models.sql import insert_rows, lock_rows, values_in
from models.tables.webhooks import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookDisabledReason,
    WebhookEndpoint,
    WebhookEndpointStatus,
    WebhookMessage,
)
from models.transactions import retried

PENDING = WebhookDeliveryStatus.PENDING
ENABLED = WebhookEndpointStatus.ENABLED
WORKER_ACTOR = "webhooks"


class SecretBox:
    """Endpoint secrets at rest: Fernet under a key derived (HKDF-SHA256, info `webhook-secrets`)
    from PAYOUTS_SECRET_KEY, so a database dump alone cannot sign."""

    def __init__(self, secret_key: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=b"payout-desk", info=b"webhook-secrets").derive(
            secret_key.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> str:
        return self._fernet.encrypt(secret.encode()).decode()

    def open(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken:
            raise ValueError("a webhook secret cannot be decrypted with this PAYOUTS_SECRET_KEY") from None


@dataclass(frozen=True)
class WebhookConfig:
    """What endpoint management needs from the server: the sealing key and PAYOUTS_WEBHOOK_*."""

    box: SecretBox
    settings: WebhookSettings


def _invalid(error: RuleError) -> Invalid:
    return Invalid(str(error), error.field)


def _description(value: str | None) -> str:
    text = (value or "").strip()
    if len(text) > MAX_DESCRIPTION:
        raise Invalid(f"description has at most {MAX_DESCRIPTION} characters", "description")
    return text


async def _endpoint(endpoint_id: int, lock: bool = True) -> WebhookEndpoint:
    if lock:
        await lock_rows(WebhookEndpoint, [endpoint_id])
    endpoint = await WebhookEndpoint.get_or_none(id=endpoint_id)
    if endpoint is None:
        raise NotFound("no such webhook endpoint", "endpointId")
    return endpoint


# --- endpoint management (ADMIN) -------------------------------------------------------------------


@retried
async def create_endpoint(
    actor: str,
    now: datetime,
    config: WebhookConfig,
    *,
    url: str,
    event_types: Sequence[str],
    description: str | None,
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its secret (returned once, stored sealed)."""
    try:
        url = checked_url(url, config.settings.allow_private)
        types = checked_event_types(event_types)
    except RuleError as e:
        raise _invalid(e) from None
    note = _description(description)
    secret = new_secret(secrets.token_bytes(SECRET_BYTES))
    async with in_transaction():
        if await WebhookEndpoint.all().count() >= MAX_ENDPOINTS:
            raise Invalid(f"at most {MAX_ENDPOINTS} webhook endpoints; delete one first", "url")
        endpoint = await WebhookEndpoint.create(
            url=url,
            description=note,
            event_types=types,
            created_at=now,
            enabled_at=now,
            secret=config.box.seal(secret),
            secret_tail=secret[-4:],
        )
        await audit.record(actor, "createWebhookEndpoint", "WebhookEndpoint", endpoint.id, url=url, eventTypes=types)
    return endpoint, secret


@retried
async def update_endpoint(
    actor: str,
    config: WebhookConfig,
    *,
    endpoint_id: int,
    url: str | None = None,
    event_types: Sequence[str] | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Only the fields given change; messages already written keep the URL they were queued for."""
    changed: dict[str, object] = {}
    try:
        if url is not None:
            changed["url"] = checked_url(url, config.settings.allow_private)
        if event_types is not None:
            changed["event_types"] = checked_event_types(event_types)
    except RuleError as e:
        raise _invalid(e) from None
    if description is not None:
        changed["description"] = _description(description)
    async with in_transaction():
        endpoint = await _endpoint(endpoint_id)
        for name, value in changed.items():
            setattr(endpoint, name, value)
        await endpoint.save()
        await audit.record(
            actor,
            "updateWebhookEndpoint",
            "WebhookEndpoint",
            endpoint_id,
            **{"eventTypes" if k == "event_types" else k: v for k, v in changed.items()},
        )
    return endpoint


@retried
async def rotate_secret(
    actor: str, now: datetime, config: WebhookConfig, *, endpoint_id: int, overlap_hours: int
) -> tuple[WebhookEndpoint, str]:
    """A new secret; the current one keeps signing beside it for `overlap_hours` (an older one stops now)."""
    if not 0 <= overlap_hours <= MAX_OVERLAP_HOURS:
        raise Invalid(f"overlapHours is between 0 and {MAX_OVERLAP_HOURS}", "overlapHours")
    secret = new_secret(secrets.token_bytes(SECRET_BYTES))
    async with in_transaction():
        endpoint = await _endpoint(endpoint_id)
        if overlap_hours:
            endpoint.previous_secret = endpoint.secret
            endpoint.previous_secret_expires_at = now + timedelta(hours=overlap_hours)
        else:
            endpoint.previous_secret = endpoint.previous_secret_expires_at = None
        endpoint.secret, endpoint.secret_tail = config.box.seal(secret), secret[-4:]
        await endpoint.save()
        await audit.record(actor, "rotateWebhookSecret", "WebhookEndpoint", endpoint_id, overlapHours=overlap_hours)
    return endpoint, secret


async def _disable(endpoint: WebhookEndpoint, reason: WebhookDisabledReason, now: datetime) -> int:
    """DISABLED with its reason, its PENDING deliveries CANCELLED (in the caller's transaction)."""
    endpoint.status, endpoint.disabled_reason, endpoint.disabled_at = WebhookEndpointStatus.DISABLED, reason, now
    await endpoint.save(update_fields=["status", "disabled_reason", "disabled_at"])
    return await WebhookDelivery.filter(endpoint_id=endpoint.id, status=PENDING).update(
        status=WebhookDeliveryStatus.CANCELLED, next_attempt_at=None
    )


@retried
async def disable_endpoint(actor: str, now: datetime, *, endpoint_id: int) -> WebhookEndpoint:
    async with in_transaction():
        endpoint = await _endpoint(endpoint_id)
        cancelled = 0
        if endpoint.status is ENABLED:
            cancelled = await _disable(endpoint, WebhookDisabledReason.MANUAL, now)
        await audit.record(actor, "disableWebhookEndpoint", "WebhookEndpoint", endpoint_id, cancelled=cancelled)
    return endpoint


@retried
async def enable_endpoint(actor: str, now: datetime, *, endpoint_id: int) -> WebhookEndpoint:
    """ENABLED from now; what was cancelled stays cancelled (replay it)."""
    async with in_transaction():
        endpoint = await _endpoint(endpoint_id)
        if endpoint.status is not ENABLED:
            await WebhookEndpoint.filter(id=endpoint_id).update(
                status=ENABLED, disabled_reason=None, disabled_at=None, enabled_at=now
            )
        await audit.record(actor, "enableWebhookEndpoint", "WebhookEndpoint", endpoint_id)
    return await WebhookEndpoint.get(id=endpoint_id)


@retried
async def delete_endpoint(actor: str, *, endpoint_id: int) -> None:
    """The endpoint and its deliveries (their attempts cascade); messages no longer delivered anywhere
    are pruned with the rest (`prune`)."""
    async with in_transaction():
        endpoint = await _endpoint(endpoint_id)
        await endpoint.delete()
        await audit.record(actor, "deleteWebhookEndpoint", "WebhookEndpoint", endpoint_id, url=endpoint.url)


# --- replays and tests ---------------------------------------------------------------------------------


def _replayed(delivery: WebhookDelivery, endpoint: WebhookEndpoint, now: datetime) -> None:
    """An attempt now, to the endpoint's URL of now (a merchant fixes the URL, then replays); a FAILED
    or CANCELLED delivery is PENDING again with its schedule restarted."""
    if delivery.status is not WebhookDeliveryStatus.SUCCEEDED:
        delivery.status, delivery.failures = PENDING, 0
    delivery.next_attempt_at, delivery.url = now, endpoint.url


def _require_enabled(endpoint: WebhookEndpoint) -> None:
    if endpoint.status is not ENABLED:
        raise Invalid("the endpoint is disabled; enable it first", "endpointId")


@retried
async def replay_delivery(actor: str, now: datetime, *, delivery_id: int) -> WebhookDelivery:
    async with in_transaction():
        await lock_rows(WebhookDelivery, [delivery_id])
        delivery = await WebhookDelivery.get_or_none(id=delivery_id)
        if delivery is None:
            raise NotFound("no such webhook delivery", "deliveryId")
        endpoint = await _endpoint(delivery.endpoint_id, lock=False)
        _require_enabled(endpoint)
        _replayed(delivery, endpoint, now)
        await delivery.save(update_fields=["status", "failures", "next_attempt_at", "url"])
        await audit.record(
            actor, "replayWebhookDelivery", "WebhookDelivery", delivery_id, endpoint=delivery.endpoint_id
        )
    return delivery


@retried
async def replay_failed(actor: str, now: datetime, *, endpoint_id: int, since: datetime) -> int:
    """Every FAILED or CANCELLED delivery of the endpoint whose message is at or after `since`."""
    async with in_transaction():
        endpoint = await _endpoint(endpoint_id)
        _require_enabled(endpoint)
        count = await WebhookDelivery.filter(
            endpoint_id=endpoint_id,
            status__in=[WebhookDeliveryStatus.FAILED, WebhookDeliveryStatus.CANCELLED],
            message__created_at__gte=since,
        ).update(status=PENDING, failures=0, next_attempt_at=now, url=endpoint.url)
        await audit.record(
            actor,
            "replayFailedWebhookDeliveries",
            "WebhookEndpoint",
            endpoint_id,
            since=since.isoformat(),
            count=count,
        )
    return count


@retried
async def send_test(actor: str, now: datetime, *, endpoint_id: int) -> WebhookDelivery:
    """A `webhook.test` message to this endpoint alone, whatever it subscribes to."""
    async with in_transaction():
        endpoint = await _endpoint(endpoint_id)
        _require_enabled(endpoint)
        [message] = await _write([(Event(TEST_EVENT, now, test_data(endpoint_id)), [(endpoint.id, endpoint.url)])])
        delivery = await WebhookDelivery.get(message_id=message)
        await audit.record(actor, "sendTestWebhook", "WebhookEndpoint", endpoint_id, delivery=delivery.id)
    return delivery


# --- the outbox --------------------------------------------------------------------------------------


async def emit(events: Sequence[Event] | Callable[[], Sequence[Event]]) -> None:
    """Messages for these events, each with one PENDING delivery per ENABLED endpoint subscribed to its
    type now; no subscriber, no row. Call inside the transaction of the change they announce.

    `events` may be a function that makes them, called only when an endpoint is enabled: a bulk
    booking (a seed, an import) with no endpoint builds no message it would throw away.
    """
    if not callable(events) and not events:
        return
    endpoints = [
        (r["id"], r["url"], r["event_types"])
        for r in await values_in(WebhookEndpoint, "status", (ENABLED.value,), ("id", "url", "event_types"))
    ]
    if not endpoints:
        return
    made = events() if callable(events) else events
    await _write(
        [(e, targets) for e in made if (targets := [(i, url) for i, url, types in endpoints if e.type in types])]
    )


async def _write(planned: Sequence[tuple[Event, list[tuple[int, str]]]]) -> list[int]:
    """Multi-row INSERTs of the messages, then of their deliveries; returns the messages' ids."""
    if not planned:
        return []
    conn = WebhookMessage._choose_db(True)
    rows = [(message_id(e.at, os.urandom(10)), e.type, e.at, body(e.type, e.at, e.data)) for e, _ in planned]
    inserted = await insert_rows(
        conn, WebhookMessage, MESSAGE_COLUMNS, rows, planned[0][0].at, returning=("id", "message_id")
    )
    ids = {r["message_id"]: r["id"] for r in inserted}
    deliveries = [
        (endpoint_id, ids[row[0]], url, PENDING.value, e.at, e.at)
        for row, (e, targets) in zip(rows, planned, strict=True)
        for endpoint_id, url in targets
    ]
    await insert_rows(conn, WebhookDelivery, DELIVERY_COLUMNS, deliveries, planned[0][0].at)
    return list(ids.values())


MESSAGE_COLUMNS = ("message_id", "type", "created_at", "body")
DELIVERY_COLUMNS = ("endpoint_id", "message_id", "url", "status", "next_attempt_at", "created_at")


# --- the worker's side ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Claimed:
    """A leased delivery with what its attempt needs."""

    delivery_id: int
    endpoint_id: int
    number: int  # this attempt's number (attempts so far + 1)
    url: str
    message_id: str
    body: str
    secrets: list[str]  # newest first
    succeeded: bool  # a replay of a SUCCEEDED delivery: one more attempt, no schedule


def _due(now: datetime) -> Q:
    return Q(next_attempt_at__lte=now) & (Q(lease_until__isnull=True) | Q(lease_until__lt=now))


async def claim(now: datetime, box: SecretBox, lease: timedelta, limit: int) -> list[Claimed]:
    """Lease up to `limit` due deliveries (oldest due first) for this worker.

    PostgreSQL: `FOR UPDATE SKIP LOCKED` so concurrent workers take different rows; everywhere the
    UPDATE repeats the due-and-unleased guard and marks the rows with this claim's token, so a row
    two workers both saw is leased by one of them only. Deliveries of a disabled endpoint found
    here (queued as it was being disabled) are cancelled, not attempted.
    """
    if limit <= 0:
        return []
    token = secrets.token_hex(16)
    async with in_transaction():
        candidates = WebhookDelivery.filter(_due(now)).order_by("next_attempt_at", "id").limit(limit).only("id")
        ids = [d.id for d in await candidates.select_for_update(skip_locked=True)]
        if not ids:
            return []
        await WebhookDelivery.filter(_due(now), id__in=ids).update(lease_until=now + lease, lease_owner=token)
    rows = await WebhookDelivery.filter(id__in=ids, lease_owner=token).select_related("endpoint", "message")
    claimed: list[Claimed] = []
    for d in rows:
        endpoint, message = d.endpoint, d.message
        if endpoint.status is not ENABLED:  # nothing is attempted for it (a replayed success neither)
            await WebhookDelivery.filter(id=d.id, status=PENDING).update(status=WebhookDeliveryStatus.CANCELLED)
            await WebhookDelivery.filter(id=d.id).update(next_attempt_at=None, lease_until=None, lease_owner=None)
            continue
        keys = [box.open(endpoint.secret)]
        expires = endpoint.previous_secret_expires_at
        if endpoint.previous_secret and expires is not None and expires > now:
            keys.append(box.open(endpoint.previous_secret))
        claimed.append(
            Claimed(
                d.id,
                endpoint.id,
                d.attempt_count + 1,
                d.url,
                message.message_id,
                message.body,
                keys,
                d.status is WebhookDeliveryStatus.SUCCEEDED,
            )
        )
    return claimed


@dataclass(frozen=True)
class AttemptResult:
    """How one HTTP attempt went."""

    started: datetime
    ended: datetime
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    retry_after: str | None = None

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def duration_ms(self) -> int:
        return max(0, round((self.ended - self.started).total_seconds() * 1000))


Outcome = tuple[Claimed, AttemptResult]


@retried
async def record(outcomes: Sequence[Outcome], settings: WebhookSettings, rng: random.Random) -> None:
    """Attempts just made, in one transaction, and what they mean: SUCCEEDED once (`WHERE status =
    'PENDING'`), a retry scheduled, FAILED, or the endpoint disabled. Each attempt row keeps its own
    times; a delivery's `succeededAt` and `last_attempt_at` are the batch's latest end."""
    if not outcomes:
        return
    latest = max(result.ended for _, result in outcomes)
    async with in_transaction():
        await WebhookAttempt.bulk_create(
            [
                WebhookAttempt(
                    delivery_id=claimed.delivery_id,
                    number=claimed.number,
                    at=result.started,
                    response_code=result.status,
                    duration_ms=result.duration_ms,
                    error=None if result.error is None else result.error[:200],
                    response_excerpt=None if result.excerpt is None else result.excerpt[:RESPONSE_EXCERPT],
                )
                for claimed, result in outcomes
            ]
        )
        by_code: dict[int | None, list[int]] = defaultdict(list)
        for claimed, result in outcomes:
            by_code[result.status].append(claimed.delivery_id)
        for code, ids in by_code.items():
            await WebhookDelivery.filter(id__in=ids).update(
                attempt_count=F("attempt_count") + 1,
                last_attempt_at=latest,
                last_response_code=code,
                lease_until=None,
                lease_owner=None,
            )
        succeeded = [c for c, r in outcomes if r.ok]
        settled = [c.delivery_id for c, r in outcomes if r.ok or c.succeeded]  # no attempt due after these
        if settled:
            await WebhookDelivery.filter(id__in=settled).update(next_attempt_at=None)
        if succeeded:
            await WebhookDelivery.filter(id__in=[c.delivery_id for c in succeeded], status=PENDING).update(
                status=WebhookDeliveryStatus.SUCCEEDED, succeeded_at=latest
            )
            await WebhookEndpoint.filter(id__in={c.endpoint_id for c in succeeded}).update(last_success_at=latest)
        for claimed, result in outcomes:
            if not result.ok and not claimed.succeeded:
                await _failed(claimed, result, settings, rng)


async def _failed(claimed: Claimed, result: AttemptResult, settings: WebhookSettings, rng: random.Random) -> None:
    now = result.ended
    delivery = await WebhookDelivery.get_or_none(id=claimed.delivery_id, status=PENDING)
    if delivery is None:  # cancelled or counted meanwhile
        return
    delivery.failures += 1
    delay = (
        None
        if result.status == 410
        else next_delay(settings.schedule, delivery.failures, settings.jitter, rng.random())
    )
    if delay is not None:
        delivery.next_attempt_at = retry_at(now, delay, result.status, result.retry_after)
        await delivery.save(update_fields=["failures", "next_attempt_at"])
        return
    delivery.status, delivery.next_attempt_at = WebhookDeliveryStatus.FAILED, None
    await delivery.save(update_fields=["failures", "status", "next_attempt_at"])
    endpoint = await _endpoint(claimed.endpoint_id)
    if endpoint.status is not ENABLED:
        return
    if result.status == 410:
        reason = WebhookDisabledReason.GONE
    else:
        since = max(now - FAILING_AFTER, endpoint.enabled_at)
        if endpoint.last_success_at is not None and endpoint.last_success_at >= since:
            return
        reason = WebhookDisabledReason.FAILING
    cancelled = await _disable(endpoint, reason, now)
    await audit.record(
        WORKER_ACTOR,
        "webhookEndpointDisabled",
        "WebhookEndpoint",
        endpoint.id,
        reason=reason.value,
        delivery=claimed.delivery_id,
        cancelled=cancelled,
    )


@dataclass(frozen=True)
class Backlog:
    """What /healthz reports: deliveries waiting, and how late the oldest due one is."""

    pending: int
    oldest_due_s: float


async def backlog(now: datetime) -> Backlog:
    pending = await WebhookDelivery.filter(status=PENDING).count()
    first = cast(
        datetime | None,
        await WebhookDelivery.filter(next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .first()
        .values_list("next_attempt_at", flat=True),
    )
    return Backlog(pending, max(0.0, (now - first).total_seconds()) if first else 0.0)


async def prune(now: datetime) -> int:
    """Deliveries settled more than 30 days ago, then messages left with no delivery and as old."""
    cutoff = now - RETAIN
    removed = await WebhookDelivery.filter(
        Q(last_attempt_at__lt=cutoff) | Q(last_attempt_at__isnull=True, created_at__lt=cutoff),
        next_attempt_at__isnull=True,
    ).delete()
    await WebhookMessage.filter(created_at__lt=cutoff, deliveries__id__isnull=True).delete()
    return removed
