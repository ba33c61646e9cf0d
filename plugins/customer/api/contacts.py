"""Contact history and follow-up in GraphQL: ``Interaction`` and ``FollowUp``,
a customer's contacts and tasks, the caller's task list, and the mutations
that record and work them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

import strawberry
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import aliased
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, extends, int_ids, model_type_check, mutation, node_id, query
from core.loaders import one_per_key
from core.pagination import decode_position, encode_cursor, page_size
from plugins.customer import contacts, loaders, models
from plugins.customer.api.customers import Customer, customer_in_scope, reads_customers
from plugins.customer.models import ContactChannel, ContactDirection, FollowUpStatus
from plugins.customer.permissions import CUSTOMER_CONTACT
from plugins.customer.scope import in_scope
from plugins.security import loaders as staff_loaders
from plugins.security.types import User

strawberry.enum(ContactChannel, description="How the bank and the customer were in touch.")
strawberry.enum(ContactDirection, description="OUTBOUND: the bank reached out.")
strawberry.enum(FollowUpStatus)


# ---------------------------------------------------------------- loaders


async def interactions_by_id(
    context: Context, ids: Sequence[int | None]
) -> list[models.Interaction | None]:
    """Contacts with customers the viewer may reach; None for any other."""
    rows = await context.session.scalars(
        select(models.Interaction)
        .join(models.Customer, models.Customer.id == models.Interaction.customer_id)  # type: ignore[arg-type]
        .where(
            models.Interaction.id.in_([i for i in ids if i is not None]),  # type: ignore[union-attr]
            in_scope(context.user),
        )
    )
    return one_per_key(ids, rows, lambda row: row.id)  # type: ignore[arg-type, return-value]


async def follow_ups_by_id(
    context: Context, ids: Sequence[int | None]
) -> list[models.FollowUp | None]:
    """Follow-ups of customers the viewer may reach; None for any other."""
    rows = await context.session.scalars(
        select(models.FollowUp)
        .join(models.Customer, models.Customer.id == models.FollowUp.customer_id)  # type: ignore[arg-type]
        .where(
            models.FollowUp.id.in_([i for i in ids if i is not None]),  # type: ignore[union-attr]
            in_scope(context.user),
        )
    )
    return one_per_key(ids, rows, lambda row: row.id)  # type: ignore[arg-type, return-value]


PageKey = tuple[int, int, str | None]
"""``(customer_id, first, after)``."""


async def interaction_pages(
    context: Context, keys: Sequence[PageKey]
) -> list[list[models.Interaction]]:
    """Each customer's contacts newest first, after a cursor: one more than ``first``
    (to tell whether there is a next page), one statement per ``(first, after)``."""
    contact = models.Interaction
    groups: dict[tuple[int, str | None], list[int]] = defaultdict(list)
    for customer_id, first, after in keys:
        groups[(first, after)].append(customer_id)
    pages: dict[PageKey, list[models.Interaction]] = {key: [] for key in keys}
    for (first, after), customer_ids in groups.items():
        older = []
        if after is not None:
            at, identity = decode_position(after, [contact.occurred_at])
            older.append(
                or_(
                    contact.occurred_at < at,
                    and_(contact.occurred_at == at, contact.id < identity),  # type: ignore[operator]
                )
            )
        position = func.row_number().over(
            partition_by=contact.customer_id,
            order_by=(contact.occurred_at.desc(), contact.id.desc()),  # type: ignore[attr-defined, union-attr]
        )
        ranked = (
            select(contact, position.label("position"))
            .where(contact.customer_id.in_(customer_ids), *older)  # type: ignore[attr-defined]
            .subquery()
        )
        row = aliased(contact, ranked)
        rows = await context.session.scalars(
            select(row)
            .where(ranked.c.position <= first + 1)
            .order_by(ranked.c.customer_id, ranked.c.position)
        )
        for interaction in rows:
            pages[(interaction.customer_id, first, after)].append(interaction)
    return [pages[key] for key in keys]


StatusKey = tuple[int, tuple[FollowUpStatus, ...] | None]


async def follow_ups_by_customer(
    context: Context, keys: Sequence[StatusKey]
) -> list[list[models.FollowUp]]:
    """Each customer's follow-ups in the statuses asked for (None: every one), by due date."""
    follow_up = models.FollowUp
    statement = select(follow_up).where(
        follow_up.customer_id.in_({customer_id for customer_id, _ in keys})  # type: ignore[attr-defined]
    )
    wanted = {status for _, statuses in keys for status in statuses or FollowUpStatus}
    if wanted != set(FollowUpStatus):
        statement = statement.where(follow_up.status.in_(wanted))  # type: ignore[attr-defined]
    rows = list(await context.session.scalars(statement.order_by(follow_up.due_on, follow_up.id)))
    return [
        [
            row
            for row in rows
            if row.customer_id == customer_id and (statuses is None or row.status in statuses)
        ]
        for customer_id, statuses in keys
    ]


