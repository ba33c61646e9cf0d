"""Extension points the customer plugin offers to the plugins that require it.

Implement them with ``core.hookspecs.hookimpl`` like any other hook.
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING

from core.hookspecs import hookspec

if TYPE_CHECKING:
    from sqlalchemy import Select
    from sqlalchemy.ext.asyncio import AsyncSession

    from plugins.customer.timeline import TimelinePage, TimelineQuery


@hookspec
def crm_customer_assets() -> Select[tuple[int, int]] | None:
    """What customers hold with this plugin, as SQL: a SELECT of two columns,
    ``customer_id`` and ``amount``, the amount in fen (CNY minor units, an
    integer); a customer may have several rows, or none.

    It is never run alone: the customer plugin sums every plugin's rows in one
    statement, to set tiers and portfolios and to find customers by assets.
    """


@hookspec
def crm_customer_timeline(
    session: AsyncSession, query: TimelineQuery
) -> Awaitable[Mapping[int, TimelinePage]]:
    """This plugin's events on the customers' timelines: for each customer id in
    ``query``, at most ``query.limit`` events older than ``query.before``, newest
    first, in one statement for all the customers.

    Events of one moment are ordered by ``(source, key)``: give keys that sort as
    text the way your rows do (``"ticket:0000000017"``, zero-padded), or pages
    will skip or repeat events.
    """


@hookspec
def crm_customer_merge(
    session: AsyncSession, survivor_id: int, duplicate_id: int
) -> Awaitable[None]:
    """Move everything this plugin holds for ``duplicate_id`` to ``survivor_id``.

    Runs inside the merge's transaction: raise ``BusinessError`` to refuse the
    whole merge (for instance when both hold something that cannot be joined).
    """
