"""Relay connections with keyset cursors: complete and stable while rows are added between pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

import strawberry
from graphql import GraphQLError
from strawberry.types import Info
from strawberry.types.nodes import FragmentSpread, InlineFragment, Selection
from tortoise.expressions import Q, Subquery
from tortoise.models import Model
from tortoise.queryset import QuerySet

from schema.ids import MAX_PK

DEFAULT_PAGE = 50
MAX_PAGE = 500

T = TypeVar("T")
M = TypeVar("M", bound=Model)


First = Annotated[
    int | None,
    strawberry.argument(description=f"Page size: 0 to {MAX_PAGE}, default {DEFAULT_PAGE}."),
]
After = Annotated[
    str | None,
    strawberry.argument(
        description="Return the items after this cursor (an edge's `cursor` or "
        "`pageInfo.endCursor`); null starts at the beginning."
    ),
]


@strawberry.type(description="Where a page sits in its list (Relay).")
class PageInfo:
    has_next_page: bool = strawberry.field(description="More items follow: ask again with `after: endCursor`.")
    has_previous_page: bool = strawberry.field(description="This page was asked for with `after` (not the first).")
    start_cursor: str | None = strawberry.field(description="The first edge's cursor; null on an empty page.")
    end_cursor: str | None = strawberry.field(description="The last edge's cursor; null on an empty page.")


@strawberry.type(description="One item of a page with its cursor (Relay).")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="An opaque keyset cursor: pass it as `after` to continue from here.")
    node: T = strawberry.field(description="The item.")


@strawberry.type(
    description="One page of a list (Relay connection). Keyset cursors: pages stay complete and "
    "stable while items are added between requests."
)
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="The items of this page, in the list's order.")
    page_info: PageInfo = strawberry.field(description="Whether more pages follow, and the cursors to get them.")
    counted: strawberry.Private[QuerySet[Any]]

    @strawberry.field(description="How many items the whole list holds (every page, with the filters applied).")
    async def total_count(self) -> int:
        """A COUNT(*) of the whole selection: run only when a client asks for it."""
        return await self.counted.count()


BIGINT = 2**63
MAX_TEXT_KEY = 1000


def _fits(value: object, kind: type) -> bool:
    """A cursor value of the column's own type and range; anything else would fail inside the SQL query."""
    if kind is int:
        return type(value) is int and -BIGINT <= value < BIGINT
    return type(value) is str and len(value) <= MAX_TEXT_KEY


