"""HTTP-level guards for /graphql: a cap on the request body, and JSON bodies for refused requests.

Strawberry answers malformed requests (bad JSON, wrong content type, non-object variables,
unknown operation names) with a plain-text 400; clients of a GraphQL API expect a JSON
`errors` list with a code, so this rewrites those answers. Nothing here parses GraphQL.
`DatabaseGuard` does the same for a database that fails before GraphQL runs (in authentication
or the request's context): 503 `UNAVAILABLE` or 409 `CONFLICT`, never a plain-text 500.
"""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.datastructures import Headers
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.digits import natural
from schema.errors import failure_of

log = logging.getLogger("payouts")

MAX_BODY_BYTES = 1024 * 1024  # a 10 kB query plus generous variables
BODY_TIMEOUT_S = 10.0  # the whole body, from the first read: a client that stalls is answered 408


async def read_body(receive: Receive, max_body: int) -> bytes | int | None:
    """The whole request body; else the status to answer (413 past `max_body`, 408 when it stalls),
    or None when the client went away. Never more than `max_body` bytes are held."""
    body = bytearray()
    try:
        async with asyncio.timeout(BODY_TIMEOUT_S):
            while True:
                message = await receive()
                if message["type"] == "http.disconnect":
                    return None
                body += message.get("body", b"")
                if len(body) > max_body:
                    return 413
                if not message.get("more_body", False):
                    return bytes(body)
    except TimeoutError:
        return 408


class SafeJson:
    """Mixin for Strawberry views: any undecodable body is "Unable to parse request body as JSON".

    Strawberry only expects `json.JSONDecodeError`; invalid UTF-8, nesting deep enough to exhaust
    the recursion limit, or a top-level string or number otherwise escaped as a 500.
    """

    def decode_json(self, data: str | bytes) -> object:
        try:
            value = json.loads(data)
        except (UnicodeDecodeError, RecursionError) as e:
            raise json.JSONDecodeError(f"undecodable body: {type(e).__name__}", "", 0) from None
        if not isinstance(value, dict | list):
            raise json.JSONDecodeError("the body is not a JSON object", "", 0)
        return value


def refusal(status: int, message: str, code: str) -> JSONResponse:
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status_code=status)


STATUS_OF = {"UNAVAILABLE": 503, "CONFLICT": 409}


class DatabaseGuard:
    """Answers a request whose database work failed before any response started with JSON.

    Execution errors inside GraphQL are handled by the schema (`schema.errors.failure_of`); this
    catches what escapes around it: token look-ups, context creation, file downloads.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except Exception as e:
            failure = failure_of(e)
            if started or failure is None:
                raise
            code, message = failure
            log.warning("%s %s answered %s: %s", scope["method"], scope["path"], code, type(e).__name__)
            await refusal(STATUS_OF.get(code, 400), message, code)(scope, receive, send)


class HttpGuard:
    """Wraps the GraphQL ASGI app (HTTP only; WebSockets pass through)."""

    def __init__(self, app: ASGIApp, max_body: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = Headers(scope=scope).get("content-length", "")
        size = natural(declared, 10**18)
        body = 413 if size is not None and size > self.max_body else await read_body(receive, self.max_body)
        if body is None:
            return
        if body == 413:  # declared or read: refused before anything parses it
            too_large = refusal(413, f"the request body is larger than {self.max_body} bytes", "REQUEST_TOO_LARGE")
            await too_large(scope, receive, send)
            return
        if body == 408:
            stalled = refusal(408, f"the request body did not arrive within {BODY_TIMEOUT_S:.0f} s", "REQUEST_TIMEOUT")
            await stalled(scope, receive, send)
            return
        assert isinstance(body, bytes)
        await self.app(scope, replay(body, receive), as_json_errors(send))


def replay(body: bytes, receive: Receive) -> Receive:
    """A receive channel that hands the buffered body over once, then waits on the real one."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


def as_json_errors(send: Send) -> Send:
    """Turn a plain-text 4xx answer into `{"errors": [{"message", "extensions": {"code"}}]}`."""
    start: Message | None = None
    text = bytearray()

    async def rewrite(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            content_type = Headers(raw=message.get("headers", [])).get("content-type", "")
            if 400 <= message["status"] < 500 and content_type.startswith("text/plain"):
                start = message  # hold it until the whole text is known
                return
            await send(message)
            return
        if start is None or message["type"] != "http.response.body":
            await send(message)
            return
        text.extend(message.get("body", b""))
        if message.get("more_body", False):
            return
        body = json.dumps(
            {"errors": [{"message": text.decode(errors="replace"), "extensions": {"code": "BAD_REQUEST"}}]}
        ).encode()
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() not in (b"content-type", b"content-length")]
        headers += [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({**start, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    return rewrite
