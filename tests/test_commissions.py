"""Rule 16 through the GraphQL API of the real app: recruiters, JV partners, one commission per payee."""

from __future__ import annotations

import asyncio
import io
import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from tortoise import connections
from tortoise.transactions import in_transaction

from models.clock import system_clock
from models.enums import Role
from models.ledger import access
from models.ledger.booking import SaleLine, book_all
from models.tables.affiliates import Affiliate
from models.validation import Amount
from schema.pagination import RECRUITED_LAST_FIRST
from server.config import Settings
from server.seed import import_sales
from tests.api import (
    ERROR,
    KARTRA,
    VOID,
    affiliate,
    create_affiliate,
    create_affiliate_token,
    create_product,
    details,
    export,
    pay,
    record_sale,
    refund_sale,
)
from tests.clients import ADMIN_TOKEN, SECRET_KEY, GraphQLClient, StatementCounter, on_postgres
from tests.clock import MovableClock
from tests.stripe import OLD_SECRET, SECRET, checkout_session, deliver, dispute, event
from tests.test_backfill import pk
from tests.test_ledger_api import figures, reasons
from tests.test_race import ledger_holds

COMMISSIONS = """commissions { role payee { name } percent originalAmount { amount } amount { amount } endedReason
  installments { amount { amount } state } }"""
SALE_ROWS = """query($id: ID!) { node(id: $id) { ... on Sale { externalId amount { amount } commission { amount }
  commissions { role payee { name } percent originalAmount { amount } amount { amount } endedReason
    installments { amount { amount } releaseAt state } } } } }"""
SET_RECRUITER = f"""mutation($a: ID!, $r: ID) {{ setRecruiter(affiliateId: $a, recruiterId: $r) {{ __typename
  ... on SetRecruiterSuccess {{ affiliate {{ id recruitedAt recruitedBy {{ id }} }} }} {ERROR} }} }}"""
SET_JV = f"""mutation($p: ID!, $partners: [JvPartnerShareInput!]!) {{ setProductJvPartners(productId: $p,
  partners: $partners) {{ __typename ... on SetProductJvPartnersSuccess {{ product {{ id
    jvPartners {{ payee {{ id }} percent renewalMonths renewalPayments }} }} }} {ERROR} }} }}"""


@pytest.fixture
def settings(database_url: str, clock: MovableClock) -> Settings:
    """The app as conftest builds it, with Stripe's webhook secrets (the dispute path)."""
    return Settings(
        database_url=database_url,
        secret_key=SECRET_KEY,
        admin_token=ADMIN_TOKEN,
        clock=clock,
        stripe_webhook_secrets=(SECRET, OLD_SECRET),
        stripe_mode="test",  # Stripe test-mode events (rule 21: PAYOUTS_STRIPE_MODE)
    )


async def sale_node(gql: GraphQLClient, sale_id: str) -> dict[str, Any]:
    data = await gql.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Sale {{ renewal {COMMISSIONS} }} }} }}", id=sale_id
    )
    return data["node"]


async def sale_id(gql: GraphQLClient, affiliate_id: str, external_id: str) -> str:
    data = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { sales { edges { node { id externalId } } } } } }",
        id=affiliate_id,
    )
    (found,) = [e["node"]["id"] for e in data["node"]["sales"]["edges"] if e["node"]["externalId"] == external_id]
    return str(found)


async def payout_refs(gql: GraphQLClient, payee: str) -> list[tuple[str, str, str, bool, str]]:
    """A payee's payouts, oldest first, as (id, reference, amount, instant, status)."""
    data = await gql.ok(
        """query($id: ID!) { node(id: $id) { ... on Affiliate { payouts { edges { node { id reference
          amount { amount } instant status } } } } } }""",
        id=payee,
    )
    return [
        (n["id"], n["reference"], n["amount"]["amount"], n["instant"], n["status"])
        for n in reversed([e["node"] for e in data["node"]["payouts"]["edges"]])
    ]


async def sale_commissions(gql: GraphQLClient, sale_id: str) -> dict[str, list[Any]]:
    """Each payee's commission as (amount, [(installment, state)...]) by payee name."""
    node = await sale_node(gql, sale_id)
    return {
        c["payee"]["name"]: [c["amount"]["amount"], [(i["amount"]["amount"], i["state"]) for i in c["installments"]]]
        for c in node["commissions"]
    }


async def manual(gql: GraphQLClient, name: str, **input: Any) -> str:
    payee = await create_affiliate(gql, name, **input)
    await details(gql, payee, paypalEmail=f"{name.lower()}.pay@example.com")
    return payee


