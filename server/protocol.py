"""uvicorn's HTTP protocol with a header timeout (operations-3.md "Limits that protect the server").

uvicorn closes a keep-alive connection that stays idle after a response, but a connection that
never completes its request line and headers (a fresh one sending nothing, or a few bytes now and
then) is held for ever: a thousand of them are a thousand sockets and buffers. Here every request's
headers must be complete within HEADER_TIMEOUT_S of its first byte (of the connection, for the
first request), or the connection is closed. Trickling bytes does not restart the clock.

Used with `uvicorn --http server.protocol:GuardedHTTPProtocol` (what `payouts serve` passes).
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.auto import AutoHTTPProtocol

HEADER_TIMEOUT_S = 10.0
IMPORT_STRING = "server.protocol:GuardedHTTPProtocol"


class GuardedHTTPProtocol(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    header_timer: asyncio.TimerHandle | None = None
    armed_for: Any = None  # the request cycle that was the latest when the timer was armed

    def connection_made(self, transport: asyncio.Transport) -> None:
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        idle = self.cycle is None or self.cycle.response_complete
        if idle and (self.header_timer is None or self.armed_for is not self.cycle):
            self._arm()  # the first bytes of a new request: its headers are now on the clock
        super().data_received(data)

    def _arm(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
        self.armed_for = self.cycle
        self.header_timer = self.loop.call_later(HEADER_TIMEOUT_S, self._expire)

    def _expire(self) -> None:
        """No new request started since the timer was armed: its headers never completed. A connection
        upgraded to a WebSocket belongs to the WebSocket protocol now (its own init timeout applies)."""
        self.header_timer = None
        if self.transport.get_protocol() is not self:
            return
        if self.cycle is self.armed_for and (self.cycle is None or self.cycle.response_complete):
            self.transport.close()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None
        super().connection_lost(exc)
