"""Outgoing webhooks (rule 19) through GraphQL: endpoints, messages, deliveries and their attempts.

ADMIN manages endpoints; ADMIN and VIEWER read; an AFFILIATE token is refused (`ProgramWide`).
A secret appears only in the answer of createWebhookEndpoint and rotateWebhookSecret.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated

import strawberry
from strawberry.scalars import JSON

from models.enums import Role
from models.errors import Invalid
from models.ledger import webhooks as webhook_ledger
from models.ledger.webhooks import WebhookConfig
from models.rules.webhooks import EVENT_TYPES, secret_hint
from models.tables.webhooks import WebhookAttempt as AttemptRow
from models.tables.webhooks import WebhookDelivery as DeliveryRow
from models.tables.webhooks import WebhookDeliveryStatus, WebhookDisabledReason, WebhookEndpointStatus
from models.tables.webhooks import WebhookEndpoint as EndpointRow
from models.tables.webhooks import WebhookMessage as MessageRow
from schema.context import Info
from schema.described import described_enum
from schema.errors import Errors
from schema.ids import decode_id, to_global_id
from schema.node import Node
from schema.pagination import BY_ID, NEWEST_FIRST, After, Connection, First, build_connection, fetch_page, paginate
from schema.permissions import CanReadAll, ProgramWide, mutation

described_enum(
    WebhookEndpointStatus,
    "WebhookEndpointStatus",
    "Whether an endpoint receives messages.",
    ENABLED="Messages of its event types are queued and delivered.",
    DISABLED="Nothing is queued or delivered; see disabledReason.",
)
described_enum(
    WebhookDisabledReason,
    "WebhookDisabledReason",
    "Why an endpoint was disabled.",
    MANUAL="An ADMIN disabled it.",
    GONE="It answered HTTP 410 Gone.",
    FAILING="A message exhausted its attempts and nothing succeeded for 5 days.",
)
described_enum(
    WebhookDeliveryStatus,
    "WebhookDeliveryStatus",
    "Where one message stands for one endpoint.",
    PENDING="Not delivered yet; the next attempt is scheduled (nextAttemptAt).",
    SUCCEEDED="An attempt got a 2xx answer (counted once, whatever happens later).",
    FAILED="Every scheduled attempt failed, or the endpoint answered 410.",
    CANCELLED="The endpoint was disabled or deleted before it succeeded.",
)


def _config(info: Info) -> WebhookConfig:
    config = info.context.webhooks
    assert config is not None, "the server wires the webhook configuration into every request"
    return config


@strawberry.type(description="A URL that receives signed event messages (rule 19).")
class WebhookEndpoint(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    url: str = strawberry.field(
        description="Where messages are POSTed (https, or http when PAYOUTS_WEBHOOK_ALLOW_PRIVATE is on)."
    )
    description: str = strawberry.field(description="A free note (may be empty).")
    event_types: list[str] = strawberry.field(description='The event types it receives, e.g. ["payout.paid"].')
    status: WebhookEndpointStatus = strawberry.field(description="ENABLED or DISABLED.")
    disabled_reason: WebhookDisabledReason | None = strawberry.field(
        description="Why it is disabled; null while enabled."
    )
    disabled_at: datetime | None = strawberry.field(description="When it was disabled; null while enabled.")
    created_at: datetime = strawberry.field(description="When it was created (UTC).")
    secret_hint: str = strawberry.field(
        description='The current secret, masked: "whsec_****" and its last 4 characters.'
    )
    previous_secret_expires_at: datetime | None = strawberry.field(
        description="During a rotation overlap: when the previous secret stops signing; else null."
    )
    row: strawberry.Private[EndpointRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[WebhookEndpoint | None, int | None]:
        row = await EndpointRow.get_or_none(id=pk)
        return (cls.of(row, info.context.now), None) if row else (None, None)

    @classmethod
    def of(cls, row: EndpointRow, now: datetime) -> WebhookEndpoint:
        expires = row.previous_secret_expires_at
        return cls(
            id=to_global_id("WebhookEndpoint", row.id),
            url=row.url,
            description=row.description,
            event_types=list(row.event_types),
            status=row.status,
            disabled_reason=row.disabled_reason,
            disabled_at=row.disabled_at,
            created_at=row.created_at,
            secret_hint=secret_hint(row.secret_tail),
            previous_secret_expires_at=expires if row.previous_secret and expires and expires > now else None,
            row=row,
        )

    @strawberry.field(description="Its deliveries, newest message first.")
    async def deliveries(
        self,
        info: Info,
        status: Annotated[
            WebhookDeliveryStatus | None, strawberry.argument(description="Only deliveries in this state.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[WebhookDelivery]:
        query = DeliveryRow.filter(endpoint_id=self.row.id)
        if status is not None:
            query = query.filter(status=status)
        rows, has_next = await fetch_page(query, NEWEST_FIRST, first, after)
        await _prefetch(rows)
        return build_connection(rows, has_next, query, NEWEST_FIRST, WebhookDelivery.of, after)


async def _prefetch(rows: list[DeliveryRow]) -> None:
    """A page's endpoints, messages and attempts in three queries, whatever its size."""
    if rows:
        await DeliveryRow.fetch_for_list(rows, "endpoint", "message", "attempts")


