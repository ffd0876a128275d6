"""What every resolver gets: who is asking, the request's clock, its DataLoaders, and the cipher."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from strawberry.types import Info as StrawberryInfo

from models.enums import DueCause, Role
from models.payment_details import Cipher
from models.rules import Transition
from schema.clock import Clock, system_clock
from schema.loaders import Loaders

if TYPE_CHECKING:
    from schema.events import EventSource


@dataclass(frozen=True)
class Principal:
    """The bearer of a valid token. `actor` is what the audit log records."""

    role: Role
    actor: str
    affiliate_id: int | None = None
    token_id: int | None = None


Announce = Callable[[Collection[Transition], DueCause], Awaitable[None]]


async def announce_nothing(transitions: Collection[Transition], cause: DueCause) -> None:
    """Default when no event bus is wired (tests of the read API, the CLI)."""


@dataclass
class Context:
    principal: Principal
    cipher: Cipher
    announce: Announce = announce_nothing
    request: Any = None
    response: Any = None
    connection_params: dict[str, Any] | None = None
    events: EventSource | None = None
    websocket: bool = False  # set by the server: subscriptions are only served over WebSocket
    clock: Clock = system_clock
    loaders: Loaders = field(default_factory=Loaders)
    now: datetime = field(init=False)  # read once: one request sees one instant

    def __post_init__(self) -> None:
        self.now = self.clock()

    def fresh(self) -> Context:
        """A copy with a new instant and empty loaders: one per subscription event."""
        return Context(
            principal=self.principal, cipher=self.cipher, announce=self.announce, request=self.request,
            response=self.response, connection_params=self.connection_params, events=self.events,
            websocket=self.websocket, clock=self.clock,
        )

    def renew(self, loaders: Loaders | None = None) -> None:
        """A new instant and loaders in place: a WebSocket's context is reused for every event it carries."""
        self.now, self.loaders = self.clock(), loaders or Loaders()


Info = StrawberryInfo[Context, None]
