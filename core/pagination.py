"""Relay pagination done by the database: keyset on the sort columns.

A connection is ordered by some columns ending in a unique id; a cursor holds
that row's values of them. The next page is one
``SELECT ... WHERE (k1, id) > (:k1, :id) ORDER BY k1, id LIMIT first + 1``,
so reading page 500 costs what reading page 1 does, and rows added meanwhile
neither repeat nor vanish. ``first`` is bounded by ``CRM_MAX_PAGE_SIZE``;
cursors are opaque to clients.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import orjson
import strawberry
from sqlalchemy import Select, func, select, true, tuple_
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.types import TypeDecorator
from strawberry import relay
from strawberry.relay.utils import from_base64, to_base64
from strawberry.types import Info

from core.errors import RequestError
from core.ids import parse_id

T = TypeVar("T")
E = TypeVar("E")
Key = InstrumentedAttribute[Any]
CURSOR_PREFIX = "cursor"
DEFAULT_PAGE_SIZE = 20


def _invalid() -> RequestError:
    return RequestError("The cursor is not one this API gave out.", "INVALID_CURSOR")


def encode_cursor(*values: Any) -> str:
    """An opaque cursor for a row whose sort values are ``values`` (the last its id)."""
    # orjson writes dates and datetimes in ISO 8601, as _typed reads them back
    return to_base64(CURSOR_PREFIX, orjson.dumps(values, default=str).decode())


def decode_position(cursor: str, sort_keys: Sequence[Key], ordering: str = "") -> list[Any]:
    """The values a cursor holds: one per sort key, typed like it, then the row's
    id. A cursor of another shape, or made for another ``ordering`` of the same
    list, is refused with INVALID_CURSOR."""
    try:
        prefix, text = from_base64(cursor)
        values = json.loads(text) if prefix == CURSOR_PREFIX else None
    except (ValueError, TypeError):
        raise _invalid() from None
    if ordering:
        if not isinstance(values, list) or not values or values[0] != ordering:
            raise _invalid()
        values = values[1:]
    if not isinstance(values, list) or len(values) != len(sort_keys) + 1:
        raise _invalid()
    *sort_values, last = values
    identity = parse_id(str(last)) if isinstance(last, int) else None
    if identity is None:
        raise _invalid()
    try:
        typed = [_typed(value, key) for value, key in zip(sort_values, sort_keys, strict=True)]
    except (ValueError, TypeError):
        raise _invalid() from None
    return [*typed, identity]


def _typed(value: Any, key: Key) -> Any:
    kind = _python_type(key)
    if kind is datetime:
        return datetime.fromisoformat(value)
    if kind is date:
        return date.fromisoformat(value)
    if not isinstance(value, str | int) or isinstance(value, bool):
        raise TypeError(value)
    return kind(value)


def _python_type(key: Key) -> type:
    """The Python type of a sort column, seen through a TypeDecorator (whose own
    ``python_type`` SQLAlchemy leaves as ``object``)."""
    column_type = key.type
    if isinstance(column_type, TypeDecorator):
        column_type = column_type.impl_instance
    return column_type.python_type


def decode_cursor(cursor: str) -> int:
    """The id a cursor of an id-ordered connection holds."""
    return decode_position(cursor, [])[0]


def page_size(first: int | None, maximum: int) -> int:
    size = min(DEFAULT_PAGE_SIZE, maximum) if first is None else first
    if size < 0 or size > maximum:
        raise RequestError(f"first must be between 0 and {maximum}.", "INVALID_PAGE_SIZE")
    return size


@dataclass
class Page(Generic[T]):
    rows: list[T]
    page_info: relay.PageInfo
    cursors: list[str]

    def edges(self, edge_type: type[E]) -> list[E]:
        """The page as ``edge_type(cursor=..., node=...)`` objects, in order."""
        pairs = zip(self.cursors, self.rows, strict=True)
        return [edge_type(cursor=cursor, node=row) for cursor, row in pairs]  # type: ignore[call-arg]


async def keyset_page(
    session: AsyncSession,
    statement: Select[tuple[T]],
    keys: Key | Sequence[Key],
    *,
    first: int | None,
    after: str | None,
    maximum: int,
    descending: bool = False,
    ordering: str = "",
) -> Page[T]:
    """One page of ``statement``'s rows ordered by ``keys`` (the last unique), after
    cursor ``after``; newest-first lists pass ``descending``. A list offered in
    several orders names each (``ordering``), so that a cursor made for one is
    refused for another instead of giving a wrong page."""
    keys = [keys] if isinstance(keys, InstrumentedAttribute) else list(keys)
    size = page_size(first, maximum)
    if after is not None:
        position = tuple_(*keys)
        values = tuple_(*decode_position(after, keys[:-1], ordering))
        statement = statement.where(position < values if descending else position > values)
    order = [key.desc() if descending else key.asc() for key in keys]
    rows = list(await session.scalars(statement.order_by(*order).limit(size + 1)))
    has_next = len(rows) > size
    rows = rows[:size]
    tag = [ordering] if ordering else []
    cursors = [encode_cursor(*tag, *(getattr(row, key.key) for key in keys)) for row in rows]
    info = relay.PageInfo(
        has_next_page=has_next,
        has_previous_page=after is not None,
        start_cursor=cursors[0] if cursors else None,
        end_cursor=cursors[-1] if cursors else None,
    )
    return Page(rows=rows, page_info=info, cursors=cursors)


async def count(session: AsyncSession, statement: Select[Any]) -> int:
    """How many rows ``statement`` selects, counted by the database."""
    return await session.scalar(select(func.count()).select_from(statement.subquery())) or 0


@strawberry.type
class CountedConnection:
    """A connection's ``totalCount``, counted by the database only when a query
    asks for it: counting a bank's customers costs more than a page of them."""

    counted: strawberry.Private[Select[Any]]

    @strawberry.field(description="How many there are across all the pages.")
    async def total_count(self, info: Info) -> int:
        return await count(info.context.session, self.counted)