async def _delivery(pk: int) -> WebhookDelivery | None:
    rows = list(await DeliveryRow.filter(id=pk))
    await _prefetch(rows)
    return WebhookDelivery.of(rows[0]) if rows else None


@strawberry.type(description="One event message, written in the transaction of the change it announces (rule 19).")
class WebhookMessage(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay).")
    message_id: str = strawberry.field(
        description='The webhook-id header value, e.g. "msg_01JF3Q6W6V9Y8N2K4T5R7B0C1D": the same on every '
        "attempt and replay."
    )
    type: str = strawberry.field(description='The event type, e.g. "payout.paid".')
    created_at: datetime = strawberry.field(description="When the change happened (UTC); the payload's timestamp.")
    payload: JSON = strawberry.field(description="The exact JSON body sent (and signed): {type, timestamp, data}.")

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[WebhookMessage | None, int | None]:
        row = await MessageRow.get_or_none(id=pk)
        return (cls.of(row), None) if row else (None, None)

    @classmethod
    def of(cls, row: MessageRow) -> WebhookMessage:
        return cls(
            id=to_global_id("WebhookMessage", row.id),
            message_id=row.message_id,
            type=row.type,
            created_at=row.created_at,
            payload=JSON(json.loads(row.body)),
        )


@strawberry.type(description="One HTTP attempt of a delivery.")
class WebhookAttempt:
    number: int = strawberry.field(description="1 for the first attempt.")
    at: datetime = strawberry.field(description="When it started (UTC); also its webhook-timestamp.")
    response_code: int | None = strawberry.field(description="The HTTP status received; null when none.")
    duration_ms: int = strawberry.field(description="How long it took, in milliseconds.")
    error: str | None = strawberry.field(
        description='Why it failed without a status ("timeout after 15 s", "destination address not allowed", '
        "...); null otherwise."
    )
    response_body_excerpt: str | None = strawberry.field(
        description="The first 1,000 bytes of the response body, as text; null when none."
    )

    @classmethod
    def of(cls, row: AttemptRow) -> WebhookAttempt:
        return cls(
            number=row.number,
            at=row.at,
            response_code=row.response_code,
            duration_ms=row.duration_ms,
            error=row.error,
            response_body_excerpt=row.response_excerpt,
        )


