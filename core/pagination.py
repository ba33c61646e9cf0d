"""Relay pagination done by the database: keyset on a unique, ordered column.

``first`` is bounded by ``CRM_MAX_PAGE_SIZE``; cursors are opaque. The page
is one ``SELECT ... WHERE key > :after ORDER BY key LIMIT first + 1``, so
reading page 500 costs what reading page 1 does.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute
from strawberry import relay
from strawberry.relay.utils import from_base64, to_base64

from core.errors import RequestError
from core.ids import parse_id

T = TypeVar("T")
E = TypeVar("E")
CURSOR_PREFIX = "cursor"
DEFAULT_PAGE_SIZE = 20


def encode_cursor(key: Any) -> str:
    return to_base64(CURSOR_PREFIX, key)


def decode_cursor(cursor: str) -> int:
    try:
        prefix, value = from_base64(cursor)
    except (ValueError, TypeError):
        prefix, value = None, ""
    key = parse_id(value) if prefix == CURSOR_PREFIX else None
    if key is None:
        raise RequestError("The cursor is not one this API gave out.", "INVALID_CURSOR")
    return key


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
        return [
            edge_type(cursor=c, node=row) for c, row in zip(self.cursors, self.rows, strict=True)
        ]


async def keyset_page(
    session: AsyncSession,
    statement: Select[tuple[T]],
    key: InstrumentedAttribute[int],
    *,
    first: int | None,
    after: str | None,
    maximum: int,
) -> Page[T]:
    """One page of ``statement``'s rows ordered by ``key``, after cursor ``after``."""
    size = page_size(first, maximum)
    if after is not None:
        statement = statement.where(key > decode_cursor(after))
    rows = list(await session.scalars(statement.order_by(key).limit(size + 1)))
    has_next = len(rows) > size
    rows = rows[:size]
    cursors = [encode_cursor(getattr(row, key.key)) for row in rows]
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