async def course(gql: GraphQLClient, jane: str, kim: str, **input: Any) -> str:
    """Section 16.5's product: USD 100.10, 10%, 40%/0d and 60%/60d, second tier 5, Jane 20% and Kim 7.5%."""
    product = await create_product(gql, milestones=KARTRA, secondTierCommissionPercent="5", **input)
    partners = [{"payeeId": jane, "percent": "20"}, {"payeeId": kim, "percent": "7.5"}]
    assert (await gql.ok(SET_JV, p=product, partners=partners))["setProductJvPartners"]["__typename"] == (
        "SetProductJvPartnersSuccess"
    )
    return product


async def test_worked_example_four_payees_three_refunds(gql: GraphQLClient, clock: MovableClock) -> None:
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    product = await course(gql, jane, kim)
    sold = await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    o1 = sold["sale"]["id"]
    assert sold["sale"]["commission"]["amount"] == "10.01"  # Sale.commission stays the first tier's
    assert [i["amount"]["amount"] for i in sold["sale"]["installments"]] == ["4.00", "6.01"]
    assert await sale_commissions(gql, o1) == {
        "Ann": ["10.01", [("4.00", "DUE"), ("6.01", "HELD")]],
        "Rob": ["5.01", [("2.00", "DUE"), ("3.01", "HELD")]],
        "Jane": ["20.02", [("8.00", "DUE"), ("12.02", "HELD")]],
        "Kim": ["7.51", [("3.00", "DUE"), ("4.51", "HELD")]],
    }
    for payee, earned in ((rob, "5.01"), (jane, "20.02"), (kim, "7.51")):
        node = await affiliate(gql, payee)
        assert (node["salesCount"], node["paymentStatus"], figures(node)["earned"]) == (1, "DUE", earned)

    clock.advance(timedelta(days=1))
    paid = await pay(gql, affiliateIds=[ann], method="PAYPAL")
    assert paid["totals"] == [{"amount": "4.00", "currency": "USD"}]

    clock.advance(timedelta(days=8))
    await refund_sale(gql, externalId="o-1", amount={"amount": "33.00", "currency": "USD"})
    assert await sale_commissions(gql, o1) == {
        "Ann": ["6.71", [("4.00", "PAID"), ("2.71", "HELD")]],
        "Rob": ["3.36", [("2.00", "DUE"), ("1.36", "HELD")]],
        "Jane": ["13.42", [("8.00", "DUE"), ("5.42", "HELD")]],
        "Kim": ["5.03", [("3.00", "DUE"), ("2.03", "HELD")]],
    }
    clock.advance(timedelta(days=10))
    await refund_sale(gql, externalId="o-1", amount={"amount": "33.00", "currency": "USD"})
    assert await sale_commissions(gql, o1) == {
        "Ann": ["3.41", [("4.00", "PAID"), ("6.01", "VOIDED")]],  # a VOIDED share shows its original amount
        "Rob": ["1.71", [("1.71", "DUE"), ("3.01", "VOIDED")]],
        "Jane": ["6.82", [("6.82", "DUE"), ("12.02", "VOIDED")]],
        "Kim": ["2.55", [("2.55", "DUE"), ("4.51", "VOIDED")]],
    }
    assert figures(await affiliate(gql, ann))["owed"] == "0.59"
    clock.advance(timedelta(days=5))
    last = await refund_sale(gql, externalId="o-1", amount={"amount": "34.10", "currency": "USD"})
    assert (last["sale"]["status"], last["sale"]["commission"]["amount"]) == ("REFUNDED", "0.00")
    after = await sale_commissions(gql, o1)
    assert {name: c[0] for name, c in after.items()} == {"Ann": "0.00", "Rob": "0.00", "Jane": "0.00", "Kim": "0.00"}

    a = await affiliate(gql, ann)
    assert figures(a) == {"earned": "0.00", "reserve": "0.00", "due": "0.00", "paid": "4.00", "owed": "4.00"}
    assert (a["paymentStatus"], [r["reason"] for r in a["incompleteReasons"]]) == ("DUE_INCOMPLETE", ["BALANCE_OWED"])
    for payee in (rob, jane, kim):
        node = await affiliate(gql, payee)
        assert figures(node) == {"earned": "0.00", "reserve": "0.00", "due": "0.00", "paid": "0.00", "owed": "0.00"}
        assert (node["paymentStatus"], node["salesCount"]) == ("NOTHING_DUE", 0)


async def test_renewal_ends_the_first_and_second_tier_but_not_a_lifetime_jv_partner(
    gql: GraphQLClient, clock: MovableClock
) -> None:
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    product = await course(gql, jane, kim, renewalMonths=12)
    await gql.ok(SET_JV, p=product, partners=[{"payeeId": jane, "percent": "20"}])
    await record_sale(gql, externalId="s-1", productId=product, affiliateId=ann, subscriptionId="sub-1")
    clock.advance(timedelta(days=396))
    renewed = await record_sale(gql, externalId="s-2", productId=product, subscriptionId="sub-1")
    renewal = await sale_node(gql, renewed["sale"]["id"])
    assert renewal["renewal"] is True
    shown = [(c["role"], c["payee"]["name"], c["amount"]["amount"]) for c in renewal["commissions"]]
    assert shown == [("AFFILIATE", "Ann", "0.00"), ("JV_PARTNER", "Jane", "20.02")]
    assert renewal["commissions"][0]["endedReason"].startswith("renewalMonths: ")


