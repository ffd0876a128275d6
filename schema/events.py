"""Live events (rule 10): the `payoutBecameDue` subscription and the event it carries.

A `DueEvent` is what crosses process boundaries (as JSON); `PayoutDueEvent` is its GraphQL face.
Events are transitions, not rows: one per affiliate whose due rose or who became DUE.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, Awaitable, Collection, Hashable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, cast

import strawberry
from graphql import ExecutionResult, GraphQLError
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext

from models.enums import DueCause, Role
from models.errors import LedgerError
from models.rules.status import Transition
from schema.affiliates import Affiliate
from schema.context import Context, Info
from schema.described import described_enum
from schema.ids import decode_id
from schema.loaders import Loaders
from schema.money import Money, money_list

described_enum(
    DueCause,
    "DueCause",
    "What made commission become due (payout-rules.md 10).",
    SALE_RECORDED="A sale with an immediate milestone.",
    MATURED="A held installment's release time passed.",
    REQUIREMENTS_MET="Approval, payment details, a settings change or a sale count made a held-back balance payable.",
)


class SharedWork:
    """One event's work shared by its subscribers in this process.

    `loaders`: rows are read once per event, not once per subscriber (1,000 subscribers, one
    SELECT). `results`: one execution per operation, variables and principal (`SharedExecution`),
    so 1,000 subscribers of one operation under one token cost one execution, not 1,000.
    """

    def __init__(self) -> None:
        self.loaders = Loaders()
        self.payload: asyncio.Future[PayoutDueEvent] | None = None
        self.results: dict[Hashable, asyncio.Future[ExecutionResult] | ExecutionResult] = {}


@dataclass(frozen=True)
class DueEvent:
    """One announced transition; amounts in minor units per currency."""

    affiliate_id: int
    newly_due: dict[str, int]
    due: dict[str, int]
    cause: DueCause
    at: datetime
    _shared: list[SharedWork] = field(default_factory=list, compare=False, repr=False)

    def shared(self) -> SharedWork:
        """What every subscriber this event reaches in this process shares (made when it arrives)."""
        if not self._shared:
            self._shared.append(SharedWork())
        return self._shared[0]

    def to_json(self) -> dict[str, Any]:
        return {
            "affiliate": self.affiliate_id,
            "newly_due": self.newly_due,
            "due": self.due,
            "cause": self.cause.value,
            "at": self.at.isoformat(),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> DueEvent:
        return cls(
            affiliate_id=int(data["affiliate"]),
            newly_due={str(c): int(a) for c, a in data["newly_due"].items()},
            due={str(c): int(a) for c, a in data["due"].items()},
            cause=DueCause(data["cause"]),
            at=datetime.fromisoformat(data["at"]),
        )


def due_events(transitions: Collection[Transition], cause: DueCause, at: datetime) -> list[DueEvent]:
    """The transitions worth announcing: those where something became payable."""
    return [
        DueEvent(t.affiliate_id, t.newly_due, {c: a for c, a in t.after_due.items() if a}, cause, at)
        for t in transitions
        if t.newly_due
    ]


@strawberry.type(description="Commission became due for an affiliate: it is DUE and its due rose in some currency.")
class PayoutDueEvent:
    newly_due: list[Money] = strawberry.field(description="What became due in this transition.")
    due: list[Money] = strawberry.field(description="The affiliate's due totals after it.")
    cause: DueCause = strawberry.field(description="What made it due.")
    at: datetime = strawberry.field(description="When it became due (UTC).")
    # Loaded before the event is yielded: a plain field keeps execution synchronous.
    affiliate: Affiliate = strawberry.field(description="The affiliate, as it is after the change.")
    shared: strawberry.Private[SharedWork]

    @classmethod
    async def of(cls, event: DueEvent) -> PayoutDueEvent:
        """Made once per event in this process, for every subscriber it reaches."""
        shared = event.shared()
        if shared.payload is None:
            shared.payload = asyncio.ensure_future(cls._make(event, shared))
        return await asyncio.shield(shared.payload)  # a subscriber leaving does not cancel the others'

    @classmethod
    async def _make(cls, event: DueEvent, shared: SharedWork) -> PayoutDueEvent:
        row = await shared.loaders.affiliate_by_id.load(event.affiliate_id)
        if row is None:  # affiliates are never deleted; a missing row is a broken database
            raise GraphQLError("the affiliate of this event no longer exists", extensions={"code": "NOT_FOUND"})
        return cls(
            newly_due=money_list(event.newly_due),
            due=money_list(event.due),
            cause=event.cause,
            at=event.at,
            affiliate=Affiliate.of(row),
            shared=shared,
        )


class SharedExecution(StrawberryGraphQLCoreExecutionContext):
    """graphql-core's executor, except that an event's subscribers with the same operation document,
    variables and principal (the same token) share one execution of it: what one of them would
    get is exactly what each of them gets. Each still checks its token before its event is
    yielded (`check_token`), and receives its own copy of the result."""

    def execute_operation(self, serially: bool | None = None) -> Any:
        shared = getattr(self.root_value, "shared", None)
        if not isinstance(shared, SharedWork):
            return super().execute_operation(serially)
        key = (id(self.operation), _frozen(self.variable_values.coerced), self.context_value.principal)
        done = shared.results.get(key)
        if done is None:
            # A subscription's events are never incremental results: a result, or an awaitable of one.
            result = super().execute_operation(serially)
            if self.is_awaitable(result):
                done = asyncio.ensure_future(cast(Awaitable[ExecutionResult], result))
            else:
                done = cast(ExecutionResult, result)
            shared.results[key] = done
        if isinstance(done, asyncio.Future):
            return _copy_later(done)
        return _copy(done)


def _frozen(value: Any) -> Hashable:
    """Coerced variables as a key: dicts and lists as sorted tuples, the rest as they are."""
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_frozen(v) for v in value)
    return value if isinstance(value, Hashable) else repr(value)


def _copy(result: ExecutionResult) -> ExecutionResult:
    """A subscriber's own result: Strawberry's extensions may rewrite its error list."""
    return ExecutionResult(result.data, list(result.errors) if result.errors else None, result.extensions)


async def _copy_later(pending: asyncio.Future[ExecutionResult]) -> ExecutionResult:
    return _copy(await asyncio.shield(pending))


async def check_token(ctx: Context, loaders: Loaders) -> None:
    """A subscription outlives requests: its token is checked again with every event (one query per
    event, shared by every subscriber in this process), so a revocation that no bus message
    announced still ends delivery; the server closes the socket on this error."""
    token_id = ctx.principal.token_id
    if token_id is None:
        return  # the bootstrap admin token cannot be revoked
    token = await loaders.api_token_by_id.load(token_id)
    if token is None or token.revoked_at is not None:
        raise GraphQLError("the token was revoked", extensions={"code": "UNAUTHENTICATED"})


def wanted_affiliate(info: Info, affiliate_id: strawberry.ID | None) -> int | None:
    """Whose events this caller gets: an AFFILIATE token only its own, whatever it asked for."""
    principal = info.context.principal
    if principal.role is Role.AFFILIATE:
        if principal.affiliate_id is None:
            raise GraphQLError("this token belongs to no affiliate", extensions={"code": "FORBIDDEN"})
        return principal.affiliate_id
    if affiliate_id is None:
        return None
    try:
        return decode_id(affiliate_id, "Affiliate", "affiliateId")
    except LedgerError as e:
        raise GraphQLError(e.message, extensions={"code": "BAD_USER_INPUT", "field": e.field}) from None


@strawberry.type(
    name="Subscription",
    description="Live events over WebSocket /graphql (graphql-transport-ws; "
    'the token in connection_init\'s payload as {"authorization": "Bearer <token>"}).',
)
class EventSubscriptions:
    @strawberry.subscription(
        description="Fires when commission becomes due: a sale with an immediate milestone, a held installment "
        "maturing, or an affiliate starting to meet the payout requirements. Admins may filter by affiliate; an "
        "AFFILIATE token only ever sees its own."
    )
    async def payout_became_due(
        self,
        info: Info,
        affiliate_id: Annotated[
            strawberry.ID | None,
            strawberry.argument(description="Only this affiliate's events (ADMIN, VIEWER); null: every affiliate's."),
        ] = None,
    ) -> AsyncGenerator[PayoutDueEvent, None]:
        ctx = info.context
        wanted = wanted_affiliate(info, affiliate_id)
        if ctx.events is None:
            raise GraphQLError("subscriptions are not available here", extensions={"code": "UNAVAILABLE"})
        async with ctx.events.subscribe(wanted) as events:
            async for event in events:
                loaders = event.shared().loaders
                ctx.renew(loaders)  # the WebSocket's context outlives events: no stale loaders
                await check_token(ctx, loaders)
                yield await PayoutDueEvent.of(event)