@strawberry.type(description="One message's delivery to one endpoint, with every attempt (rule 19).")
class WebhookDelivery(Node, ProgramWide):
    id: strawberry.ID = strawberry.field(description="The global id (Relay); replayWebhookDelivery takes it.")
    status: WebhookDeliveryStatus = strawberry.field(description="Where it stands.")
    attempt_count: int = strawberry.field(description="How many attempts were made (replays included).")
    next_attempt_at: datetime | None = strawberry.field(
        description="When the next attempt is due; null unless PENDING."
    )
    last_response_code: int | None = strawberry.field(
        description="The HTTP status of the latest attempt; null when it got none (timeout, refused, blocked)."
    )
    succeeded_at: datetime | None = strawberry.field(description="When the first 2xx answer came; null if none.")
    row: strawberry.Private[DeliveryRow]

    @classmethod
    async def load(cls, info: Info, pk: int) -> tuple[WebhookDelivery | None, int | None]:
        return await _delivery(pk), None

    @classmethod
    def of(cls, row: DeliveryRow) -> WebhookDelivery:
        return cls(
            id=to_global_id("WebhookDelivery", row.id),
            status=row.status,
            attempt_count=row.attempt_count,
            next_attempt_at=row.next_attempt_at,
            last_response_code=row.last_response_code,
            succeeded_at=row.succeeded_at,
            row=row,
        )

    @strawberry.field(description="The endpoint.")
    def endpoint(self, info: Info) -> WebhookEndpoint:
        return WebhookEndpoint.of(self.row.endpoint, info.context.now)

    @strawberry.field(description="The message.")
    def message(self) -> WebhookMessage:
        return WebhookMessage.of(self.row.message)

    @strawberry.field(description="Every attempt, oldest first.")
    def attempts(self) -> list[WebhookAttempt]:
        return [WebhookAttempt.of(a) for a in sorted(self.row.attempts, key=lambda a: (a.number, a.id))]


@strawberry.type(description="An event type an endpoint can subscribe to, with its meaning.")
class WebhookEventTypeInfo:
    name: str = strawberry.field(description='The type, e.g. "payout.paid".')
    description: str = strawberry.field(description="What fires it.")


@strawberry.input(description="A new endpoint.")
class CreateWebhookEndpointInput:
    url: str = strawberry.field(
        description="https URL (http, and private or loopback hosts, only with PAYOUTS_WEBHOOK_ALLOW_PRIVATE); "
        "at most 2000 characters."
    )
    event_types: list[str] = strawberry.field(description="At least one event type from webhookEventTypes.")
    description: str | None = strawberry.field(default=None, description="A free note, at most 200 characters.")


@strawberry.input(description="Changes to an endpoint: only the fields given change.")
class UpdateWebhookEndpointInput:
    endpoint_id: strawberry.ID = strawberry.field(description="The endpoint.")
    url: str | None = strawberry.field(default=None, description="A new URL (same checks as at creation).")
    event_types: list[str] | None = strawberry.field(default=None, description="New event types (at least one).")
    description: str | None = strawberry.field(default=None, description="A new note.")


@strawberry.type(description="The new endpoint and its secret.")
class CreateWebhookEndpointSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint.")
    secret: str = strawberry.field(
        description="The signing secret, whsec_ + base64 of 32 random bytes: shown only this once."
    )


@strawberry.type(description="The endpoint after a change.")
class WebhookEndpointSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint as it is now.")


@strawberry.type(description="The endpoint with its new secret.")
class RotateWebhookSecretSuccess:
    endpoint: WebhookEndpoint = strawberry.field(description="The endpoint; previousSecretExpiresAt ends the overlap.")
    secret: str = strawberry.field(description="The new signing secret: shown only this once.")


@strawberry.type(description="The deleted endpoint's id.")
class DeleteWebhookEndpointSuccess:
    deleted_id: strawberry.ID = strawberry.field(description="The global id the endpoint had.")


@strawberry.type(description="The delivery, queued again.")
class WebhookDeliverySuccess:
    delivery: WebhookDelivery = strawberry.field(
        description="The delivery, PENDING (or SUCCEEDED with a new attempt due)."
    )


@strawberry.type(description="The deliveries queued again.")
class ReplayWebhookDeliveriesSuccess:
    count: int = strawberry.field(description="How many deliveries were queued again.")


CreateWebhookEndpointPayload = Annotated[
    CreateWebhookEndpointSuccess | Errors,
    strawberry.union("CreateWebhookEndpointPayload", description="The result of createWebhookEndpoint."),
]
WebhookEndpointPayload = Annotated[
    WebhookEndpointSuccess | Errors,
    strawberry.union(
        "WebhookEndpointPayload",
        description="The result of updateWebhookEndpoint, disableWebhookEndpoint and enableWebhookEndpoint.",
    ),
]
RotateWebhookSecretPayload = Annotated[
    RotateWebhookSecretSuccess | Errors,
    strawberry.union("RotateWebhookSecretPayload", description="The result of rotateWebhookSecret."),
]
DeleteWebhookEndpointPayload = Annotated[
    DeleteWebhookEndpointSuccess | Errors,
    strawberry.union("DeleteWebhookEndpointPayload", description="The result of deleteWebhookEndpoint."),
]
WebhookDeliveryPayload = Annotated[
    WebhookDeliverySuccess | Errors,
    strawberry.union("WebhookDeliveryPayload", description="The result of replayWebhookDelivery and sendTestWebhook."),
]
ReplayWebhookDeliveriesPayload = Annotated[
    ReplayWebhookDeliveriesSuccess | Errors,
    strawberry.union("ReplayWebhookDeliveriesPayload", description="The result of replayFailedWebhookDeliveries."),
]