async def test_the_recruiter_in_force_at_the_sale_earns_and_only_one_level_pays(
    gql: GraphQLClient, clock: MovableClock
) -> None:
    top, rob, rita = [await manual(gql, n) for n in ("Top", "Rob", "Rita")]
    assert (await gql.ok(SET_RECRUITER, a=rob, r=top))["setRecruiter"]["__typename"] == "SetRecruiterSuccess"
    ann = await manual(gql, "Ann", recruitedBy=rob)
    product = await create_product(gql, secondTierCommissionPercent="5")
    before = clock()
    clock.advance(timedelta(hours=1))
    changed = (await gql.ok(SET_RECRUITER, a=ann, r=rita))["setRecruiter"]["affiliate"]
    assert changed["recruitedBy"]["id"] == rita
    again = (await gql.ok(SET_RECRUITER, a=ann, r=rita))["setRecruiter"]["affiliate"]
    assert again["recruitedAt"] == changed["recruitedAt"]  # the same recruiter again changes nothing
    early = await record_sale(
        gql, externalId="early", productId=product, affiliateId=ann, occurredAt=before.isoformat()
    )
    late = await record_sale(gql, externalId="late", productId=product, affiliateId=ann)
    assert set(await sale_commissions(gql, early["sale"]["id"])) == {"Ann", "Rob"}  # Top earns nothing
    assert set(await sale_commissions(gql, late["sale"]["id"])) == {"Ann", "Rita"}
    cleared = await gql.ok(SET_RECRUITER, a=ann, r=None)
    assert cleared["setRecruiter"]["affiliate"]["recruitedBy"] is None
    none = await record_sale(gql, externalId="none", productId=product, affiliateId=ann)
    assert set(await sale_commissions(gql, none["sale"]["id"])) == {"Ann"}
    recruits = await gql.ok(
        "query($f: AffiliateFilter) { affiliates(filter: $f) { edges { node { name } } } }", f={"recruitedBy": rob}
    )
    assert [e["node"]["name"] for e in recruits["affiliates"]["edges"]] == []


async def test_recruiter_refusals(gql: GraphQLClient) -> None:
    a, b, c = [await create_affiliate(gql, n) for n in ("Aa", "Bb", "Cc")]
    declined = await create_affiliate(gql, "Dd", approvalStatus="DECLINED")
    await gql.ok(SET_RECRUITER, a=b, r=a)
    await gql.ok(SET_RECRUITER, a=c, r=b)

    async def refused(affiliate_id: str, recruiter: str | None) -> tuple[str, str]:
        answer = (await gql.ok(SET_RECRUITER, a=affiliate_id, r=recruiter))["setRecruiter"]
        return answer["code"], answer["field"]

    assert await refused(a, a) == ("VALIDATION", "recruiterId")
    assert await refused(a, c) == ("VALIDATION", "recruiterId")  # c <- b <- a: a cycle
    assert await refused(a, declined) == ("VALIDATION", "recruiterId")
    assert await refused(a, "QWZmaWxpYXRlOjk5OTk=") == ("NOT_FOUND", "recruiterId")
    made = await gql.ok(
        f"""mutation($input: CreateAffiliateInput!) {{ createAffiliate(input: $input) {{ __typename
          {ERROR} }} }}""",
        input={"name": "Ee", "email": "e@example.com", "recruitedBy": declined},
    )
    assert (made["createAffiliate"]["code"], made["createAffiliate"]["field"]) == ("VALIDATION", "recruitedBy")
    _, viewer = await access.create_token("test", Role.VIEWER)
    for token in (viewer, (await create_affiliate_token(gql, a))["token"]):
        answer = (await gql.as_token(token).ok(SET_RECRUITER, a=b, r=None))["setRecruiter"]
        assert answer["code"] == "FORBIDDEN"
        answer = (await gql.as_token(token).ok(SET_JV, p=b, partners=[]))["setProductJvPartners"]
        assert answer["code"] == "FORBIDDEN"


