"""The demo program: seeded through the ledger, every status shown, books that add up, seeded once."""

from __future__ import annotations

import stat
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from models.enums import IncompleteReason
from models.ledger.payment_details import Cipher
from server import demo
from server.config import Settings
from tests.clients import SECRET_KEY, GraphQLClient

SMALL = 80  # affiliates: enough for every status and reason, quick enough for both databases

EVERYTHING = """{ affiliates(first: 100) { totalCount edges { node {
  approvalStatus payoutMode paymentStatus paymentMethods { type preferred }
  incompleteReasons { reason message }
  balances { currency earned { amount } reserve { amount } due { amount } paid { amount } owed { amount } }
  payouts(first: 100) { edges { node { instant } } } } } } }"""


async def everything(gql: GraphQLClient) -> list[dict[str, Any]]:
    data = await gql.ok(EVERYTHING)
    return [e["node"] for e in data["affiliates"]["edges"]]


async def test_demo_shows_every_status_and_reason(app: Any, gql: GraphQLClient) -> None:
    seeded = await demo.seed(Cipher(SECRET_KEY), affiliates=SMALL)
    assert seeded is not None and seeded.sales > SMALL and seeded.refunds > 0
    nodes = await everything(gql)
    assert len(nodes) == SMALL
    assert {n["approvalStatus"] for n in nodes} == {"PENDING", "APPROVED", "DECLINED"}
    assert {n["payoutMode"] for n in nodes} == {"MANUAL", "PAYPAL_INSTANT"}
    assert {n["paymentStatus"] for n in nodes} == {"DUE", "DUE_INCOMPLETE", "NOTHING_DUE"}
    reasons = {r["reason"] for n in nodes for r in n["incompleteReasons"]}
    tax_holds = {IncompleteReason.TAX_FORM_MISSING.value, IncompleteReason.TAX_FORM_EXPIRED.value}
    assert reasons == {r.value for r in IncompleteReason} - tax_holds  # the demo leaves the tax-form hold off
    assert {m["type"] for n in nodes for m in n["paymentMethods"]} == {"PAYPAL", "BANK_WIRE", "CHECK"}
    assert any(not n["paymentMethods"] for n in nodes)
    assert {p["node"]["instant"] for n in nodes for p in n["payouts"]["edges"]} == {True, False}
    processed = await gql.ok(
        "{ processorEvents(first: 100) { edges { node { status sale { renewal commission "
        "{ amount } commissionEndedReason } } } } }"
    )
    booked = [e["node"] for e in processed["processorEvents"]["edges"]]
    assert {e["status"] for e in booked} == {"APPLIED", "IGNORED", "PENDING"}
    renewals = [e["sale"] for e in booked if e["sale"] and e["sale"]["renewal"]]
    assert len(renewals) == 8 and sum(1 for r in renewals if r["commissionEndedReason"]) == 2
    tiers = await gql.ok("{ products { edges { node { tiers { name } } } } }")
    assert [t for e in tiers["products"]["edges"] for t in e["node"]["tiers"]] == [{"name": "Gold partners"}]
    assert {b["currency"] for n in nodes for b in n["balances"]} == {"USD", "EUR", "JPY"}
    held = await gql.ok(
        "mutation { updateProgramSettings(input: {taxFormRequired: true}) { __typename } }"
    )  # rule 17: the demo's forms make both tax reasons show once the hold is on
    assert held["updateProgramSettings"]["__typename"] == "UpdateProgramSettingsSuccess"
    reasons = {r["reason"] for n in await everything(gql) for r in n["incompleteReasons"]}
    assert tax_holds <= reasons


async def test_demo_books_add_up(app: Any, gql: GraphQLClient) -> None:
    """Paid installments keep their amount and refunds of them become owed, so for every balance
    earned + owed = paid + reserve + matured installments, and due = matured - owed when positive."""
    await demo.seed(Cipher(SECRET_KEY), affiliates=SMALL)
    balances = [b for n in await everything(gql) for b in n["balances"]]
    assert any(Decimal(b["owed"]["amount"]) > 0 for b in balances)
    for b in balances:
        earned, reserve, due, paid, owed = (
            Decimal(b[k]["amount"]) for k in ("earned", "reserve", "due", "paid", "owed")
        )
        matured = earned + owed - paid - reserve
        assert matured >= 0, b
        if due > 0:
            assert matured - owed == due, b
        else:
            assert matured <= owed, b


async def test_a_filled_database_is_not_seeded_again(app: Any, gql: GraphQLClient) -> None:
    await demo.seed(Cipher(SECRET_KEY), affiliates=5)
    assert await demo.seed(Cipher(SECRET_KEY), affiliates=5) is None
    assert (await gql.ok("{ affiliates { totalCount } }"))["affiliates"]["totalCount"] == 5


async def test_graphiql_page_needs_no_token_but_queries_do(client: httpx.AsyncClient) -> None:
    page = await client.get("/graphql", headers={"Accept": "text/html"})
    assert page.status_code == 200 and "graphiql" in page.text.lower()
    refused = await client.post("/graphql", json={"query": "{ programSettings { minimumSales } }"})
    assert refused.status_code == 401
    assert refused.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_demo_secret_is_kept_beside_the_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYOUTS_SECRET_KEY", raising=False)
    monkeypatch.delenv("PAYOUTS_DATABASE_URL", raising=False)  # demo_settings exports both for uvicorn
    url = f"sqlite://{tmp_path / 'demo.sqlite3'}"
    first = demo.demo_settings(Settings(database_url=url))
    key_file = tmp_path / "demo.sqlite3.key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert len(first.secret_key) >= 32 and first.database_url == url
    monkeypatch.delenv("PAYOUTS_SECRET_KEY")
    assert demo.demo_settings(Settings(database_url=url)).secret_key == first.secret_key


def test_demo_needs_a_secret_for_a_server_database(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PAYOUTS_SECRET_KEY", raising=False)
    with pytest.raises(demo.DemoError, match="PAYOUTS_SECRET_KEY"):
        demo.demo_settings(Settings(database_url="postgres://postgres@127.0.0.1:5432/demo"))