EndpointId = Annotated[strawberry.ID, strawberry.argument(description="The endpoint.")]


def _endpoint_id(value: str) -> int:
    return decode_id(value, "WebhookEndpoint", "endpointId")


async def _delivered(pk: int) -> WebhookDelivery:
    delivery = await _delivery(pk)
    assert delivery is not None, "a delivery just replayed or queued exists"
    return delivery


@strawberry.type
class WebhookQueries:
    @strawberry.field(
        description="Every webhook endpoint, oldest first (ADMIN and VIEWER).", permission_classes=[CanReadAll]
    )
    async def webhook_endpoints(
        self, info: Info, first: First = None, after: After = None
    ) -> Connection[WebhookEndpoint]:
        now = info.context.now
        return await paginate(EndpointRow.all(), BY_ID, lambda row: WebhookEndpoint.of(row, now), first, after)

    @strawberry.field(description="The event types an endpoint can subscribe to (any token).")
    def webhook_event_types(self) -> list[WebhookEventTypeInfo]:
        return [WebhookEventTypeInfo(name=name, description=text) for name, text in EVENT_TYPES.items()]

    @strawberry.field(
        description="Messages written, newest first (ADMIN and VIEWER); type filters by event type.",
        permission_classes=[CanReadAll],
    )
    async def webhook_messages(
        self,
        type: Annotated[
            str | None, strawberry.argument(description="Only messages of this event type, e.g. payout.paid.")
        ] = None,
        first: First = None,
        after: After = None,
    ) -> Connection[WebhookMessage]:
        query = MessageRow.all() if type is None else MessageRow.filter(type=type)
        return await paginate(query, NEWEST_FIRST, WebhookMessage.of, first, after)