# ---------------------------------------------------------------- types


@strawberry.type(description="A contact with a customer (沟通记录): who, when, how, what was said.")
class Interaction(relay.Node):
    id: relay.NodeID[int]
    channel: ContactChannel
    direction: ContactDirection
    summary: str
    occurred_at: datetime
    created_at: datetime = strawberry.field(description="When it was recorded.")

    is_type_of = model_type_check(models.Interaction)

    @strawberry.field
    async def customer(self, root: strawberry.Parent[models.Interaction], info: Info) -> Customer:
        return await info.context.loader(loaders.customers_by_id).load(root.customer_id)

    @strawberry.field(description="Who made or took the contact.")
    async def staff(self, root: strawberry.Parent[models.Interaction], info: Info) -> User:
        return await info.context.loader(staff_loaders.users_by_id).load(root.staff_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Interaction | None]:
        if not reads_customers(info):
            return [None for _ in node_ids]
        return await info.context.loader(interactions_by_id).load_many(int_ids(node_ids))


@strawberry.type
class InteractionEdge:
    cursor: str
    node: Interaction


@strawberry.type
class InteractionConnection:
    edges: list[InteractionEdge]
    page_info: relay.PageInfo


@strawberry.type(description="Something a member of staff must do for a customer by a date.")
class FollowUp(relay.Node):
    id: relay.NodeID[int]
    title: str
    due_on: date
    status: FollowUpStatus
    created_at: datetime
    completed_at: datetime | None = strawberry.field(
        description="When it was done or cancelled; null while open."
    )
    closing_note: str | None = strawberry.field(
        description="What came of it, or why it was cancelled."
    )

    is_type_of = model_type_check(models.FollowUp)

    @strawberry.field(description="Open and due before today (in the bank's time zone).")
    def overdue(self, root: strawberry.Parent[models.FollowUp], info: Info) -> bool:
        today = info.context.runtime.settings.today()
        return root.status is FollowUpStatus.OPEN and root.due_on < today

    @strawberry.field
    async def customer(self, root: strawberry.Parent[models.FollowUp], info: Info) -> Customer:
        return await info.context.loader(loaders.customers_by_id).load(root.customer_id)

    @strawberry.field(description="Who is to do it.")
    async def assignee(self, root: strawberry.Parent[models.FollowUp], info: Info) -> User:
        return await info.context.loader(staff_loaders.users_by_id).load(root.assignee_id)

    @strawberry.field(description="Who set it.")
    async def created_by(self, root: strawberry.Parent[models.FollowUp], info: Info) -> User:
        return await info.context.loader(staff_loaders.users_by_id).load(root.created_by_id)

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.FollowUp | None]:
        if not reads_customers(info):
            return [None for _ in node_ids]
        return await info.context.loader(follow_ups_by_id).load_many(int_ids(node_ids))


# ---------------------------------------------------------------- fields on Customer


@extends("Customer")
@strawberry.type
class CustomerContacts:
    @strawberry.field(description="Contacts with the customer, newest first.")
    async def interactions(
        self,
        root: strawberry.Parent[models.Customer],
        info: Info,
        first: int | None = None,
        after: str | None = None,
    ) -> InteractionConnection:
        context: Context = info.context
        size = page_size(first, context.runtime.settings.max_page_size)
        if after is not None:
            # A bad cursor is refused here, for this field, not in the batch for all.
            decode_position(after, [models.Interaction.occurred_at])
        rows = await context.loader(interaction_pages).load((root.id, size, after))  # type: ignore[arg-type]
        shown = rows[:size]
        cursors = [encode_cursor(row.occurred_at, row.id) for row in shown]
        return InteractionConnection(
            edges=[
                InteractionEdge(cursor=cursor, node=row)  # type: ignore[arg-type]
                for cursor, row in zip(cursors, shown, strict=True)
            ],
            page_info=relay.PageInfo(
                has_next_page=len(rows) > size,
                has_previous_page=after is not None,
                start_cursor=cursors[0] if cursors else None,
                end_cursor=cursors[-1] if cursors else None,
            ),
        )

    @strawberry.field(
        description="Follow-up tasks for the customer by due date; no status: every one."
    )
    async def follow_ups(
        self,
        root: strawberry.Parent[models.Customer],
        info: Info,
        status: list[FollowUpStatus] | None = None,
    ) -> list[FollowUp]:
        statuses = tuple(sorted(set(status))) if status is not None else None
        return await info.context.loader(follow_ups_by_customer).load((root.id, statuses))  # type: ignore[arg-type, return-value]