async def test_jv_partner_refusals(gql: GraphQLClient) -> None:
    product = await create_product(gql)
    payees = [await create_affiliate(gql, f"P{i}") for i in range(11)]
    declined = await create_affiliate(gql, "Dd", approvalStatus="DECLINED")

    async def refused(partners: list[dict[str, Any]]) -> tuple[str, str]:
        answer = (await gql.ok(SET_JV, p=product, partners=partners))["setProductJvPartners"]
        return answer["code"], answer["field"]

    assert await refused([{"payeeId": p, "percent": "1"} for p in payees]) == ("VALIDATION", "partners")
    twice = [{"payeeId": payees[0], "percent": "1"}, {"payeeId": payees[0], "percent": "2"}]
    assert await refused(twice) == ("VALIDATION", "partners.1.payeeId")
    over = [{"payeeId": payees[0], "percent": "60"}, {"payeeId": payees[1], "percent": "40.0001"}]
    assert await refused(over) == ("VALIDATION", "partners")
    assert await refused([{"payeeId": payees[0], "percent": "1.00001"}]) == ("VALIDATION", "partners.0.percent")
    assert await refused([{"payeeId": payees[0], "percent": "1", "renewalMonths": -1}]) == (
        "VALIDATION",
        "partners.0.renewalMonths",
    )
    assert await refused([{"payeeId": declined, "percent": "1"}]) == ("VALIDATION", "partners.0.payeeId")
    assert await refused([{"payeeId": "QWZmaWxpYXRlOjk5OTk=", "percent": "1"}]) == ("NOT_FOUND", "partners.0.payeeId")
    ok = await gql.ok(SET_JV, p=product, partners=[{"payeeId": payees[0], "percent": "60", "renewalPayments": 3}])
    shares = ok["setProductJvPartners"]["product"]["jvPartners"]
    assert shares == [{"payee": {"id": payees[0]}, "percent": "60", "renewalMonths": None, "renewalPayments": 3}]


async def test_what_an_affiliate_token_sees(gql: GraphQLClient) -> None:
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    product = await course(gql, jane, kim)
    await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)

    as_rob = gql.as_token((await create_affiliate_token(gql, rob))["token"])
    me = (
        await as_rob.ok(
            """{ me { recruitedBy { id } commissions { totalCount edges { node { role amount { amount }
              saleAmount { amount } saleStatus productName renewal sale { id } recruit { name } payee { name } } } }
              recruits { totalCount edges { node { name recruitedAt secondTierEarned { amount currency }
                affiliate { id } } } } } }"""
        )
    )["me"]
    (commission,) = [e["node"] for e in me["commissions"]["edges"]]
    assert commission == {
        "role": "SECOND_TIER",
        "amount": {"amount": "5.01"},
        "saleAmount": {"amount": "100.10"},
        "saleStatus": "COMPLETED",
        "productName": "Course",
        "renewal": False,
        "sale": None,  # Ann's sale: another affiliate's object
        "recruit": {"name": "Ann"},
        "payee": {"name": "Rob"},
    }
    (recruit,) = [e["node"] for e in me["recruits"]["edges"]]
    assert recruit["name"] == "Ann" and recruit["affiliate"] is None
    assert recruit["secondTierEarned"] == [{"amount": "5.01", "currency": "USD"}]

    as_ann = gql.as_token((await create_affiliate_token(gql, ann))["token"])
    own = (
        await as_ann.ok(
            """{ me { recruitedBy { id } sales { edges { node { commission { amount }
              commissions { role amount { amount } } product { jvPartners { percent } } } } } } }"""
        )
    )["me"]
    assert own["recruitedBy"] is None
    (sale,) = [e["node"] for e in own["sales"]["edges"]]
    assert sale["commissions"] == [{"role": "AFFILIATE", "amount": {"amount": "10.01"}}]
    assert sale["product"]["jvPartners"] == []

    admin = await gql.ok(
        "query($id: ID!) { node(id: $id) { ... on Affiliate { commissions(role: JV_PARTNER) { totalCount } } } }",
        id=jane,
    )
    assert admin["node"]["commissions"]["totalCount"] == 1


# --- several payees through voids, instant payouts, Stripe disputes, the bulk path and group commit ---

AT_ONCE = [{"percent": "100", "delayDays": 0}]


async def commission_rows(gql: GraphQLClient, sale: str) -> list[tuple[str, str, str, list[tuple[str, str]]]]:
    """Each commission of a sale as (role, payee, amount, [(installment, state)...]), in booking order."""
    return [
        (
            c["role"],
            c["payee"]["name"],
            c["amount"]["amount"],
            [(i["amount"]["amount"], i["state"]) for i in c["installments"]],
        )
        for c in (await sale_node(gql, sale))["commissions"]
    ]


