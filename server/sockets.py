"""Open GraphQL WebSockets: a revoked token stops working at once, and every refusal is answered.

The token arrives once, in `connection_init`, but a socket lives for hours. So it is checked again
on every `subscribe` message, every operation that finds it revoked (a subscription checks it per
event) closes the socket, and a revocation announced on the bus by any process closes, in every
process, the sockets that use that token: code 4403, nothing delivered after. A revocation no bus
message carried (servers without a shared bus, a bus outage, a CLI revoke) is found by `watch`
within `WATCH_EVERY` seconds: one lookup of the open sockets' tokens per process.

An operation refused before it runs (too long, too deep, too many aliases, invalid) gets an
`error` message with a `code`, as over HTTP, instead of completing with nothing said; so does one
whose answer (a query's, or one event of a subscription) is larger than the HTTP limit
(RESPONSE_TOO_LARGE, the operation ends, the socket stays open).

Limits (operations-3.md): at most `ws_max_sockets_per_token` open sockets per token in a process
(one more is closed with 4429 "too many sockets") and `ws_max_subscriptions` operations per socket
(one more gets an `error` message, TOO_MANY_SUBSCRIPTIONS).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from contextlib import suppress
from typing import Any

from graphql import GraphQLError, OperationType, get_operation_ast, parse
from strawberry.schema.schema import StreamResult
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import Message, SubscribeMessage
from strawberry.types.execution import PreExecutionError

from models.ledger import access
from schema import limits
from schema.context import Context
from schema.limits import code_for, without_suggestion
from server.config import Settings

log = logging.getLogger("payouts.sockets")

REVOKED = 4403
TOO_MANY_SOCKETS = 4429
WATCH_EVERY = 1.0  # seconds between checks of the open sockets' tokens
REVOKED_CODE = "UNAUTHENTICATED"  # what an operation reports when it finds its token revoked


class OpenSockets:
    """This process's open WebSockets by the id of the token they authenticated with."""

    def __init__(self) -> None:
        self._by_token: dict[int, set[SocketHandler]] = defaultdict(set)
        self._by_actor: dict[str, set[SocketHandler]] = defaultdict(set)  # every token, the bootstrap one too
        self._closing: set[asyncio.Task[None]] = set()

    def admit(self, actor: str, handler: SocketHandler, limit: int) -> bool:
        """Count the socket against its token, unless the token already has `limit` open."""
        handlers = self._by_actor[actor]
        if len(handlers) >= limit:
            return False
        handlers.add(handler)
        return True

    def release(self, actor: str, handler: SocketHandler) -> None:
        handlers = self._by_actor.get(actor)
        if handlers is not None:
            handlers.discard(handler)
            if not handlers:
                del self._by_actor[actor]

    def add(self, token_id: int, handler: SocketHandler) -> None:
        self._by_token[token_id].add(handler)

    def discard(self, token_id: int, handler: SocketHandler) -> None:
        handlers = self._by_token.get(token_id)
        if handlers is not None:
            handlers.discard(handler)
            if not handlers:
                del self._by_token[token_id]

    async def watch(self, every: float = WATCH_EVERY) -> None:
        """Forever (a lifespan task): close the sockets of tokens revoked behind the bus's back."""
        failing = False
        while True:
            await asyncio.sleep(every)
            if not self._by_token:
                continue
            try:
                revoked = await access.revoked_among(list(self._by_token))
            except Exception as e:  # the database is away: the next round tries again
                if not failing:
                    log.warning("could not check the open sockets' tokens (%s)", type(e).__name__)
                failing = True
                continue
            failing = False
            for token_id in revoked:
                self.revoked(token_id)

    def revoked(self, token_id: int) -> None:
        """Bus callback (synchronous): close every socket of this token, now."""
        for handler in list(self._by_token.pop(token_id, ())):
            task = asyncio.get_running_loop().create_task(handler.close_revoked())
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)


def _revoked_in(message: Message) -> bool:
    """An outgoing message that reports the token revoked (raised by an operation)."""
    payload: Any = message.get("payload")
    errors = payload.get("errors") if isinstance(payload, dict) else payload
    return isinstance(errors, list) and any(
        isinstance(e, dict) and (e.get("extensions") or {}).get("code") == REVOKED_CODE for e in errors
    )


