"""Rule 16 through the GraphQL API of the real app: recruiters, JV partners, one commission per payee."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from models.enums import Role
from models.ledger import access
from tests.api import (
    ERROR,
    KARTRA,
    affiliate,
    create_affiliate,
    create_affiliate_token,
    create_product,
    details,
    pay,
    record_sale,
    refund_sale,
)
from tests.clients import GraphQLClient
from tests.clock import MovableClock
from tests.test_ledger_api import figures

COMMISSIONS = """commissions { role payee { name } percent originalAmount { amount } amount { amount } endedReason
  installments { amount { amount } state } }"""
SET_RECRUITER = f"""mutation($a: ID!, $r: ID) {{ setRecruiter(affiliateId: $a, recruiterId: $r) {{ __typename
  ... on SetRecruiterSuccess {{ affiliate {{ id recruitedAt recruitedBy {{ id }} }} }} {ERROR} }} }}"""
SET_JV = f"""mutation($p: ID!, $partners: [JvPartnerShareInput!]!) {{ setProductJvPartners(productId: $p,
  partners: $partners) {{ __typename ... on SetProductJvPartnersSuccess {{ product {{ id
    jvPartners {{ payee {{ id }} percent renewalMonths renewalPayments }} }} }} {ERROR} }} }}"""


async def sale_node(gql: GraphQLClient, sale_id: str) -> dict[str, Any]:
    data = await gql.ok(
        f"query($id: ID!) {{ node(id: $id) {{ ... on Sale {{ renewal {COMMISSIONS} }} }} }}", id=sale_id
    )
    return data["node"]


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
