"""The merchant's overview: totals per currency over a filter of affiliates, and commission per month.

Both are a fixed number of aggregate statements whatever the program's size (never a row per
affiliate or per sale sent to Python): the dashboard and the affiliates table's footer read them.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry
from graphql import GraphQLError

from models.errors import LedgerError
from models.ledger.overview import commission_by_month, currency_sums, month_starts
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
        minimums = (await info.context.loaders.program()).minimum_payout
        return [
            CurrencyTotals(
                currency=t.currency,
                due=Money.of(t.due, t.currency),
                due_below_minimum=Money.of(t.due_below_minimum, t.currency),
                affiliates_below_minimum=t.affiliates_below_minimum,
                reserve=Money.of(t.reserve, t.currency),
                paid=Money.of(t.paid, t.currency),
                owed=Money.of(t.owed, t.currency),
            )
            for t in await currency_sums(affiliates, minimums)
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
        earned, paid = await commission_by_month(starts)
        return [
            MonthlyCommission(month=start.date(), earned=money_list(earned[i]), paid=money_list(paid[i]))
            for i, start in enumerate(starts[:-1])
        ]