def _instant(value: str) -> datetime:
    """A datetime column's cursor value: an ISO-8601 instant with its offset (a naive one is refused)."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise invalid_cursor() from None
    if moment.tzinfo is None:
        raise invalid_cursor()
    return moment


def invalid_cursor() -> GraphQLError:
    return GraphQLError("invalid cursor", extensions={"code": "BAD_USER_INPUT"})


@dataclass(frozen=True)
class Keyset:
    """An order: optionally one column (`kind`: int, str or datetime), then the primary key as the tie-breaker."""

    column: str | None = None
    descending: bool = False
    id_descending: bool = False
    kind: type = int

    def order(self) -> list[str]:
        ids = "-id" if self.id_descending else "id"
        if self.column is None:
            return [ids]
        return [("-" if self.descending else "") + self.column, ids]

    def cursor(self, row: Model) -> str:
        value = getattr(row, self.column) if self.column else None
        if isinstance(value, datetime):
            value = value.isoformat()
        return self.cursor_of(row.pk, value)

    def cursor_of(self, pk: int, value: object = None) -> str:
        """The cursor of an item by its key (for lists that are not one model's rows)."""
        key = [value, pk] if self.column else [pk]
        return base64.urlsafe_b64encode(json.dumps(key).encode()).decode()

    def pk_after(self, cursor: str) -> tuple[int, list[Any]]:
        """The primary key a cursor names, and its whole key; BAD_USER_INPUT for anything else."""
        try:
            key = json.loads(base64.urlsafe_b64decode(cursor.encode()))
        except (ValueError, TypeError, UnicodeError):
            raise invalid_cursor() from None
        if not isinstance(key, list) or len(key) != (2 if self.column else 1):
            raise invalid_cursor()
        pk = key[-1]
        if type(pk) is not int or not 0 <= pk <= MAX_PK:
            raise invalid_cursor()
        return pk, key

    def after(self, cursor: str) -> Q:
        pk, key = self.pk_after(cursor)
        id_q = Q(id__lt=pk) if self.id_descending else Q(id__gt=pk)
        if self.column is None:
            return id_q
        value = key[0]
        if not _fits(value, str if self.kind is datetime else self.kind):
            raise invalid_cursor()
        if self.kind is datetime:
            value = _instant(value)
        op = "lt" if self.descending else "gt"
        beyond = Q(**{f"{self.column}__{op}": value}) | (Q(**{self.column: value}) & id_q)
        # The same rows, with a bound an index range can start from (the OR alone is a filter on a walk
        # from the first row: a deep page would read every row before it).
        return Q(**{f"{self.column}__{op}e": value}) & beyond


BY_ID = Keyset()
NEWEST_FIRST = Keyset(id_descending=True)
# Sales by when they happened (a sale imported or sent late sits where it occurred), newest first.
LATEST_SALE_FIRST = Keyset(column="occurred_at", descending=True, id_descending=True, kind=datetime)
RECRUITED_LAST_FIRST = Keyset(column="recruited_at", descending=True, id_descending=True, kind=datetime)


def page_size(first: int | None) -> int:
    if first is None:
        return DEFAULT_PAGE
    if first < 0 or first > MAX_PAGE:
        raise GraphQLError(f"first must be between 0 and {MAX_PAGE}", extensions={"code": "BAD_USER_INPUT"})
    return first


def page_query(query: QuerySet[M], keyset: Keyset, size: int, after: str | None) -> QuerySet[M]:
    """The rows of one page and one more (first: 0 still learns hasNextPage), in the keyset's order."""
    paged = query.filter(keyset.after(after)) if after is not None else query
    return paged.order_by(*keyset.order()).limit(size + 1)


async def fetch_page(
    query: QuerySet[M], keyset: Keyset, first: int | None, after: str | None, arms: Sequence[QuerySet[M]] = ()
) -> tuple[list[M], bool]:
    """One page of rows (a LIMIT n+1 query) and whether more follow.

    `arms`, when there are several, split the selection into parts that an index each reads in the
    keyset's order (one per value of an IN list: an index led by a column cannot give `IN (a, b)` in
    the order of the columns after it). Each arm reads at most a page; the page is ordered out of
    those few rows, never out of the whole selection.
    """
    size = page_size(first)
    if len(arms) > 1:
        pages = [Q(id__in=Subquery(page_query(arm, keyset, size, after).values("id"))) for arm in arms]
        query = query.model.filter(Q(*pages, join_type=Q.OR))
        after = None
    rows = list(await page_query(query, keyset, size, after))
    return rows[:size], len(rows) > size


def build_connection(
    rows: Sequence[M],
    has_next: bool,
    counted: QuerySet[M],
    keyset: Keyset,
    convert: Callable[[M], T],
    after: str | None,
) -> Connection[T]:
    edges = [Edge(cursor=keyset.cursor(row), node=convert(row)) for row in rows]
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=has_next,
            has_previous_page=after is not None,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
        counted=counted,
    )


async def paginate(
    query: QuerySet[M],
    keyset: Keyset,
    convert: Callable[[M], T],
    first: int | None,
    after: str | None,
    arms: Sequence[QuerySet[M]] = (),
) -> Connection[T]:
    rows, has_next = await fetch_page(query, keyset, first, after, arms)
    return build_connection(rows, has_next, query, keyset, convert, after)


def _names(selections: Sequence[Selection], path: Sequence[str]) -> set[str]:
    found: set[str] = set()
    for selection in selections:
        if isinstance(selection, FragmentSpread | InlineFragment):
            found |= _names(selection.selections, path)
        elif not path:
            found.add(selection.name)
        elif selection.name == path[0]:
            found |= _names(selection.selections, path[1:])
    return found


def node_fields(info: Info[Any, Any]) -> set[str]:
    """The GraphQL names of the fields selected on `edges { node { ... } }` of this connection field
    (through fragments); for loading, up front, what a page will show."""
    return _names(info.selected_fields[0].selections, ("edges", "node"))