# ---------------------------------------------------------------- the task list


@strawberry.type
class ContactsQuery:
    @query(permission=CUSTOMER_CONTACT)
    async def my_follow_ups(self, info: Info, due_by: date | None = None) -> list[FollowUp]:
        """Your open follow-ups due on or before ``dueBy`` (default: today), overdue first."""
        context: Context = info.context
        user = context.user
        rows = await context.session.scalars(
            select(models.FollowUp)
            .join(models.Customer, models.Customer.id == models.FollowUp.customer_id)  # type: ignore[arg-type]
            .where(
                models.FollowUp.assignee_id == user.user_id,
                models.FollowUp.status == FollowUpStatus.OPEN,
                models.FollowUp.due_on <= (due_by or context.runtime.settings.today()),
                in_scope(user),
            )
            .order_by(models.FollowUp.due_on, models.FollowUp.id)
        )
        return list(rows)  # type: ignore[arg-type]


# ---------------------------------------------------------------- mutations


@strawberry.input
class RecordInteractionInput:
    customer_id: relay.GlobalID
    channel: ContactChannel
    direction: ContactDirection
    summary: str
    occurred_at: datetime | None = strawberry.field(
        default=None,
        description="Default: now. Not in the future; without a zone, the bank's time.",
    )


@strawberry.input
class ScheduleFollowUpInput:
    customer_id: relay.GlobalID
    title: str
    due_on: date
    assignee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Staff who can reach the customer; default: you."
    )


@strawberry.input
class CompleteFollowUpInput:
    follow_up_id: relay.GlobalID
    outcome: str | None = None


@strawberry.input
class CancelFollowUpInput:
    follow_up_id: relay.GlobalID
    reason: str


@strawberry.type
class InteractionPayload:
    interaction: Interaction | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class FollowUpPayload:
    follow_up: FollowUp | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


async def follow_up_in_scope(info: Info, id: relay.GlobalID) -> models.FollowUp:
    """The follow-up a mutation names, refusing a missing or out-of-scope one alike."""
    follow_up = await info.context.loader(follow_ups_by_id).load(node_id(id, "FollowUp"))
    if follow_up is None:
        raise BusinessError("NOT_FOUND", "There is no such follow-up.", ["input", "followUpId"])
    return follow_up


@strawberry.type
class ContactsMutation:
    @mutation(permission=CUSTOMER_CONTACT)
    async def record_interaction(
        self, info: Info, input: RecordInteractionInput
    ) -> InteractionPayload:
        """Record a call, visit, meeting, e-mail, SMS or WeChat contact you had with a customer."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        interaction = await contacts.record_interaction(
            context.session,
            customer,
            staff_id=context.user.user_id,
            channel=input.channel,
            direction=input.direction,
            summary=input.summary,
            occurred_at=input.occurred_at,
            zone=context.runtime.settings.zone,
        )
        return InteractionPayload(interaction=interaction)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_CONTACT)
    async def schedule_follow_up(self, info: Info, input: ScheduleFollowUpInput) -> FollowUpPayload:
        """Set a follow-up task for a customer, for yourself or a colleague."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        assignee_id: Any = None
        if input.assignee_id is not None:
            assignee_id = node_id(input.assignee_id, "User")
            if assignee_id is None:
                raise BusinessError(
                    "NOT_FOUND", "There is no such member of staff.", ["input", "assigneeId"]
                )
        follow_up = await contacts.schedule_follow_up(
            context.session,
            customer,
            title=input.title,
            due_on=input.due_on,
            assignee_id=assignee_id,
            by=context.user,
            today=context.runtime.settings.today(),
        )
        return FollowUpPayload(follow_up=follow_up)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_CONTACT)
    async def complete_follow_up(self, info: Info, input: CompleteFollowUpInput) -> FollowUpPayload:
        """Mark an open follow-up done."""
        follow_up = await follow_up_in_scope(info, input.follow_up_id)
        follow_up = await contacts.complete_follow_up(
            info.context.session, follow_up, input.outcome
        )
        return FollowUpPayload(follow_up=follow_up)  # type: ignore[arg-type]

    @mutation(permission=CUSTOMER_CONTACT)
    async def cancel_follow_up(self, info: Info, input: CancelFollowUpInput) -> FollowUpPayload:
        """Cancel an open follow-up that no longer needs doing."""
        follow_up = await follow_up_in_scope(info, input.follow_up_id)
        follow_up = await contacts.cancel_follow_up(info.context.session, follow_up, input.reason)
        return FollowUpPayload(follow_up=follow_up)  # type: ignore[arg-type]
