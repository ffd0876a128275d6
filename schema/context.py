"""What every resolver gets: who is asking, the request's clock, its DataLoaders, and the cipher."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from strawberry.types import Info as StrawberryInfo

from models.clock import Clock, system_clock
from models.enums import DueCause, Role
from models.ledger.balances import apply_maturities
from models.ledger.payment_details import Cipher
from models.ledger.webhooks import WebhookConfig
from models.rules.status import Transition
from models.signed_links import LinkSigner
from schema.loaders import Loaders


@dataclass(frozen=True)
class Principal:
    """The bearer of a valid token. `actor` is what the audit log records."""

    role: Role
    actor: str
    affiliate_id: int | None = None
    token_id: int | None = None


class EventSource(Protocol):
    """Where subscriptions get their events (server.pubsub.Bus); `None` asks for every affiliate.

    The events are schema.events.DueEvent: named loosely here, so the context (which every resolver
    imports) does not import the subscription's types back.
    """

    def subscribe(self, affiliate_id: int | None) -> AbstractAsyncContextManager[AsyncIterator[Any]]: ...


Announce = Callable[[Collection[Transition], DueCause], Awaitable[None]]


async def announce_nothing(transitions: Collection[Transition], cause: DueCause) -> None:
    """Default when no event bus is wired (tests of the read API, the CLI)."""


async def revoke_nowhere(token_id: int) -> None:
    """Default when no event bus is wired: no WebSocket is open to close."""


@dataclass
class Context:
    principal: Principal
    cipher: Cipher
    announce: Announce = announce_nothing
    revoke: Callable[[int], Awaitable[None]] = revoke_nowhere  # closes a revoked token's open sockets
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    events: EventSource | None = None
    websocket: bool = False  # set by the server: subscriptions are only served over WebSocket
    links: LinkSigner | None = None  # signs download links for ADMIN readers; None: plain links only
    clock: Clock = system_clock
    webhooks: WebhookConfig | None = None  # endpoint management's key and settings (rule 19)
    now: datetime = field(init=False)  # read once: one request sees one instant
    loaders: Loaders = field(init=False)
    _caught_up: asyncio.Future[None] | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        self.now = self.clock()
        self.loaders = self._new_loaders()

    def _new_loaders(self) -> Loaders:
        # Subscription events carry figures the clock or a change has just written: no catch-up.
        return Loaders() if self.websocket else Loaders(self.catch_up)

    async def catch_up(self) -> None:
        """Apply, once per request, the maturities released by `now` that the clock has not applied yet.

        The clock applies each release at its instant; this closes the window between that
        instant and the clock's transaction, so a payment-status filter or a balance is exact as
        of the request's time. It costs one indexed range probe (`next_release_at <= now`, read
        by a LIMIT), plus the refresh of just the affiliates found, usually none.
        """
        if self._caught_up is None:
            self._caught_up = asyncio.ensure_future(self._apply_matured())
        await self._caught_up

    async def _apply_matured(self) -> None:
        await self.announce(await apply_maturities(self.now), DueCause.MATURED)

    def renew(self, loaders: Loaders | None = None) -> None:
        """A new instant and loaders in place: a WebSocket's context is reused for every event it carries
        (an event's shared loaders, or new ones)."""
        self.now, self.loaders, self._caught_up = self.clock(), loaders or self._new_loaders(), None


Info = StrawberryInfo[Context, None]