async def test_a_void_nets_refunds_per_payee_with_one_payee_in_two_roles(gql: GraphQLClient, database_url: str) -> None:
    """Rule 12 with several payees: voiding one payee's payout nets only its own owed amounts."""
    rob, jane = [await manual(gql, n) for n in ("Rob", "Jane")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    product = await create_product(gql, secondTierCommissionPercent="5", milestones=AT_ONCE)
    partners = [{"payeeId": jane, "percent": "20"}, {"payeeId": ann, "percent": "7.5"}]  # Ann earns twice
    await gql.ok(SET_JV, p=product, partners=partners)
    sold = await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    sale = sold["sale"]["id"]
    paid = await pay(gql, affiliateIds=[ann, rob, jane], method="PAYPAL")
    payout = {p["affiliate"]["id"]: p["id"] for p in paid["payouts"]}
    assert {p["affiliate"]["id"]: p["amount"]["amount"] for p in paid["payouts"]} == {
        ann: "17.52",  # one payout settles both of Ann's commissions
        rob: "5.01",
        jane: "20.02",
    }

    await refund_sale(gql, externalId="o-1", amount={"amount": "50.05", "currency": "USD"})  # half: all owed
    assert figures(await affiliate(gql, ann)) == {
        "earned": "8.75",
        "reserve": "0.00",
        "due": "0.00",
        "paid": "17.52",
        "owed": "8.77",  # 5.01 of the AFFILIATE commission, 3.76 of the JV one: each rounds on its own
    }
    assert (await gql.ok(VOID, id=payout[rob], reason="bounced"))["voidPayout"]["payout"]["status"] == "VOIDED"
    rob_after = {"earned": "2.50", "reserve": "0.00", "due": "2.50", "paid": "0.00", "owed": "0.00"}
    assert figures(await affiliate(gql, rob)) == rob_after
    assert figures(await affiliate(gql, ann))["owed"] == "8.77"  # another payee's owed is not netted
    assert figures(await affiliate(gql, jane))["owed"] == "10.01"

    await gql.ok(VOID, id=payout[ann], reason="bounced")
    ann_after = {"earned": "8.75", "reserve": "0.00", "due": "8.75", "paid": "0.00", "owed": "0.00"}
    assert figures(await affiliate(gql, ann)) == ann_after
    assert await commission_rows(gql, sale) == [
        ("AFFILIATE", "Ann", "5.00", [("5.00", "DUE")]),
        ("SECOND_TIER", "Rob", "2.50", [("2.50", "DUE")]),
        ("JV_PARTNER", "Jane", "10.01", [("20.02", "PAID")]),
        ("JV_PARTNER", "Ann", "3.75", [("3.75", "DUE")]),
    ]
    assert figures(await affiliate(gql, jane)) == {
        "earned": "10.01",
        "reserve": "0.00",
        "due": "0.00",
        "paid": "20.02",
        "owed": "10.01",
    }

    await refund_sale(gql, externalId="o-1")  # the rest: each commission takes all that is left
    zero = {"earned": "0.00", "reserve": "0.00", "due": "0.00", "paid": "0.00", "owed": "0.00"}
    for payee in (ann, rob):
        node = await affiliate(gql, payee)
        assert (figures(node), node["paymentStatus"]) == (zero, "NOTHING_DUE")
    assert figures(await affiliate(gql, jane)) == {**zero, "paid": "20.02", "owed": "20.02"}
    assert (await pay(gql, affiliateIds=[ann, rob], method="PAYPAL"))["payouts"] == []
    await ledger_holds(database_url)


async def test_a_paypal_instant_recruiter_and_jv_partner_are_paid_at_the_sale(gql: GraphQLClient) -> None:
    rob, jane = [await manual(gql, n, payoutMode="PAYPAL_INSTANT") for n in ("Rob", "Jane")]
    kim = await manual(gql, "Kim")
    ann = await manual(gql, "Ann", recruitedBy=rob)
    product = await course(gql, jane, kim)
    sold = await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    assert await commission_rows(gql, sold["sale"]["id"]) == [
        ("AFFILIATE", "Ann", "10.01", [("4.00", "DUE"), ("6.01", "HELD")]),
        ("SECOND_TIER", "Rob", "5.01", [("5.01", "PAID")]),  # instantly, whole: no milestones (rule 7)
        ("JV_PARTNER", "Jane", "20.02", [("20.02", "PAID")]),
        ("JV_PARTNER", "Kim", "7.51", [("3.00", "DUE"), ("4.51", "HELD")]),
    ]
    refs = await payout_refs(gql, rob)
    assert [r[1:] for r in refs] == [("instant:o-1:1", "5.01", True, "PAID")]
    assert [r[1:] for r in await payout_refs(gql, jane)] == [("instant:o-1:2", "20.02", True, "PAID")]
    node = await affiliate(gql, rob)
    assert figures(node) == {"earned": "5.01", "reserve": "0.00", "due": "0.00", "paid": "5.01", "owed": "0.00"}
    assert (node["paymentStatus"], node["salesCount"]) == ("NOTHING_DUE", 1)
    assert (await gql.ok(VOID, id=refs[0][0], reason="oops"))["voidPayout"]["code"] == "INSTANT_PAYOUT"

    await refund_sale(gql, externalId="o-1", amount={"amount": "33.00", "currency": "USD"})
    assert figures(await affiliate(gql, rob)) == {
        "earned": "3.36",
        "reserve": "0.00",
        "due": "0.00",
        "paid": "5.01",
        "owed": "1.65",  # paid instantly, so the whole reduction is owed, recovered by its next payout
    }
    assert figures(await affiliate(gql, jane))["owed"] == "6.60"

    # Jane sells the product she is a JV partner of: two instant payouts, one per commission.
    await record_sale(gql, externalId="o-2", productId=product, affiliateId=jane)
    assert [r[1:3] for r in await payout_refs(gql, jane)] == [
        ("instant:o-1:2", "20.02"),
        ("instant:o-2", "10.01"),
        ("instant:o-2:1", "20.02"),
    ]
    node = await affiliate(gql, jane)
    assert (node["salesCount"], figures(node)["paid"], figures(node)["earned"]) == (2, "50.05", "43.45")


async def test_a_stripe_dispute_holds_and_releases_every_payee_and_a_lost_one_charges_each_back(
    client: httpx.AsyncClient, gql: GraphQLClient, clock: MovableClock
) -> None:
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob, referralCode="ann-lee")
    product = await create_product(
        gql, externalId="price_1PqCourse", secondTierCommissionPercent="5", milestones=AT_ONCE
    )
    await gql.ok(SET_JV, p=product, partners=[{"payeeId": jane, "percent": "20"}, {"payeeId": kim, "percent": "7.5"}])

    async def checkout(payment_intent: str) -> None:
        """Paid a minute after Ann's recruiter was set: Rob is in force (rule 16.1)."""
        clock.advance(timedelta(minutes=1))
        paid_at = int(clock().timestamp()) - 5
        session = checkout_session(
            amount=10010, affiliate="ann-lee", product="price_1PqCourse", payment_intent=payment_intent, created=paid_at
        )
        assert (await deliver(client, event("checkout.session.completed", session))).json()["status"] == "APPLIED"

    await checkout("pi_D")
    held = {ann: "10.01", rob: "5.01", jane: "20.02", kim: "7.51"}

    opened = dispute(payment_intent="pi_D", amount=10010)
    assert (await deliver(client, event("charge.dispute.created", opened))).json()["status"] == "APPLIED"
    disputed = await sale_id(gql, ann, "pi_D")
    assert {c[3][0][1] for c in await commission_rows(gql, disputed)} == {"DISPUTED"}
    for payee, amount in held.items():
        node = await affiliate(gql, payee)
        assert node["paymentStatus"] == "DUE_INCOMPLETE", node
        assert reasons(node) == {"DISPUTED": f"USD {amount} held until its dispute closes"}

    assert (await deliver(client, event("charge.dispute.closed", {**opened, "status": "won"}))).status_code == 200
    assert {c[3][0][1] for c in await commission_rows(gql, disputed)} == {"DUE"}
    for payee in held:
        assert (await affiliate(gql, payee))["paymentStatus"] == "DUE"

    await checkout("pi_L")
    lost = dispute(payment_intent="pi_L", amount=4000)
    await deliver(client, event("charge.dispute.created", lost))
    assert (await deliver(client, event("charge.dispute.closed", {**lost, "status": "lost"}))).status_code == 200
    charged = await commission_rows(gql, await sale_id(gql, ann, "pi_L"))
    # 40.00 of 100.10 charged back: each commission by round_half_up(original * 40.00 / 100.10)
    assert [(c[0], c[2], c[3]) for c in charged] == [
        ("AFFILIATE", "6.01", [("6.01", "DUE")]),
        ("SECOND_TIER", "3.01", [("3.01", "DUE")]),
        ("JV_PARTNER", "12.02", [("12.02", "DUE")]),
        ("JV_PARTNER", "4.51", [("4.51", "DUE")]),
    ]
    assert figures(await affiliate(gql, kim))["earned"] == "12.02"  # 7.51 + 4.51


