"""Per-request DataLoaders: one SQL statement per kind of related row, whatever the page size."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from functools import cached_property
from typing import Any, TypeVar, cast

from strawberry.dataloader import DataLoader
from tortoise.models import Model

from models.ledger.balances import program_rules
from models.rules.status import BalanceFigures, ProgramRules
from models.sql import CHUNK, MethodSummary, balance_figures, method_summaries, unsettled_rows
from models.tables.affiliates import Affiliate
from models.tables.bank_files import PaymentReturnHold
from models.tables.commissions import Commission, JvPartnerShare
from models.tables.exports import ExportFile, ExportSkip, PaymentExport
from models.tables.payouts import Payout
from models.tables.processor import ProcessorEvent
from models.tables.products import Product
from models.tables.sales import Installment, Sale
from models.tables.tax import TaxProfile
from models.tables.tiers import CommissionTier, TierAssignment
from models.tables.tokens import ApiToken

M = TypeVar("M", bound=Model)
T = TypeVar("T")


Before = Callable[[], Awaitable[None]]


async def nothing_before() -> None:
    """Rows that time does not change need no preparation."""


def by_id(model: type[M], before: Before = nothing_before) -> DataLoader[int, M | None]:
    async def load(ids: list[int]) -> list[M | None]:
        await before()
        rows = {row.pk: row for row in await model.filter(id__in=ids)}
        return [rows.get(i) for i in ids]

    return DataLoader(load_fn=load, max_batch_size=CHUNK)  # one IN list per CHUNK keys, however many are asked


def grouped(
    model: type[M],
    key: str,
    order: Sequence[str] = ("id",),
    before: Before = nothing_before,
    where: dict[str, Any] | None = None,
) -> DataLoader[int, list[M]]:
    async def load(ids: list[int]) -> list[list[M]]:
        await before()
        groups: dict[int, list[M]] = defaultdict(list)
        for row in await model.filter(**{f"{key}__in": ids}, **(where or {})).order_by(*order):
            groups[getattr(row, key)].append(row)
        return [groups.get(i, []) for i in ids]

    return DataLoader(load_fn=load, max_batch_size=CHUNK)


def grouped_rows(
    fetch: Callable[[list[int]], Awaitable[list[tuple[int, T]]]], before: Before = nothing_before
) -> DataLoader[int, list[T]]:
    """Like `grouped`, for rows that are only shown: `fetch` gives (key, row) pairs in order, read raw by
    models/sql (no ORM objects, no per-cell conversion: a page of 50 affiliates reads its balances and
    payment methods in a fifth of the time)."""

    async def load(ids: list[int]) -> list[list[T]]:
        await before()
        groups: dict[int, list[T]] = defaultdict(list)
        for owner, row in await fetch(ids):
            groups[owner].append(row)
        return [groups.get(i, []) for i in ids]

    return DataLoader(load_fn=load)


K = TypeVar("K")
V = TypeVar("V")
R = TypeVar("R")


def now_or_later(loader: DataLoader[K, V], key: K, convert: Callable[[V], R]) -> R:
    """`convert` of what `loader` holds for `key`, at once when it is loaded already (a page primed it),
    else an awaitable of it. For sync resolvers: graphql-core awaits an awaitable from any resolver,
    and a value needs no coroutine, task or gather per field (a sixth of a page of 50 affiliates).
    Typed as the value, which is what GraphQL sees either way."""
    future = cast(asyncio.Future[V], loader.load(key))  # Strawberry's DataLoader hands out futures
    if future.done():
        return convert(future.result())

    async def later() -> R:
        return convert(await future)

    return cast(R, later())


async def load_existing(loader: DataLoader[int, M | None], key: int) -> M:
    """A row a foreign key points at: it exists, so a miss is a broken database, not a caller's error."""
    row = await loader.load(key)
    if row is None:
        raise LookupError(f"row {key} is referenced but missing")
    return row


