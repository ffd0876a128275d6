"""Nothing secret reaches the server log (issue 8 item 6, docs/operations.md "Logs").

A real server process (uvicorn, its access log on) gets hostile input full of IBANs, PayPal
emails and tokens: unknown input fields that make GraphQL quote the whole input, bad literals,
bad JSON, GET queries with variables, wrong tokens, forged signed links, WebSocket operations.
Its log must hold none of those strings, no stack trace, and exactly one line per client error.
"""

from __future__ import annotations

import asyncio
import json
import re
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
import websockets

from tests.api import create_affiliate
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient
from tests.servers import read, start_server
from tests.ws import connect

IBAN = "DE89370400440532013000"
EMAIL = "hidden.payee@example.org"
STOLEN = "pd_StolenTokenThatMustNeverBeLogged0123456789abcdef"
SECRETS = [IBAN, IBAN[-8:], EMAIL, "hidden.payee", STOLEN, ADMIN_TOKEN, SECRET_KEY, "ForgedSignature0123456789"]
UPDATE = """mutation($input: PaymentDetailsInput!) { updatePaymentDetails(input: $input) {
  __typename ... on Error { code field } } }"""


def hostile_inputs(affiliate: str) -> list[tuple[str, dict[str, object]]]:
    """(document, variables): each must be refused, and each quotes a secret somewhere."""
    wire = {"accountHolder": "Hidden Payee", "country": "DE", "iban": IBAN}
    return [
        (UPDATE, {"input": {"affiliateId": affiliate, "paypalEmail": EMAIL, "bankWire": {**wire, "pin": "1234"}}}),
        (UPDATE, {"input": {"affiliateId": affiliate, "paypalEmail": EMAIL, "bankWire": {**wire, "country": 7}}}),
        (UPDATE, {"input": {"affiliateId": affiliate, "bankWire": {**wire, "iban": IBAN + "X"}}}),
        (UPDATE, {"input": {"affiliateId": STOLEN, "paypalEmail": EMAIL}}),
        (
            "mutation { updatePaymentDetails(input: {affiliateId: "
            + json.dumps(affiliate)
            + ", paypalEmail: "
            + json.dumps(EMAIL)
            + ', bankWire: {accountHolder: "H", country: "DE", iban: '
            + json.dumps(IBAN)
            + ", extra: 1}}) { __typename } }",
            {},
        ),
        ("query { me { name(secret: " + json.dumps(STOLEN) + ") } }", {}),
        ("query { me { id } " + " " * 11_000 + f"# {IBAN} }}", {}),
        ("query($id: ID!) { node(id: $id) { id } nope }", {"id": EMAIL}),
    ]


async def test_hostile_input_leaves_no_secret_in_the_log(database_url: str, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    server = await start_server(database_url, log, log_level="info")
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=20) as http:
            gql = GraphQLClient(http)
            ann = await create_affiliate(gql)
            client_errors = 0
            for document, variables in hostile_inputs(ann):
                body = await gql.post(document, **variables)
                assert body.get("errors") or "Error" in json.dumps(body), body
                client_errors += len(body.get("errors") or [])
            # GET with the variables in the URL, a body that is not JSON, stolen and wrong tokens
            response = await http.get(
                "/graphql",
                params={
                    "query": UPDATE,
                    "variables": json.dumps(
                        {"input": {"affiliateId": ann, "paypalEmail": EMAIL, "bankWire": {"iban": IBAN}}}
                    ),
                },
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}"},
            )
            assert response.status_code in (200, 400, 405), response.text
            response = await http.post(
                "/graphql",
                content=f'{{"query": "{IBAN}", ',
                headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "Content-Type": "application/json"},
            )
            assert response.status_code == 400
            for header in (f"Bearer {STOLEN}", STOLEN, f"Basic {STOLEN}"):
                assert (
                    await http.post("/graphql", json={"query": "{ me { id } }"}, headers={"Authorization": header})
                ).status_code == 401
            response = await http.get(
                f"/exports/files/1?expires=9999999999&by=token%3A1&signature="
                f"ForgedSignature0123456789&email={quote(EMAIL)}"
            )
            assert response.status_code in (401, 403, 404)
            assert (
                await http.get(f"/exports/files/{quote(IBAN)}", headers={"Authorization": f"Bearer {STOLEN}"})
            ).status_code == 401
        # over WebSocket: a bad token, then an operation whose input GraphQL quotes
        async with connect(server.url, {"authorization": f"Bearer {STOLEN}"}) as ws:
            with pytest.raises(websockets.ConnectionClosed):
                await asyncio.wait_for(ws.recv(), 5)
        async with connect(server.url, {"authorization": f"Bearer {ADMIN_TOKEN}"}) as ws:
            assert json.loads(await ws.recv())["type"] == "connection_ack"
            await ws.send(
                json.dumps(
                    {
                        "id": "1",
                        "type": "subscribe",
                        "payload": {
                            "query": UPDATE,
                            "variables": {
                                "input": {
                                    "affiliateId": ann,
                                    "paypalEmail": EMAIL,
                                    "bankWire": {"iban": IBAN, "pin": 1},
                                }
                            },
                        },
                    }
                )
            )
            message = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert message["type"] == "next" and message["payload"]["errors"], message
            client_errors += len(message["payload"]["errors"])
    finally:
        await server.stop()

    text = read(log)
    leaked = [s for s in SECRETS if s.lower() in text.lower()]
    assert not leaked, f"secrets in the server log: {leaked}\n{text[-3000:]}"
    assert "Traceback" not in text and "Stack (most recent call last)" not in text, text[-3000:]
    lines = [line for line in text.splitlines() if "client error" in line]
    assert len(lines) == client_errors, (client_errors, lines)
    assert all(re.search(r"client error [A-Z_]+", line) for line in lines), lines
    assert "POST /graphql" in text, "the access log was off: the test would not see what it logs"