async def test_payouts_import_books_the_recruiter_and_jv_partners_as_record_sale_does(
    gql: GraphQLClient, tmp_path: Path
) -> None:
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    bob = await manual(gql, "Bob", recruitedBy=rob)
    product = await course(gql, jane, kim)
    one = await record_sale(gql, externalId="one", productId=product, affiliateId=ann)
    sales = tmp_path / "sales.csv"
    sales.write_text(f"externalId,productId,affiliateId\nbulk,{product},{bob}\n")
    assert await import_sales(system_clock, sales, io.StringIO()) == (1, 0)
    by_record = await commission_rows(gql, one["sale"]["id"])
    by_import = await commission_rows(gql, await sale_id(gql, bob, "bulk"))
    assert [(r, "Ann" if p == "Bob" else p, a, i) for r, p, a, i in by_import] == by_record
    assert [c[1] for c in by_import] == ["Bob", "Rob", "Jane", "Kim"]
    for payee, earned in ((rob, "10.02"), (jane, "40.04"), (kim, "15.02")):
        node = await affiliate(gql, payee)
        assert (node["salesCount"], figures(node)["earned"]) == (2, earned)


async def test_concurrent_record_sales_with_four_payees_share_transactions_and_balance(
    gql: GraphQLClient, sql_statements: StatementCounter, database_url: str
) -> None:
    """Group commit with a recruiter and two JV partners: every caller its answer, statements shared."""
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    bob = await manual(gql, "Bob")
    product = await course(gql, jane, kim)
    sql_statements.statements.clear()
    await record_sale(gql, externalId="alone", productId=product, affiliateId=ann)
    alone = len(sql_statements.statements)
    sql_statements.statements.clear()
    sent = [(f"s-{n}", ann if n % 2 else bob) for n in range(20)] + [(f"s-{n}", bob) for n in range(0, 8, 2)]
    answers = await asyncio.gather(*(record_sale(gql, externalId=e, productId=product, affiliateId=a) for e, a in sent))
    assert len(sql_statements.statements) <= 3 * alone, "\n".join(s[:120] for s in sql_statements.statements)
    created: dict[str, set[str]] = {}
    for (external_id, _), answer in zip(sent, answers, strict=True):
        created.setdefault(external_id, set()).add(answer["sale"]["id"])
        assert answer["sale"]["commission"]["amount"] == "10.01"
    assert len(created) == 20 and all(len(ids) == 1 for ids in created.values())
    for payee, count, earned in ((rob, 11, "55.11"), (jane, 21, "420.42"), (kim, 21, "157.71"), (ann, 11, "110.11")):
        node = await affiliate(gql, payee)
        assert (node["salesCount"], figures(node)["earned"]) == (count, earned), node["name"]
    await pay(gql, affiliateIds=[rob, jane], method="PAYPAL")
    await ledger_holds(database_url)