@strawberry.type
class WebhookMutations:
    @strawberry.mutation(description="Add an endpoint (ADMIN); the answer holds its secret, shown once.")
    @mutation(Role.ADMIN)
    async def create_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[CreateWebhookEndpointInput, strawberry.argument(description="The endpoint.")],
    ) -> CreateWebhookEndpointPayload:
        ctx, config = info.context, _config(info)
        row, secret = await webhook_ledger.create_endpoint(
            ctx.principal.actor,
            ctx.now,
            config,
            url=input.url,
            event_types=input.event_types,
            description=input.description,
        )
        return CreateWebhookEndpointSuccess(endpoint=WebhookEndpoint.of(row, ctx.now), secret=secret)

    @strawberry.mutation(description="Change an endpoint's URL, event types or note (ADMIN).")
    @mutation(Role.ADMIN)
    async def update_webhook_endpoint(
        self,
        info: Info,
        input: Annotated[UpdateWebhookEndpointInput, strawberry.argument(description="What to change.")],
    ) -> WebhookEndpointPayload:
        ctx = info.context
        row = await webhook_ledger.update_endpoint(
            ctx.principal.actor,
            _config(info),
            endpoint_id=_endpoint_id(input.endpoint_id),
            url=input.url,
            event_types=input.event_types,
            description=input.description,
        )
        return WebhookEndpointSuccess(endpoint=WebhookEndpoint.of(row, ctx.now))

    @strawberry.mutation(
        description="New secret (ADMIN); the old one keeps signing beside it for overlapHours (0-168)."
    )
    @mutation(Role.ADMIN)
    async def rotate_webhook_secret(
        self,
        info: Info,
        endpoint_id: EndpointId,
        overlap_hours: Annotated[
            int | None,
            strawberry.argument(description="Hours the previous secret keeps signing beside the new one, 0 to 168."),
        ] = 24,
    ) -> RotateWebhookSecretPayload:
        ctx = info.context
        row, secret = await webhook_ledger.rotate_secret(
            ctx.principal.actor,
            ctx.now,
            _config(info),
            endpoint_id=_endpoint_id(endpoint_id),
            overlap_hours=24 if overlap_hours is None else overlap_hours,
        )
        return RotateWebhookSecretSuccess(endpoint=WebhookEndpoint.of(row, ctx.now), secret=secret)

    @strawberry.mutation(description="Stop queueing and delivering (ADMIN); its pending deliveries are cancelled.")
    @mutation(Role.ADMIN)
    async def disable_webhook_endpoint(self, info: Info, endpoint_id: EndpointId) -> WebhookEndpointPayload:
        ctx = info.context
        row = await webhook_ledger.disable_endpoint(ctx.principal.actor, ctx.now, endpoint_id=_endpoint_id(endpoint_id))
        return WebhookEndpointSuccess(endpoint=WebhookEndpoint.of(row, ctx.now))

    @strawberry.mutation(description="Queue and deliver again from now on (ADMIN).")
    @mutation(Role.ADMIN)
    async def enable_webhook_endpoint(self, info: Info, endpoint_id: EndpointId) -> WebhookEndpointPayload:
        ctx = info.context
        row = await webhook_ledger.enable_endpoint(ctx.principal.actor, ctx.now, endpoint_id=_endpoint_id(endpoint_id))
        return WebhookEndpointSuccess(endpoint=WebhookEndpoint.of(row, ctx.now))

    @strawberry.mutation(description="Delete an endpoint and its deliveries (ADMIN).")
    @mutation(Role.ADMIN)
    async def delete_webhook_endpoint(self, info: Info, endpoint_id: EndpointId) -> DeleteWebhookEndpointPayload:
        pk = _endpoint_id(endpoint_id)
        await webhook_ledger.delete_endpoint(info.context.principal.actor, endpoint_id=pk)
        return DeleteWebhookEndpointSuccess(deleted_id=to_global_id("WebhookEndpoint", pk))

    @strawberry.mutation(
        description="Send one delivery again now (ADMIN), same webhook-id; a SUCCEEDED one stays SUCCEEDED."
    )
    @mutation(Role.ADMIN)
    async def replay_webhook_delivery(
        self,
        info: Info,
        delivery_id: Annotated[strawberry.ID, strawberry.argument(description="The delivery.")],
    ) -> WebhookDeliveryPayload:
        ctx = info.context
        row = await webhook_ledger.replay_delivery(
            ctx.principal.actor, ctx.now, delivery_id=decode_id(delivery_id, "WebhookDelivery", "deliveryId")
        )
        return WebhookDeliverySuccess(delivery=await _delivered(row.id))

    @strawberry.mutation(
        description="Queue again every FAILED or CANCELLED delivery of an endpoint whose message was created at or "
        "after since (ADMIN)."
    )
    @mutation(Role.ADMIN)
    async def replay_failed_webhook_deliveries(
        self,
        info: Info,
        endpoint_id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint (ENABLED).")],
        since: Annotated[
            datetime, strawberry.argument(description="Only deliveries of messages created at or after this time.")
        ],
    ) -> ReplayWebhookDeliveriesPayload:
        ctx = info.context
        if since.tzinfo is None:
            raise Invalid("since needs a time zone offset (e.g. Z)", "since")
        count = await webhook_ledger.replay_failed(
            ctx.principal.actor, ctx.now, endpoint_id=_endpoint_id(endpoint_id), since=since
        )
        return ReplayWebhookDeliveriesSuccess(count=count)

    @strawberry.mutation(
        description="Send a webhook.test message to one endpoint now (ADMIN), whatever its event types."
    )
    @mutation(Role.ADMIN)
    async def send_test_webhook(
        self,
        info: Info,
        endpoint_id: Annotated[strawberry.ID, strawberry.argument(description="The endpoint (ENABLED).")],
    ) -> WebhookDeliveryPayload:
        ctx = info.context
        row = await webhook_ledger.send_test(ctx.principal.actor, ctx.now, endpoint_id=_endpoint_id(endpoint_id))
        return WebhookDeliverySuccess(delivery=await _delivered(row.id))