async def keyset_pages_per_parent(
    session: AsyncSession,
    statement: Select[tuple[Any]],
    parent: Key,
    parent_ids: Sequence[Any],
    keys: Sequence[Key],
    *,
    size: int,
    after: str | None,
    descending: bool = False,
    row_type: type[T] | None = None,
) -> dict[Any, Page[T]]:
    """The same page of a list for many parents (the last ten transactions of
    each of fifty accounts) in one statement. ``parent`` is a foreign key; for
    each parent row the database seeks its first ``size + 1`` rows down an
    index (on PostgreSQL a ``LATERAL`` join; SQLite, which has none, names
    them by a correlated subquery with ``LIMIT``), rather than numbering every
    row of every parent with a window. ``size`` comes from :func:`page_size`.

    With ``row_type``, a ``NamedTuple`` naming some of the entity's columns,
    the rows are read as those columns into that type instead of as ORM
    objects: for long read-only lists, which then cost neither the ORM's
    bookkeeping nor the reference cycles it leaves for the garbage collector."""
    model = statement.column_descriptions[0]["entity"]
    if after is not None:
        position = tuple_(*keys)
        values = tuple_(*decode_position(after, keys[:-1]))
        statement = statement.where(position < values if descending else position > values)
    order = [key.desc() if descending else key.asc() for key in keys]
    (foreign_key,) = parent.property.columns[0].foreign_keys  # type: ignore[attr-defined]
    parent_key = foreign_key.column
    first = (
        statement.where(parent == parent_key)
        .order_by(*order)
        .limit(size + 1)
        .correlate(parent_key.table)
    )
    entity: Any
    if session.get_bind().dialect.name == "postgresql":
        page = first.lateral()
        entity, columns = aliased(model, page), page.c
        read = select(entity).select_from(parent_key.table).join(page, true())
    else:
        entity = columns = aliased(model)
        chosen = first.with_only_columns(keys[-1])  # the unique key: the row's id
        read = select(entity).join(parent_key.table, getattr(entity, keys[-1].key).in_(chosen))
    ordered = [getattr(columns, key.key) for key in keys]
    read = read.where(parent_key.in_(list(parent_ids))).order_by(
        getattr(columns, parent.key),
        *(column.desc() if descending else column.asc() for column in ordered),
    )
    found: Iterable[Any]
    if row_type is None:
        found = await session.scalars(read)
    else:
        fields = [getattr(columns, name) for name in row_type._fields]  # type: ignore[attr-defined]
        found = map(row_type._make, await session.execute(read.with_only_columns(*fields)))  # type: ignore[attr-defined]
    by_parent: dict[Any, list[T]] = {parent_id: [] for parent_id in parent_ids}
    for item in found:
        by_parent[getattr(item, parent.key)].append(item)
    pages = {}
    for parent_id, rows in by_parent.items():
        cursors = [encode_cursor(*(getattr(r, key.key) for key in keys)) for r in rows[:size]]
        pages[parent_id] = Page(
            rows=rows[:size],
            cursors=cursors,
            page_info=relay.PageInfo(
                has_next_page=len(rows) > size,
                has_previous_page=after is not None,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
        )
    return pages