class SocketHandler(BaseGraphQLTransportWSHandler[Context, None]):
    """Strawberry's graphql-transport-ws handler: the token checked for the socket's whole life, and
    refused operations answered with a coded error."""

    context: Context
    closed = False
    admitted = False  # counted against its token's sockets

    @property
    def sockets(self) -> OpenSockets:
        sockets: OpenSockets = self.view.sockets  # type: ignore[attr-defined]
        return sockets

    @property
    def token_id(self) -> int | None:
        return self.context.principal.token_id

    @property
    def limits(self) -> Settings:
        settings: Settings = self.view.settings  # type: ignore[attr-defined]
        return settings

    async def handle_connection_init(self, message: Any) -> None:
        await super().handle_connection_init(message)
        if self.connection_acknowledged and not self.closed and self.token_id is not None:
            self.sockets.add(self.token_id, self)

    async def _admit(self) -> bool:
        """Count this socket against its token before it is acknowledged; one too many is closed with 4429."""
        if self.sockets.admit(self.context.principal.actor, self, self.limits.ws_max_sockets_per_token):
            self.admitted = True
            return True
        self.closed = True
        with suppress(Exception):
            await self.websocket.close(code=TOO_MANY_SOCKETS, reason="too many sockets")
        return False

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """Every operation re-checks the token first: a revoked one closes the socket instead."""
        limit = self.limits.ws_max_subscriptions
        if self.connection_acknowledged and len(self.operations) >= limit:
            error = GraphQLError(
                f"at most {limit} subscriptions per socket", extensions={"code": "TOO_MANY_SUBSCRIPTIONS"}
            )
            await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
            return
        if self.connection_acknowledged:
            try:
                valid = await self.view.still_valid(self.context)  # type: ignore[attr-defined]
            except Exception as e:  # the database is away: refuse this operation, keep the socket
                log.warning("could not check a WebSocket's token (%s)", type(e).__name__)
                error = GraphQLError("the database is unavailable; try again", extensions={"code": "UNAVAILABLE"})
                await self.send_message({"id": message["id"], "type": "error", "payload": [error.formatted]})
                return
            if not valid:
                await self.close_revoked()
                return
        await super().handle_subscribe(message)

    async def send_message(self, message: Message) -> None:
        if self.closed:
            return  # nothing is delivered after a revocation
        if message["type"] == "connection_ack" and not await self._admit():
            return
        if _revoked_in(message):
            await self.close_revoked()
            return
        if message["type"] == "next" and self._encoded_size(message) > limits.MAX_RESPONSE_BYTES:
            raise limits.response_too_large()  # answered as the operation's error (_send_result_stream)
        await super().send_message(message)

    def _encoded_size(self, message: Message) -> int:
        encoded = self.view.encode_json(message)
        return len(encoded if isinstance(encoded, bytes) else encoded.encode())

    async def _send_result_stream(self, operation: Operation[Context, None], result_source: StreamResult) -> None:
        """A limit extension refusing in `on_operation` (the 10 kB size) or an answer too large to send
        raises out of Strawberry's stream, which would complete the operation with nothing said: answer
        it as the refusal it is.

        A query or mutation sent over the socket has the same time limit as over HTTP (TIMEOUT); a
        subscription is a stream and runs for as long as the client keeps it."""
        limit = None if _is_subscription(operation) else self.limits.query_timeout_s
        try:
            async with asyncio.timeout(limit):
                await super()._send_result_stream(operation, result_source)
        except GraphQLError as error:
            await operation.send_initial_errors([coded(error)])
        except TimeoutError:
            message = f"the operation ran longer than {limit} s and was cancelled"
            await operation.send_initial_errors([GraphQLError(message, extensions={"code": "TIMEOUT"})])

    async def _handle_pre_execution_error(self, operation: Operation[Context, None], result: PreExecutionError) -> None:
        """Validation refusals (depth, aliases, unknown fields) carry a code over WebSocket too."""
        result.errors = [coded(e) for e in result.errors or []]
        if not self.limits.introspection:  # no schema hints, as over HTTP
            result.errors = [without_suggestion(e) for e in result.errors]
        await super()._handle_pre_execution_error(operation, result)

    async def close_revoked(self) -> None:
        if self.closed:
            return
        self.closed = True
        self._release()
        for operation_id in list(self.operations):
            await self.cleanup_operation(operation_id)
        with suppress(Exception):  # the client may be gone already
            await self.websocket.close(code=REVOKED, reason="token revoked")

    def _release(self) -> None:
        if self.admitted:
            self.admitted = False
            self.sockets.release(self.context.principal.actor, self)
        if self.token_id is not None:
            self.sockets.discard(self.token_id, self)

    async def shutdown(self) -> None:
        self._release()
        await super().shutdown()


def _is_subscription(operation: Operation[Context, None]) -> bool:
    """Whether the operation that runs is a subscription (an unparsable document: as if it were, the
    parse error is answered by Strawberry)."""
    try:
        document = parse(operation.query)
    except GraphQLError:
        return True
    found = get_operation_ast(document, operation.operation_name)
    return found is None or found.operation is OperationType.SUBSCRIPTION


def coded(error: GraphQLError) -> GraphQLError:
    if not (error.extensions or {}).get("code"):
        error.extensions = {**(error.extensions or {}), "code": code_for(error)}
    return error
