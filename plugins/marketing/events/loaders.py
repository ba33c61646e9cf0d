"""Batch loads for events and invitations: one statement per batch.

Head office sees every event; a branch its own and head office's. An event's
invitations are listed only for customers within the viewer's scope; its
counts are of every invitation (seats are the event's, whoever fills them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, true

from core.authorization import Principal
from core.context import Context
from core.loaders import all_per_key, one_per_key
from core.pagination import Page, keyset_pages_per_parent
from plugins.customer.models import Customer
from plugins.customer.scope import in_scope
from plugins.marketing.events.models import Invitation, InvitationStatus, MarketingEvent


def events_in_scope(principal: Principal) -> ColumnElement[bool]:
    """Head office's events, and the viewer's branch's (head office: every one)."""
    if principal.branch_id is None:
        return true()
    return or_(
        MarketingEvent.branch_id.is_(None),  # type: ignore[union-attr]
        MarketingEvent.branch_id == principal.branch_id,
    )


async def events_by_id(context: Context, ids: Sequence[int | None]) -> list[MarketingEvent | None]:
    """Events the viewer may look up."""
    wanted = [i for i in ids if i is not None]
    rows = await context.session.scalars(
        select(MarketingEvent).where(
            MarketingEvent.id.in_(wanted),  # type: ignore[union-attr]
            events_in_scope(context.user),
        )
    )
    return one_per_key(ids, rows, lambda event: event.id)  # type: ignore[arg-type, return-value]


async def events_of_invitations(context: Context, ids: Sequence[int]) -> list[MarketingEvent]:
    """The events a visible customer was invited to, whichever branch runs them."""
    rows = await context.session.scalars(
        select(MarketingEvent).where(MarketingEvent.id.in_(ids))  # type: ignore[union-attr]
    )
    return one_per_key(ids, rows, lambda event: event.id)  # type: ignore[arg-type, return-value]


async def invitation_counts(
    context: Context, ids: Sequence[int]
) -> list[Counter[InvitationStatus]]:
    """How many of each event's invitations are in each status."""
    rows = await context.session.execute(
        select(Invitation.event_id, Invitation.status, func.count())
        .where(Invitation.event_id.in_(ids))  # type: ignore[attr-defined]
        .group_by(Invitation.event_id, Invitation.status)
    )
    found: dict[int, Counter[InvitationStatus]] = {i: Counter() for i in ids}
    for event_id, status, number in rows:
        found[event_id][status] = number
    return [found[i] for i in ids]


@dataclass(frozen=True)
class InvitationPage:
    """One page of an event's invitations, in the order they were sent: the loader's key."""

    event_id: int
    size: int
    after: str | None = None
    statuses: tuple[InvitationStatus, ...] = ()

    @property
    def shape(self) -> tuple[object, ...]:
        """What pages of different events share when loaded together."""
        return (self.size, self.after, self.statuses)


async def invitation_pages(
    context: Context, pages: Sequence[InvitationPage]
) -> list[Page[Invitation]]:
    """Pages of many events' invitations, of customers in the viewer's scope:
    one statement per distinct page shape."""
    found: dict[InvitationPage, Page[Invitation]] = {}
    shapes: dict[tuple[object, ...], list[InvitationPage]] = {}
    for page in pages:
        shapes.setdefault(page.shape, []).append(page)
    for group in shapes.values():
        sample = group[0]
        statement = (
            select(Invitation)
            .join(Customer, Customer.id == Invitation.customer_id)  # type: ignore[arg-type]
            .where(in_scope(context.user))
        )
        if sample.statuses:
            statement = statement.where(Invitation.status.in_(sample.statuses))  # type: ignore[attr-defined]
        by_event = await keyset_pages_per_parent(
            context.session,
            statement,
            Invitation.event_id,  # type: ignore[arg-type]
            [page.event_id for page in group],
            [Invitation.id],  # type: ignore[list-item]
            size=sample.size,
            after=sample.after,
        )
        found.update({page: by_event[page.event_id] for page in group})
    return [found[page] for page in pages]


async def invitations_by_customer(context: Context, ids: Sequence[int]) -> list[list[Invitation]]:
    """Each customer's invitations, the latest first."""
    rows = await context.session.scalars(
        select(Invitation)
        .where(Invitation.customer_id.in_(ids))  # type: ignore[attr-defined]
        .order_by(Invitation.id.desc())  # type: ignore[union-attr]
    )
    return all_per_key(ids, rows, lambda invitation: invitation.customer_id)
