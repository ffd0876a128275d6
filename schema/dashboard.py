"""The merchant's overview: totals per currency over a filter of affiliates, and commission per month.

Both are a fixed number of aggregate statements whatever the program's size (never a row per
affiliate or per sale sent to Python): the dashboard and the affiliates table's footer read them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Annotated, Any

import strawberry
from graphql import GraphQLError
from tortoise.expressions import Case, F, Q, Subquery, When
from tortoise.functions import Count, Sum
from tortoise.queryset import QuerySet

from models.enums import PayoutStatus
from models.errors import LedgerError
from models.tables.affiliates import Balance
from models.tables.payouts import Payout as PayoutRow
from models.tables.sales import Sale as SaleRow
from schema.affiliates import AffiliateFilter, selection
from schema.context import Info
from schema.money import Money, money_list
from schema.permissions import CanReadAll, ProgramWide

MAX_MONTHS = 36


@strawberry.type(description="What a set of affiliates holds in one currency (sums of their balances).")
class CurrencyTotals(ProgramWide):
    currency: str = strawberry.field(description="ISO-4217 currency code.")
    due: Money = strawberry.field(description="Due now: the sum of the affiliates' due amounts (as the Due column).")
    due_below_minimum: Money = strawberry.field(
        description="The part of `due` in amounts below the currency's minimum payout: no export pays it yet."
    )
    affiliates_below_minimum: int = strawberry.field(
        description="How many affiliates have a due amount in this currency below its minimum payout."
    )
    reserve: Money = strawberry.field(description="Held: commission whose milestones have not come yet.")
    paid: Money = strawberry.field(description="Paid so far.")
    owed: Money = strawberry.field(description="Owed back: refunds of commission already paid.")


@strawberry.type(description="Commission earned and paid in one calendar month (UTC).")
class MonthlyCommission(ProgramWide):
    month: date = strawberry.field(description="The month's first day.")
    earned: list[Money] = strawberry.field(
        description="Commission of the sales that occurred in the month, net of refunds, per currency."
    )
    paid: list[Money] = strawberry.field(description="Payouts made in the month and not voided, per currency.")


def month_starts(now: datetime, months: int) -> list[datetime]:
    """The first instants of the last `months` calendar months (UTC), oldest first, and of the next one."""
    year, month = now.astimezone(UTC).year, now.astimezone(UTC).month
    starts = []
    for back in range(months - 1, -2, -1):
        total = year * 12 + month - 1 - back
        starts.append(datetime(total // 12, total % 12 + 1, 1, tzinfo=UTC))
    return starts


def before(column: str, instant: datetime) -> Q:
    condition: dict[str, Any] = {f"{column}__lt": instant}
    return Q(**condition)


async def sums_by_month(
    query: QuerySet[Any], column: str, amount: str, starts: list[datetime]
) -> dict[int, dict[str, int]]:
    """One GROUP BY statement: the sum of `amount` per currency and month bucket of `column`."""
    # The bucket numbers as text: PostgreSQL types a CASE's parameters as text.
    bucket = Case(
        *[When(before(column, start), then=str(i)) for i, start in enumerate(starts[1:])],
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


def _sums(rows: list[dict[str, Any]], key: str) -> dict[str, int]:
    return {row["currency"]: int(row[key] or 0) for row in rows}


async def _grouped(query: QuerySet[Any], **sums: Any) -> list[dict[str, Any]]:
    return await query.annotate(**sums).group_by("currency").values("currency", *sums)


@strawberry.type
class DashboardQueries:
    @strawberry.field(
        permission_classes=[CanReadAll],
        description="Per currency, the sums of the balances of the affiliates a filter selects (ADMIN and VIEWER): "
        "due (with the part below the minimum payout), held, paid, owed. Constant SQL.",
    )
    async def affiliate_totals(
        self,
        info: Info,
        filter: Annotated[
            AffiliateFilter | None, strawberry.argument(description="Which affiliates; null: all.")
        ] = None,
    ) -> list[CurrencyTotals]:
        try:
            affiliates = await selection(filter)
        except LedgerError as e:
            raise GraphQLError(e.message, extensions={"code": "BAD_USER_INPUT", "field": e.field}) from None
        await info.context.catch_up()  # dues exact as of now
        balances = Balance.filter(affiliate_id__in=Subquery(affiliates.values("id")))
        overall = await _grouped(balances, reserve=Sum("reserve"), paid=Sum("paid"), owed=Sum("owed"))
        positive = balances.filter(due_installments__gt=F("owed"))
        due = _sums(await _grouped(positive, due=Sum(F("due_installments") - F("owed"))), "due")
        below: dict[str, tuple[int, int]] = {}
        for currency, minimum in (await info.context.loaders.program()).minimum_payout.items():
            under = positive.filter(currency=currency, due_installments__lt=F("owed") + minimum)
            for row in await _grouped(under, due=Sum(F("due_installments") - F("owed")), affiliates=Count("id")):
                below[currency] = (int(row["due"] or 0), int(row["affiliates"]))
        return [
            CurrencyTotals(
                currency=row["currency"],
                due=Money.of(due.get(row["currency"], 0), row["currency"]),
                due_below_minimum=Money.of(below.get(row["currency"], (0, 0))[0], row["currency"]),
                affiliates_below_minimum=below.get(row["currency"], (0, 0))[1],
                reserve=Money.of(int(row["reserve"] or 0), row["currency"]),
                paid=Money.of(int(row["paid"] or 0), row["currency"]),
                owed=Money.of(int(row["owed"] or 0), row["currency"]),
            )
            for row in sorted(overall, key=lambda r: r["currency"])
        ]

    @strawberry.field(
        permission_classes=[CanReadAll],
        description="Commission earned and paid per calendar month (UTC), oldest first, ending with the current "
        f"month (ADMIN and VIEWER); months 1-{MAX_MONTHS}, default 12. Two aggregate statements.",
    )
    async def commission_by_month(
        self,
        info: Info,
        months: Annotated[int, strawberry.argument(description=f"How many months, 1 to {MAX_MONTHS}.")] = 12,
    ) -> list[MonthlyCommission]:
        if not 1 <= months <= MAX_MONTHS:
            raise GraphQLError(f"months must be between 1 and {MAX_MONTHS}", extensions={"code": "BAD_USER_INPUT"})
        starts = month_starts(info.context.now, months)
        earned = await sums_by_month(SaleRow.all(), "occurred_at", "commission", starts)
        paid = await sums_by_month(PayoutRow.filter(status=PayoutStatus.PAID), "paid_at", "amount", starts)
        return [
            MonthlyCommission(month=start.date(), earned=money_list(earned[i]), paid=money_list(paid[i]))
            for i, start in enumerate(starts[:-1])
        ]
