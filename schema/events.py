"""Live events (rule 10): the `payoutBecameDue` subscription and the event it carries.

A `DueEvent` is what crosses process boundaries (as JSON); `PayoutDueEvent` is its GraphQL face.
Events are transitions, not rows: one per affiliate whose due rose or who became DUE.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Protocol

import strawberry
from graphql import GraphQLError

from models.enums import DueCause, Role
from models.errors import LedgerError
from models.rules import Transition
from schema.affiliates import Affiliate
from schema.context import Context, Info
from schema.described import described_enum
from schema.ids import decode_id
from schema.loaders import Loaders
from schema.money import Money, money_list

described_enum(
    DueCause, "DueCause", "What made commission become due (payout-rules.md 10).",
    SALE_RECORDED="A sale with an immediate milestone.",
    MATURED="A held installment's release time passed.",
    REQUIREMENTS_MET="Approval, payment details, a settings change or a sale count made a held-back balance payable.",
)


@dataclass(frozen=True)
class DueEvent:
    """One announced transition; amounts in minor units per currency."""

    affiliate_id: int
    newly_due: dict[str, int]
    due: dict[str, int]
    cause: DueCause
    at: datetime
    _loaders: list[Loaders] = field(default_factory=list, compare=False, repr=False)

    def loaders(self) -> Loaders:
        """DataLoaders made when the event arrives and shared by every subscriber it reaches in this
        process: rows are read once per event, not once per subscriber (1,000 subscribers, one SELECT)."""
        if not self._loaders:
            self._loaders.append(Loaders())
        return self._loaders[0]

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


class EventSource(Protocol):
    """Where subscriptions get their events (server.pubsub.Bus); `None` asks for every affiliate."""

    def subscribe(self, affiliate_id: int | None) -> AbstractAsyncContextManager[AsyncIterator[DueEvent]]: ...


@strawberry.type(description="Commission became due for an affiliate: it is DUE and its due rose in some currency.")
class PayoutDueEvent:
    newly_due: list[Money] = strawberry.field(description="What became due in this transition.")
    due: list[Money] = strawberry.field(description="The affiliate's due totals after it.")
    cause: DueCause = strawberry.field(description="What made it due.")
    at: datetime = strawberry.field(description="When it became due (UTC).")
    # Loaded before the event is yielded: a plain field keeps execution synchronous.
    affiliate: Affiliate = strawberry.field(description="The affiliate, as it is after the change.")

    @classmethod
    async def of(cls, event: DueEvent, loaders: Loaders) -> PayoutDueEvent:
        row = await loaders.affiliate_by_id.load(event.affiliate_id)
        if row is None:  # affiliates are never deleted; a missing row is a broken database
            raise GraphQLError("the affiliate of this event no longer exists", extensions={"code": "NOT_FOUND"})
        return cls(
            newly_due=money_list(event.newly_due),
            due=money_list(event.due),
            cause=event.cause,
            at=event.at,
            affiliate=Affiliate.of(row),
        )


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


@strawberry.type(name="Subscription", description="Live events over WebSocket /graphql (graphql-transport-ws; "
                 'the token in connection_init\'s payload as {"authorization": "Bearer <token>"}).')
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
                loaders = event.loaders()
                ctx.renew(loaders)  # the WebSocket's context outlives events: no stale loaders
                await check_token(ctx, loaders)
                yield await PayoutDueEvent.of(event, loaders)

