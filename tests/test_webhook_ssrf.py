"""Rule 19.6's SSRF guard at attempt time: the host is resolved once, every address checked, and the
connection goes to the checked address (a second lookup could be answered differently: DNS rebinding)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest

from models.ledger.webhooks import Claimed, SecretBox, WebhookConfig
from models.rules.webhooks import WebhookSettings, body, message_id, new_secret
from server.config import Settings
from server.deliveries import attempt, new_client
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient
from tests.clock import MovableClock
from tests.receiver import Receiver, receiving
from tests.test_webhooks import create_endpoint, settled

STRICT = WebhookSettings(allow_private=False, schedule=(1,), jitter=0.0, timeout_s=2)
SECRET = new_secret(bytes(range(32)))


@pytest.fixture
def settings(database_url: str, clock: MovableClock) -> Settings:
    return Settings(
        database_url=database_url, secret_key=SECRET_KEY, admin_token=ADMIN_TOKEN, clock=clock, webhooks=STRICT
    )


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    async with receiving() as r:
        yield r


def claimed(url: str) -> Claimed:
    at = datetime.now(UTC)
    msg = message_id(at, bytes(10))
    return Claimed(1, 1, 1, url, msg, body("webhook.test", at, {}), [SECRET], False)


async def test_a_name_that_resolves_to_loopback_is_refused_at_the_attempt(
    gql: GraphQLClient, receiver: Receiver
) -> None:
    created = await gql.ok(
        "mutation($i: CreateWebhookEndpointInput!) { createWebhookEndpoint(input: $i) { __typename "
        "... on Error { code field } } }",
        i={"url": receiver.url, "eventTypes": ["sale.recorded"]},
    )
    assert created["createWebhookEndpoint"] == {"__typename": "ValidationError", "code": "VALIDATION", "field": "url"}
    endpoint = await create_endpoint(gql, f"https://localhost:{receiver.port}/hook", "sale.recorded")
    await gql.ok(
        "mutation($id: ID!) { sendTestWebhook(endpointId: $id) { __typename } }", id=endpoint["endpoint"]["id"]
    )
    [delivery] = await settled(gql, endpoint["endpoint"]["id"], 1)
    assert delivery["status"] == "FAILED"
    assert [a["error"] for a in delivery["attempts"]] == ["destination address not allowed"] * 2
    assert all(a["responseCode"] is None for a in delivery["attempts"])
    assert receiver.requests == []


async def test_the_connection_goes_to_the_address_checked(receiver: Receiver, monkeypatch: pytest.MonkeyPatch) -> None:
    """A name answered with 127.0.0.1 once and a public address after: the attempt reaches 127.0.0.1,
    with the name in the Host header, after exactly one lookup."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    lookups: list[str] = []

    async def rebinding(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host != "rebind.test":
            return await real(host, port, *args, **kwargs)
        lookups.append(host)
        address = "127.0.0.1" if len(lookups) == 1 else "93.184.216.34"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(loop, "getaddrinfo", rebinding)
    config = WebhookConfig(SecretBox(SECRET_KEY), WebhookSettings(allow_private=True, timeout_s=2))
    async with new_client(config) as client:
        result = await attempt(client, claimed(f"http://rebind.test:{receiver.port}/hook"), config, datetime.now(UTC))
    assert result.status == 200 and result.error is None
    assert lookups == ["rebind.test"]
    [request] = receiver.requests
    assert request.headers["host"] == f"rebind.test:{receiver.port}"
    assert receiver.verified(SECRET)


async def test_every_resolved_address_must_be_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    """One public and one private address: refused (the connection could land on either)."""
    loop = asyncio.get_running_loop()

    async def two(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        return [
            (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.216.34", port)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::ffff:10.0.0.5", port, 0, 0)),
        ]

    monkeypatch.setattr(loop, "getaddrinfo", two)
    config = WebhookConfig(SecretBox(SECRET_KEY), STRICT)
    async with new_client(config) as client:
        result = await attempt(client, claimed("https://mixed.example.com/hook"), config, datetime.now(UTC))
    assert (result.status, result.error) == (None, "destination address not allowed")
