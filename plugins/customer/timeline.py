"""One customer timeline, to which every plugin contributes its events.

Each plugin answers the ``crm_customer_timeline`` hook (``plugins.customer.hookspecs``)
from its own tables: for a set of customers, its newest events older than a
position, at most ``limit`` per customer, in one statement for all of them.
:func:`customer_timelines` asks every plugin and merges the answers, so that a
page of a hundred customers costs one statement per source, not per customer.

Events are ordered newest first by ``(occurred_at, source, key)``: the position.
Keys are compared as strings, so a source pads the numbers in them
(``interaction:0000000017``) to make string order its own order.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, true

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.plugins import PluginRegistry

Position = tuple[datetime, str, str]
"""Where an event sits on a timeline: ``(occurred_at, source, key)``."""


@dataclass(frozen=True)
class TimelineEvent:
    """Something that happened to a customer, as a line on their timeline.

    ``title`` is short and human ("Relationship manager changed to 王芳"); it may
    name staff, never show an identity number or a phone number. ``source`` is
    the plugin's name; ``key`` is unique within the source. ``occurred_at`` is
    time-zone aware.
    """

    customer_id: int
    occurred_at: datetime
    kind: str
    title: str
    source: str
    key: str

    @property
    def position(self) -> Position:
        return (self.occurred_at, self.source, self.key)


@dataclass(frozen=True)
class TimelineQuery:
    """Events of ``customer_ids`` older than ``before`` (the position of the last
    event seen; None: from the newest), at most ``limit`` per customer."""

    customer_ids: tuple[int, ...]
    before: Position | None
    limit: int


TimelinePage = list[TimelineEvent]
"""One customer's events, newest first."""


def older_than(
    before: Position | None, source: str, tag: str, moment: Any, identity: Any
) -> ColumnElement[bool]:
    """SQL for a source's events of one kind that come after ``before`` newest first.

    An event sits at ``(moment, source, key_for(tag, identity))``; events at the
    very moment of ``before`` are told apart by source, then key.
    """
    if before is None:
        return true()
    at, before_source, key = before
    if before_source != source:
        return moment <= at if before_source > source else moment < at
    prefix = f"{tag}:"
    digits = key.removeprefix(prefix)
    if key.startswith(prefix) and len(digits) == 10 and digits.isascii() and digits.isdigit():
        return or_(moment < at, and_(moment == at, identity < int(digits)))
    if key.startswith(prefix):  # not a key this plugin gave out: skip the tie
        return moment < at
    # Every key of this kind starts with ``prefix``, so they all compare with ``key`` alike.
    return moment <= at if prefix < key else moment < at


def newest(
    query: TimelineQuery,
    source: str,
    columns: list[Any],
    customer_id: Any,
    moment: Any,
    identity: Any,
    tag: str,
) -> Select[Any]:
    """``columns`` of the customers' rows older than ``query.before``, numbered per
    customer newest first in a ``position`` column (1: the newest). Keep those
    at ``position <= query.limit``."""
    position = func.row_number().over(
        partition_by=customer_id, order_by=(moment.desc(), identity.desc())
    )
    return select(*columns, position.label("position")).where(
        customer_id.in_(query.customer_ids),
        older_than(query.before, source, tag, moment, identity),
    )


def key_for(kind: str, number: int) -> str:
    """A key whose string order is ``number``'s order (ids fit in ten digits)."""
    return f"{kind}:{number:010d}"


def newest_first(events: list[TimelineEvent]) -> TimelinePage:
    return sorted(events, key=lambda event: event.position, reverse=True)


async def customer_timelines(
    plugins: PluginRegistry, session: AsyncSession, query: TimelineQuery
) -> dict[int, TimelinePage]:
    """Every customer's page of ``query``: every plugin's events, merged newest
    first, at most ``query.limit`` each (an empty page for a customer with none)."""
    pages: dict[int, list[TimelineEvent]] = defaultdict(list)
    wanted = set(query.customer_ids)
    if wanted and query.limit > 0:
        answers = plugins.hook.crm_customer_timeline(session=session, query=query)
        for answer in answers:
            # One at a time: the request's session runs one statement at a time anyway.
            found: Mapping[int, TimelinePage] = await answer
            for customer_id, events in found.items():
                if customer_id in wanted:
                    pages[customer_id].extend(
                        event
                        for event in events
                        if query.before is None or event.position < query.before
                    )
    return {
        customer_id: newest_first(pages[customer_id])[: max(query.limit, 0)]
        for customer_id in query.customer_ids
    }
