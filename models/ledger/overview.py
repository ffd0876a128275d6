"""The merchant's overview: sums per currency over a set of affiliates, and commission per month.

A fixed number of aggregate statements whatever the program's size (never a row per affiliate or
per sale sent to Python): the dashboard and the affiliates table's footer read them.
"""

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise.expressions import Case, F, Q, Subquery, When
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from models.enums import PayoutStatus
from models.tables.affiliates import Affiliate, Balance
from models.tables.commissions import Commission
from models.tables.payouts import Payout


@dataclass(frozen=True)
class CurrencySums:
    """What a set of affiliates holds in one currency, in minor units."""

    currency: str
    due: int
    due_below_minimum: int
    affiliates_below_minimum: int
    reserve: int
    paid: int
    owed: int


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants of the last `months` calendar months (UTC), oldest first, and of the next one."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    starts = []
    for back in range(months - 1, -2, -1):
        total = year * 12 + month - 1 - back
        starts.append(datetime(total // 12, total % 12 + 1, 1, tzinfo=UTC))
    return starts


def _before(column: str, instant: datetime) -> Q:
    condition: dict[str, Any] = {f"{column}__lt": instant}
    return Q(**condition)


async def _sums_by_month(
    query: QuerySet[Any], column: str, amount: str, starts: list[datetime]
) -> dict[int, dict[str, int]]:
    """One GROUP BY statement: the sum of `amount` per currency and month bucket of `column`."""
    # The bucket numbers as text: PostgreSQL types a CASE's parameters as text.
    bucket = Case(
        *[When(_before(column, start), then=str(i)) for i, start in enumerate(starts[1:])],
        default=str(len(starts) - 2),
    )
    rows = (
        await query.filter(**{f"{column}__gte": starts[0], f"{column}__lt": starts[-1]})
        .annotate(bucket=bucket, total=Sum(amount))
        .group_by("currency", "bucket")
        .values("currency", "bucket", "total")
    )
    found: dict[int, dict[str, int]] = defaultdict(dict)
    for row in rows:
        found[int(row["bucket"])][row["currency"]] = int(row["total"] or 0)
    return found


async def commission_by_month(
    starts: list[datetime],
) -> tuple[dict[int, dict[str, int]], dict[int, dict[str, int]]]:
    """Earned (every payee's commission, net of refunds, by its sale's month) and paid (payouts not
    voided, by their month), per month bucket of `starts` and currency: two statements."""
    earned = await _sums_by_month(Commission.all(), "sale__occurred_at", "amount", starts)
    paid = await _sums_by_month(Payout.filter(status=PayoutStatus.PAID), "paid_at", "amount", starts)
    return earned, paid


async def _grouped(query: QuerySet[Any], **sums: Any) -> dict[str, dict[str, int]]:
    rows = await query.annotate(**sums).group_by("currency").values("currency", *sums)
    return {row["currency"]: {key: int(row[key] or 0) for key in sums} for row in rows}


async def currency_sums(affiliates: QuerySet[Affiliate], minimum_payout: Mapping[str, int]) -> list[CurrencySums]:
    """The balances of the selected affiliates summed per currency: due as the Due column shows it
    (due installments net of owed, when positive) with the part below each currency's minimum payout."""
    balances = Balance.filter(affiliate_id__in=Subquery(affiliates.values("id")))
    overall = await _grouped(balances, reserve=Sum("reserve"), paid=Sum("paid"), owed=Sum("owed"))
    positive = balances.filter(due_installments__gt=F("owed"))
    due = await _grouped(positive, due=Sum(F("due_installments") - F("owed")))
    below: dict[str, dict[str, int]] = {}
    for currency, minimum in minimum_payout.items():
        under = positive.filter(currency=currency, due_installments__lt=F("owed") + minimum)
        below.update(await _grouped(under, due=Sum(F("due_installments") - F("owed")), affiliates=Count("id")))
    none = {"due": 0, "affiliates": 0}
    return [
        CurrencySums(
            currency=currency,
            due=due.get(currency, none)["due"],
            due_below_minimum=below.get(currency, none)["due"],
            affiliates_below_minimum=below.get(currency, none)["affiliates"],
            **sums,
        )
        for currency, sums in sorted(overall.items())
    ]
