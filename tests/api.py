"""GraphQL snippets and builders shared by the API tests."""

from __future__ import annotations

from typing import Any

from tests.clients import GraphQLClient

ERROR = "... on Error { code message field }"
KARTRA = [{"percent": "40", "delayDays": 0}, {"percent": "60", "delayDays": 60}]
BANK = {"accountHolder": "Ann Lee", "iban": "DE89370400440532013000", "swift": "COBADEFFXXX", "country": "DE"}
EXPORT = f"""mutation($input: ExportPaymentDetailsInput!) {{ exportPaymentDetails(input: $input) {{
  ... on ExportPaymentDetailsSuccess {{ export {{ id scope paid
    groups {{ method affiliateCount paid totals {{ amount currency }}
      files {{ currency rows total {{ amount currency }} downloadUrl }} }}
    skipped {{ affiliate {{ id }} reason }} }} }} {ERROR} }} }}"""
PAY = f"""mutation($input: MarkAsPaidInput!) {{ markAsPaid(input: $input) {{
  ... on MarkAsPaidSuccess {{ payouts {{ id amount {{ amount currency }} method status reference
      affiliate {{ id }} export {{ id }} }}
    skipped {{ affiliate {{ id }} reason }} totals {{ amount currency }} }} {ERROR} }} }}"""
VOID = f"""mutation($id: ID!, $reason: String!) {{ voidPayout(payoutId: $id, reason: $reason) {{
  ... on VoidPayoutSuccess {{ payout {{ id status amount {{ amount }} }} }} {ERROR} }} }}"""
BALANCES = """balances { currency earned { amount currency } reserve { amount } due { amount } paid { amount }
  owed { amount } nextRelease { at amount { amount currency } } }"""


async def create_product(gql: GraphQLClient, **input: Any) -> str:
    input.setdefault("name", "Course")
    input.setdefault("price", {"amount": "100.10", "currency": "USD"})
    if "commissionFlat" not in input:
        input.setdefault("commissionPercent", "10")
    data = await gql.ok(
        f"mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ "
        f"... on CreateProductSuccess {{ product {{ id }} }} {ERROR} }} }}",
        input=input,
    )
    return data["createProduct"]["product"]["id"]


async def create_affiliate(gql: GraphQLClient, name: str = "Ann Lee", **input: Any) -> str:
    input.setdefault("email", f"{name.split()[0].lower()}@example.com")
    input.setdefault("approvalStatus", "APPROVED")
    data = await gql.ok(
        f"mutation($input: CreateAffiliateInput!) {{ createAffiliate(input: $input) {{ "
        f"... on CreateAffiliateSuccess {{ affiliate {{ id }} }} {ERROR} }} }}",
        input={"name": name, **input},
    )
    return data["createAffiliate"]["affiliate"]["id"]


async def add_paypal(gql: GraphQLClient, affiliate_id: str, email: str = "ann.pay@example.com") -> dict[str, Any]:
    data = await gql.ok(
        f"mutation($input: PaymentDetailsInput!) {{ updatePaymentDetails(input: $input) {{ "
        f"... on UpdatePaymentDetailsSuccess {{ affiliate {{ id paymentStatus }} }} {ERROR} }} }}",
        input={"affiliateId": affiliate_id, "paypalEmail": email},
    )
    return data["updatePaymentDetails"]


async def payable_affiliate(gql: GraphQLClient, name: str = "Ann Lee", **input: Any) -> str:
    """An approved MANUAL affiliate with PayPal details: DUE as soon as something matures."""
    affiliate_id = await create_affiliate(gql, name, **input)
    await add_paypal(gql, affiliate_id, f"{name.split()[0].lower()}.pay@example.net")
    return affiliate_id


async def details(gql: GraphQLClient, affiliate_id: str, **input: Any) -> None:
    data = await gql.ok(
        f"mutation($input: PaymentDetailsInput!) {{ updatePaymentDetails(input: $input) {{ "
        f"... on UpdatePaymentDetailsSuccess {{ affiliate {{ id }} }} {ERROR} }} }}",
        input={"affiliateId": affiliate_id, **input},
    )
    assert "affiliate" in data["updatePaymentDetails"], data


async def due_affiliate(gql: GraphQLClient, product: str, name: str, sale: str, **payment: Any) -> str:
    """An affiliate with payment details (PayPal unless given) and one sale of `product`, due at once."""
    aff = await create_affiliate(gql, name)
    await details(gql, aff, **(payment or {"paypalEmail": f"{name.split()[0].lower()}.pay@example.com"}))
    await record_sale(gql, externalId=sale, productId=product, affiliateId=aff)
    return aff


async def export(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    return (await gql.ok(EXPORT, input=input))["exportPaymentDetails"]


async def pay(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    return (await gql.ok(PAY, input=input))["markAsPaid"]


async def create_affiliate_token(gql: GraphQLClient, affiliate_id: str) -> dict[str, Any]:
    data = await gql.ok(
        f"""mutation($id: ID!) {{ createAffiliateToken(affiliateId: $id) {{ __typename
          ... on CreateAffiliateTokenSuccess {{ token apiToken {{ id role revokedAt affiliate {{ id }} }} }}
          {ERROR} }} }}""",
        id=affiliate_id,
    )
    return data["createAffiliateToken"]


async def record_sale(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    data = await gql.ok(
        f"""mutation($input: RecordSaleInput!) {{ recordSale(input: $input) {{
          ... on RecordSaleSuccess {{ created sale {{ id status commission {{ amount currency }}
              installments {{ amount {{ amount }} releaseAt state }} }} }} {ERROR} }} }}""",
        input=input,
    )
    return data["recordSale"]


async def refund_sale(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    data = await gql.ok(
        f"""mutation($input: RefundSaleInput!) {{ refundSale(input: $input) {{
          ... on RefundSaleSuccess {{ sale {{ id status refunded {{ amount }} commission {{ amount }}
              installments {{ amount {{ amount }} state }} }} }} {ERROR} }} }}""",
        input=input,
    )
    return data["refundSale"]


async def affiliate(gql: GraphQLClient, affiliate_id: str) -> dict[str, Any]:
    data = await gql.ok(
        f"""query($id: ID!) {{ node(id: $id) {{ ... on Affiliate {{ id name paymentStatus salesCount
          incompleteReasons {{ reason message }} {BALANCES} }} }} }}""",
        id=affiliate_id,
    )
    return data["node"]


async def update_settings(gql: GraphQLClient, **input: Any) -> dict[str, Any]:
    data = await gql.ok(
        f"""mutation($input: UpdateProgramSettingsInput!) {{ updateProgramSettings(input: $input) {{
          ... on UpdateProgramSettingsSuccess {{ settings {{ minimumSales minimumPayout {{ amount currency }}
              defaultMilestones {{ percent delayDays }} }} }} {ERROR} }} }}""",
        input=input,
    )
    return data["updateProgramSettings"]


async def set_payout_mode(gql: GraphQLClient, affiliate_id: str, mode: str) -> dict[str, Any]:
    data = await gql.ok(
        f"""mutation($id: ID!, $mode: PayoutMode!) {{ setPayoutMode(affiliateId: $id, mode: $mode) {{
          ... on SetPayoutModeSuccess {{ affiliate {{ id payoutMode paymentStatus }} }} {ERROR} }} }}""",
        id=affiliate_id,
        mode=mode,
    )
    return data["setPayoutMode"]