RECRUITS = """query($id: ID!, $after: String) { node(id: $id) { ... on Affiliate {
  recruits(first: 1, after: $after) { pageInfo { hasNextPage endCursor } edges { node { name recruitedAt } } } } } }"""


async def recruit_names(gql: GraphQLClient, recruiter: str) -> list[str]:
    """Every recruit, one page at a time (each page continues from the cursor of the one before)."""
    names: list[str] = []
    after = None
    while True:
        page = (await gql.ok(RECRUITS, id=recruiter, after=after))["node"]["recruits"]
        names += [e["node"]["name"] for e in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            return names
        after = page["pageInfo"]["endCursor"]


async def test_recruits_are_listed_most_recently_recruited_first(gql: GraphQLClient, clock: MovableClock) -> None:
    rob, rita = await create_affiliate(gql, "Rob"), await create_affiliate(gql, "Rita")
    ann, bob, cy = [await create_affiliate(gql, n) for n in ("Ann", "Bob", "Cy")]
    for recruit in (cy, ann, bob):  # recruited in another order than created
        clock.advance(timedelta(minutes=1))
        await gql.ok(SET_RECRUITER, a=recruit, r=rob)
    assert await recruit_names(gql, rob) == ["Bob", "Ann", "Cy"]
    clock.advance(timedelta(minutes=1))
    await gql.ok(SET_RECRUITER, a=cy, r=rita)
    clock.advance(timedelta(minutes=1))
    await gql.ok(SET_RECRUITER, a=cy, r=rob)  # recruited again: now the most recent
    assert await recruit_names(gql, rob) == ["Cy", "Bob", "Ann"]
    refused = await gql.post(RECRUITS, id=rob, after="WyIyMDI2LTAxLTAxVDAwOjAwOjAwIiwgMV0=")  # a naive instant
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_a_page_of_recruits_reads_the_index_in_order(gql: GraphQLClient) -> None:
    """The recruits page is served by the (recruited_by_id, recruited_at, id) index: no sort step."""
    page = Affiliate.filter(recruited_by_id=1).order_by(*RECRUITED_LAST_FIRST.order()).limit(51)
    conn = connections.get("default")
    if on_postgres():
        async with in_transaction() as pinned:  # one connection for the setting and the plan
            # A few rows are scanned and sorted anyway: with those plans priced out, a Sort can only
            # remain if no index gives the order.
            await pinned.execute_script("SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off")
            await pinned.execute_script("SET LOCAL enable_sort = off")
            plan = str(await pinned.execute_query_dict("EXPLAIN " + page.sql(params_inline=True)))
        assert "Sort" not in plan and "idx_affiliates_recruit" in plan, plan
        return
    rows = await conn.execute_query_dict("EXPLAIN QUERY PLAN " + page.sql(params_inline=True))
    details = " ".join(r["detail"] for r in rows)
    assert "TEMP B-TREE" not in details and "USING INDEX idx_affiliates_recruit" in details, details


async def test_a_recruiter_and_jv_partners_are_exported_and_paid_like_affiliates(gql: GraphQLClient) -> None:
    """Rule 16.6: one export row and one payout per payee, whatever its roles; held parts stay out."""
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    product = await course(gql, jane, kim)
    await record_sale(gql, externalId="o-1", productId=product, affiliateId=ann)
    await record_sale(gql, externalId="o-2", productId=product, affiliateId=jane)  # Jane in two roles
    done = await export(gql, scope="PREFERRED")
    (paypal,) = done["export"]["groups"]
    assert (paypal["method"], paypal["affiliateCount"]) == ("PAYPAL", 4)
    # the due (40 %) parts only: Ann 4.00 + Jane 4.00 (o-2) + Rob 2.00 + Jane 8.00 + 8.00 + Kim 3.00 + 3.00
    assert paypal["totals"] == [{"amount": "32.00", "currency": "USD"}]
    paid = await pay(gql, exportId=done["export"]["id"], method="PAYPAL")
    amounts = {p["affiliate"]["id"]: p["amount"]["amount"] for p in paid["payouts"]}
    assert amounts == {ann: "4.00", rob: "2.00", jane: "20.00", kim: "6.00"}
    for payee in (rob, jane, kim):  # what is left is held until its milestone (rule 3)
        node = await affiliate(gql, payee)
        assert (node["paymentStatus"], figures(node)["due"], set(reasons(node))) == (
            "DUE_INCOMPLETE",
            "0.00",
            {"ON_HOLD"},
        )


async def test_commission_by_month_counts_every_payee(gql: GraphQLClient) -> None:
    """The dashboard's earned is every commission of the month's sales, not only the first tier's."""
    rob, jane, kim = [await manual(gql, n) for n in ("Rob", "Jane", "Kim")]
    ann = await manual(gql, "Ann", recruitedBy=rob)
    await record_sale(gql, externalId="o-1", productId=await course(gql, jane, kim), affiliateId=ann)
    months = (await gql.ok("{ commissionByMonth(months: 1) { earned { amount currency } } }"))["commissionByMonth"]
    assert months == [{"earned": [{"amount": "42.55", "currency": "USD"}]}]  # 10.01 + 5.01 + 20.02 + 7.51


async def test_the_bulk_path_books_four_payees_exactly_as_record_sale_does_one_by_one(gql: GraphQLClient) -> None:
    """Two identical worlds: one books its sales with recordSale, one by one; the other with the bulk
    path in one call, where sales of equal terms are priced once. Every commission, installment,
    instant payout and balance matches."""
    worlds: dict[str, list[str]] = {}
    for world in ("A", "B"):
        rob, jane = [await manual(gql, f"{n}{world}", payoutMode="PAYPAL_INSTANT") for n in ("Rob", "Jane")]
        kim = await manual(gql, f"Kim{world}")
        ann = await manual(gql, f"Ann{world}", recruitedBy=rob)
        product = await course(gql, jane, kim)
        worlds[world] = [ann, rob, jane, kim, product]
    recruited = datetime.now(UTC)  # after both recruitments: the later sales earn a second tier, the earlier not
    sales = [  # repeated terms at different times, another amount
        ("s1", None, recruited - timedelta(days=90)),
        ("s2", None, recruited - timedelta(days=61)),
        ("s3", ("55.55", "USD"), recruited + timedelta(milliseconds=10)),
        ("s4", None, recruited + timedelta(milliseconds=20)),
        ("s5", None, recruited + timedelta(milliseconds=30)),
    ]
    await asyncio.sleep(0.05)  # every sale in the past for both worlds
    ann, _, _, _, product = worlds["A"]
    for name, amount, occurred in sales:
        extra = {"amount": {"amount": amount[0], "currency": amount[1]}} if amount else {}
        await record_sale(
            gql, externalId=f"A-{name}", productId=product, affiliateId=ann, occurredAt=occurred.isoformat(), **extra
        )
    ann, _, _, _, product = worlds["B"]
    lines = [
        SaleLine(f"B-{name}", pk(product), pk(ann), Amount(Decimal(amount[0]), amount[1]) if amount else None, occurred)
        for name, amount, occurred in sales
    ]
    assert (await book_all("test", datetime.now(UTC), lines)).created == len(sales)

    async def books(world: str) -> list[Any]:
        ann, *payees, _ = worlds[world]
        found: list[Any] = []
        for name, _, _ in sales:
            node = (await gql.ok(SALE_ROWS, id=await sale_id(gql, ann, f"{world}-{name}")))["node"]
            found.append(json.loads(json.dumps(node).replace(f'{world}"', '"').replace(f"{world}-", "")))
        for payee in (ann, *payees):
            node = await affiliate(gql, payee)
            refs = [(r[1].replace(f"{world}-", ""), *r[2:]) for r in await payout_refs(gql, payee)]
            found.append((figures(node), node["paymentStatus"], node["salesCount"], refs))
        return found

    assert await books("A") == await books("B")
