"""Rule 19.6's SSRF guard at attempt time: the host is resolved once, every address checked, and the
connection goes to the checked address (a second lookup could be answered differently: DNS rebinding)."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

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


def certificates(tmp: Path, name: str) -> tuple[ssl.SSLContext, ssl.SSLContext]:
    """A test CA and a certificate for `name` signed by it: (the server's context, a client trusting the CA)."""
    now = datetime.now(UTC)

    def certificate(subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name, signer: Any, ca: bool) -> Any:
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - timedelta(days=1))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if not ca:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(subject)]), critical=False)
        return builder.sign(signer, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test CA")])
    ca = certificate("test CA", ca_key, ca_name, ca_key, True)
    leaf = certificate(name, leaf_key, ca_name, ca_key, False)
    (tmp / "leaf.pem").write_bytes(
        leaf.public_bytes(serialization.Encoding.PEM)
        + leaf_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server.load_cert_chain(tmp / "leaf.pem")
    client = ssl.create_default_context(cadata=ca.public_bytes(serialization.Encoding.PEM).decode())
    return server, client


@pytest.mark.parametrize(("certified", "verified"), [("hooks.test", True), ("other.test", False)])
async def test_tls_names_the_host_while_connecting_to_the_checked_address(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, certified: str, verified: bool
) -> None:
    """The URL's name travels in SNI and the certificate is checked against it, though the connection
    goes to the address resolved (and checked) once."""
    loop = asyncio.get_running_loop()

    async def local(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        assert host == "hooks.test"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    server_tls, client_tls = certificates(tmp_path, certified)
    async with receiving(server_tls) as receiver:
        monkeypatch.setattr(loop, "getaddrinfo", local)
        config = WebhookConfig(SecretBox(SECRET_KEY), WebhookSettings(allow_private=True, timeout_s=5))
        async with new_client(config, verify=client_tls) as client:
            url = f"https://hooks.test:{receiver.port}/hook"
            result = await attempt(client, claimed(url), config, datetime.now(UTC))
    if verified:
        assert (result.status, result.error) == (200, None)
        assert receiver.requests[0].headers["host"] == f"hooks.test:{receiver.port}"
        assert receiver.verified(SECRET)
    else:
        assert result.status is None and result.error is not None and "CERTIFICATE_VERIFY_FAILED" in result.error
        assert receiver.requests == []
