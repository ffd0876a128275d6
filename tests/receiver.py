"""A webhook receiver for tests: a small HTTP/1.1 server on 127.0.0.1 that records every request.

It answers each request with the next scripted response (status, headers, body), or 200 when the
script is empty; `verified` checks every request it got with the `standardwebhooks` package, as a
merchant's receiver would.
"""

from __future__ import annotations

import asyncio
import json
import ssl
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook

REASONS = {200: "OK", 204: "No Content", 302: "Found", 410: "Gone", 429: "Too Many Requests", 500: "Error", 503: "Busy"}


@dataclass
class Received:
    """One request as it arrived."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def payload(self) -> dict[str, Any]:
        loaded: dict[str, Any] = json.loads(self.body)
        return loaded


@dataclass
class Reply:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b"ok"
    delay: float = 0.0  # seconds before answering (timeouts)


class Receiver:
    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[Reply] = []
        self.arrived = asyncio.Condition()
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, *replies: Reply) -> None:
        self.script.extend(replies)

    async def wait_for(self, count: int) -> list[Received]:
        """Until `count` requests have arrived (the test fails after 20 s)."""
        async with asyncio.timeout(20), self.arrived:
            await self.arrived.wait_for(lambda: len(self.requests) >= count)
        return self.requests

    def verified(self, *secrets: str) -> list[dict[str, Any]]:
        """Every request, each verified with standardwebhooks by one of these secrets; their payloads."""
        payloads = []
        for request in self.requests:
            errors = []
            for secret in secrets:
                try:
                    payloads.append(Webhook(secret).verify(request.body, request.headers))
                    break
                except Exception as e:  # the next secret may verify it
                    errors.append(e)
            else:
                raise AssertionError(f"request {request.headers.get('webhook-id')} did not verify: {errors}")
        return payloads

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with suppress(ConnectionError, asyncio.IncompleteReadError):
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {
                    k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)
                }
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                reply = self.script.pop(0) if self.script else Reply()
                async with self.arrived:
                    self.requests.append(Received(method, path, headers, body))
                    self.arrived.notify_all()
                if reply.delay:
                    await asyncio.sleep(reply.delay)
                extra = "".join(f"{k}: {v}\r\n" for k, v in reply.headers.items())
                writer.write(
                    f"HTTP/1.1 {reply.status} {REASONS.get(reply.status, 'Status')}\r\n"
                    f"content-length: {len(reply.body)}\r\n{extra}\r\n".encode()
                    + reply.body
                )
                await writer.drain()
        writer.close()


@asynccontextmanager
async def receiving(tls: ssl.SSLContext | None = None) -> AsyncIterator[Receiver]:
    """A receiver on a free port of 127.0.0.1; with `tls`, it speaks HTTPS with that context."""
    receiver = Receiver()
    server = await asyncio.start_server(receiver._serve, "127.0.0.1", 0, ssl=tls)
    receiver.port = server.sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        server.close()
        with suppress(Exception):
            async with asyncio.timeout(5):
                await server.wait_closed()