class Loaders:
    """Created fresh for every request (and every subscription event) so nothing goes stale; each
    is named for what it loads and by which key (`figures_by_affiliate_id`).

    `catch_up` runs before affiliates or balances are read: a request sets it to apply the
    maturities the clock has not applied yet, so payment statuses and figures are exact as of now.
    """

    def __init__(self, catch_up: Before = nothing_before) -> None:
        self.catch_up = catch_up
        self._program: asyncio.Task[ProgramRules] | None = None

    # Each made on first use: most requests (a mutation, a page) use two or three of them.
    @cached_property
    def affiliate_by_id(self) -> DataLoader[int, Affiliate | None]:
        return by_id(Affiliate, self.catch_up)

    @cached_property
    def product_by_id(self) -> DataLoader[int, Product | None]:
        return by_id(Product)

    @cached_property
    def sale_by_id(self) -> DataLoader[int, Sale | None]:
        return by_id(Sale)

    @cached_property
    def payout_by_id(self) -> DataLoader[int, Payout | None]:
        return by_id(Payout)

    @cached_property
    def figures_by_affiliate_id(self) -> DataLoader[int, list[BalanceFigures]]:
        return grouped_rows(balance_figures, self.catch_up)

    @cached_property
    def payment_methods_by_affiliate_id(self) -> DataLoader[int, list[MethodSummary]]:
        return grouped_rows(method_summaries)

    @cached_property
    def commissions_by_sale_id(self) -> DataLoader[int, list[Commission]]:
        return grouped(Commission, "sale_id", ("position",))

    @cached_property
    def first_tier_installments_by_sale_id(self) -> DataLoader[int, list[Installment]]:
        """Sale.installments: the AFFILIATE commission's only (rule 16.4), in one statement."""
        return grouped(Installment, "sale_id", ("position",), where={"commission__position": 0})

    @cached_property
    def installments_by_commission_id(self) -> DataLoader[int, list[Installment]]:
        return grouped(Installment, "commission_id", ("position",))

    @cached_property
    def jv_partners_by_product_id(self) -> DataLoader[int, list[JvPartnerShare]]:
        return grouped(JvPartnerShare, "product_id", ("position",))

    @cached_property
    def payment_export_by_id(self) -> DataLoader[int, PaymentExport | None]:
        return by_id(PaymentExport)

    @cached_property
    def export_files_by_export_id(self) -> DataLoader[int, list[ExportFile]]:
        return grouped(ExportFile, "export_id", ("method", "currency", "format", "id"))

    @cached_property
    def export_file_by_id(self) -> DataLoader[int, ExportFile | None]:
        return by_id(ExportFile)

    @cached_property
    def payment_return_holds_by_affiliate_id(self) -> DataLoader[int, list[PaymentReturnHold]]:
        return grouped(PaymentReturnHold, "affiliate_id")

    @cached_property
    def unsettled_rows_by_file_id(self) -> DataLoader[int, int]:
        """Rows of a file that no PAID payout settles (rule 18.6: a file is paid when none is left)."""

        async def load(ids: list[int]) -> list[int]:
            counts = await unsettled_rows(ids)
            return [counts.get(i, 0) for i in ids]

        return DataLoader(load_fn=load)

    @cached_property
    def export_skips_by_export_id(self) -> DataLoader[int, list[ExportSkip]]:
        return grouped(ExportSkip, "export_id")

    @cached_property
    def tier_by_id(self) -> DataLoader[int, CommissionTier | None]:
        return by_id(CommissionTier)

    @cached_property
    def tiers_by_product_id(self) -> DataLoader[int, list[CommissionTier]]:
        return grouped(CommissionTier, "product_id", ("name", "id"))

    @cached_property
    def tier_assignments_by_affiliate_id(self) -> DataLoader[int, list[TierAssignment]]:
        return grouped(TierAssignment, "affiliate_id")

    @cached_property
    def processor_event_by_id(self) -> DataLoader[int, ProcessorEvent | None]:
        return by_id(ProcessorEvent)

    @cached_property
    def api_token_by_id(self) -> DataLoader[int, ApiToken | None]:
        return by_id(ApiToken)

    @cached_property
    def tax_profiles_by_payee_id(self) -> DataLoader[int, list[TaxProfile]]:
        return grouped(TaxProfile, "current_of")  # the current profile only: at most one per payee

    async def program(self) -> ProgramRules:
        """Loaded once per request: every concurrent resolver awaits the same query."""
        if self._program is None:
            self._program = asyncio.ensure_future(program_rules())
        return await self._program

    def program_loaded(self) -> ProgramRules | None:
        """The program's rules if this request has read them already (`program`), else None."""
        return self._program.result() if self._program is not None and self._program.done() else None

    def prime(self, loader: DataLoader[int, M | None], rows: Iterable[M]) -> None:
        for row in rows:
            loader.prime(row.pk, row)
