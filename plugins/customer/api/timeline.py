"""``Customer.timeline``: every plugin's events on one customer, newest first.

Loaded for many customers at once: the DataLoader's key is
``(customer_id, first, after)``, and each batch asks the plugins once per
distinct ``(first, after)``, so a page of customers each showing its latest
events costs one statement per source, however many customers there are.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime

import strawberry
from strawberry import relay
from strawberry.relay.utils import from_base64
from strawberry.types import Info

from core.context import Context
from core.errors import RequestError
from core.graphql import extends
from core.pagination import CURSOR_PREFIX, encode_cursor, page_size
from plugins.customer import models
from plugins.customer.timeline import (
    Position,
    TimelineEvent,
    TimelinePage,
    TimelineQuery,
    customer_timelines,
)

DEFAULT_TIMELINE_SIZE = 10


@strawberry.type(name="TimelineEvent", description="Something that happened to a customer.")
class TimelineEventType:
    occurred_at: datetime
    kind: str = strawberry.field(
        description="What happened, e.g. customer.registered, customer.interaction."
    )
    title: str = strawberry.field(description="One line for people to read.")
    source: str = strawberry.field(description="The plugin the event comes from.")


@strawberry.type
class TimelineEdge:
    cursor: str
    node: TimelineEventType


@strawberry.type
class TimelineConnection:
    edges: list[TimelineEdge]
    page_info: relay.PageInfo


def timeline_cursor(event: TimelineEvent) -> str:
    return encode_cursor(*event.position)


def decode_timeline_cursor(cursor: str) -> Position:
    """The position a timeline cursor holds; INVALID_CURSOR for any other string."""
    invalid = RequestError("The cursor is not one this API gave out.", "INVALID_CURSOR")
    try:
        prefix, text = from_base64(cursor)
        values = json.loads(text) if prefix == CURSOR_PREFIX else None
    except (ValueError, TypeError):
        raise invalid from None
    if not (
        isinstance(values, list) and len(values) == 3 and all(isinstance(v, str) for v in values)
    ):
        raise invalid
    try:
        occurred_at = datetime.fromisoformat(values[0])
    except ValueError:
        raise invalid from None
    if occurred_at.tzinfo is None:
        raise invalid
    return occurred_at.astimezone(UTC), values[1], values[2]


TimelineKey = tuple[int, int, str | None]


async def timeline_pages(context: Context, keys: Sequence[TimelineKey]) -> list[TimelinePage]:
    """One more event than asked for per key, to tell whether there is a next page."""
    groups: dict[tuple[int, str | None], list[int]] = defaultdict(list)
    for customer_id, first, after in keys:
        groups[(first, after)].append(customer_id)
    pages: dict[TimelineKey, TimelinePage] = {}
    for (first, after), customer_ids in groups.items():
        query = TimelineQuery(
            customer_ids=tuple(dict.fromkeys(customer_ids)),
            before=decode_timeline_cursor(after) if after is not None else None,
            limit=first + 1,
        )
        found = await customer_timelines(context.runtime.plugins, context.session, query)
        for customer_id, page in found.items():
            pages[(customer_id, first, after)] = page
    return [pages[key] for key in keys]


@extends("Customer")
@strawberry.type
class CustomerTimeline:
    @strawberry.field(description="What happened to the customer, from every plugin, newest first.")
    async def timeline(
        self,
        root: strawberry.Parent[models.Customer],
        info: Info,
        first: int | None = DEFAULT_TIMELINE_SIZE,
        after: str | None = None,
    ) -> TimelineConnection:
        context: Context = info.context
        size = page_size(
            DEFAULT_TIMELINE_SIZE if first is None else first,
            context.runtime.settings.max_page_size,
        )
        if after is not None:
            # A bad cursor is refused here, for this field, not in the batch for all.
            decode_timeline_cursor(after)
        events = await context.loader(timeline_pages).load((root.id, size, after))  # type: ignore[arg-type]
        shown = events[:size]
        cursors = [timeline_cursor(event) for event in shown]
        return TimelineConnection(
            edges=[
                TimelineEdge(cursor=cursor, node=event)  # type: ignore[arg-type]
                for cursor, event in zip(cursors, shown, strict=True)
            ],
            page_info=relay.PageInfo(
                has_next_page=len(events) > size,
                has_previous_page=after is not None,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
        )
