"""Tickets in GraphQL: the ticket and what happened to it, the customer's
tickets, the ticket lists, and the mutations that open and work them."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal

import strawberry
from sqlalchemy import false, select
from strawberry import relay
from strawberry.types import Info

from core.columns import utcnow
from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, extends, int_ids, model_type_check, mutation, node_id, query
from core.money import Money
from core.pagination import CountedConnection, keyset_page
from plugins.customer import loaders as customer_loaders
from plugins.customer.api.customers import Customer, customer_in_scope
from plugins.security import loaders as staff_loaders
from plugins.security.types import Branch, User
from plugins.service import loaders, models, sla
from plugins.service.complaints import record_complaint
from plugins.service.models import (
    Deadline,
    EscalationLevel,
    RootCause,
    TicketChannel,
    TicketKind,
    TicketPriority,
    TicketStatus,
)
from plugins.service.permissions import COMPLAINT_MANAGE, TICKET_READ, TICKET_WORK
from plugins.service.satisfaction import record_survey
from plugins.service.scope import tickets_in_scope
from plugins.service.tickets import (
    Opening,
    assign_ticket,
    comment_on_ticket,
    open_ticket,
    transition_ticket,
)

strawberry.enum(TicketKind)
strawberry.enum(TicketStatus)
strawberry.enum(TicketPriority)
strawberry.enum(TicketChannel, description="How the customer reached the bank.")
strawberry.enum(Deadline, name="TicketDeadline")
strawberry.enum(EscalationLevel)
strawberry.enum(RootCause, name="ComplaintRootCause")


@strawberry.type(description="A comment on a ticket; internal ones are for staff only.")
class TicketComment:
    body: str
    internal: bool
    written_at: datetime

    @strawberry.field
    async def written_by(
        self, root: strawberry.Parent[models.TicketComment], info: Info
    ) -> User | None:
        return await info.context.loader(staff_loaders.users_by_id).load(root.written_by)


@strawberry.type(description="A move of a ticket from one status to another.")
class TicketTransition:
    from_status: TicketStatus
    to_status: TicketStatus
    comment: str | None
    made_at: datetime

    @strawberry.field
    async def made_by(
        self, root: strawberry.Parent[models.TicketTransition], info: Info
    ) -> User | None:
        return await info.context.loader(staff_loaders.users_by_id).load(root.made_by)


@strawberry.type(description="A deadline of the ticket raised as at risk or breached.")
class TicketEscalation:
    deadline: Deadline
    level: EscalationLevel
    due_at: datetime
    escalated_at: datetime

    @strawberry.field(
        description="The branch managers, and for a complaint the relationship manager."
    )
    async def raised_to(self, root: strawberry.Parent[models.Escalation], info: Info) -> list[User]:
        ids = [int(i) for i in root.branch_manager_ids.split(",") if i]
        if root.relationship_manager_id is not None:
            ids.append(root.relationship_manager_id)
        users = await info.context.loader(staff_loaders.users_by_id).load_many(ids)
        return [user for user in users if user is not None]


@strawberry.type(description="What a complaint adds: root cause, compensation, regulatory dates.")
class Complaint:
    root_cause: RootCause | None
    compensation_note: str | None
    received_on: date
    acknowledged_on: date | None
    closed_on: date | None

    @strawberry.field(description="Granted compensation, in CNY.")
    def compensation(self, root: strawberry.Parent[models.Complaint]) -> Money | None:
        if root.compensation is None:
            return None
        return Money(amount=root.compensation, currency="CNY")


@strawberry.type(description="The customer's satisfaction with a closed ticket.")
class TicketSurvey:
    satisfaction: int = strawberry.field(description="1 to 5.")
    recommend: int = strawberry.field(description="0 to 10: likelihood to recommend.")
    comment: str | None
    recorded_at: datetime


@strawberry.type(description="A consultation, after-sales request, complaint or request.")
class Ticket(relay.Node):
    id: relay.NodeID[int]
    ticket_no: str
    kind: TicketKind
    channel: TicketChannel
    status: TicketStatus
    priority: TicketPriority
    subject: str
    description: str
    account_no: str | None
    transaction_reference: str | None
    response_due_at: datetime = strawberry.field(description="Deadline of the first response.")
    resolution_due_at: datetime = strawberry.field(description="Deadline of the resolution.")
    first_responded_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    resolution: str | None = strawberry.field(description="The resolution note.")
    created_at: datetime

    is_type_of = model_type_check(models.Ticket)

    @strawberry.field(
        description="The deadline the ticket works to: the first response until there is "
        "one, then the resolution. Counted in the bank's business hours, paused while "
        "PENDING_CUSTOMER."
    )
    def sla_due_at(self, root: strawberry.Parent[models.Ticket]) -> datetime:
        running = sla.running_deadline(root)
        return running[1] if running is not None else root.resolution_due_at

    @strawberry.field(description="Whether a deadline was missed (or is past now).")
    def sla_breached(self, root: strawberry.Parent[models.Ticket]) -> bool:
        return sla.breached(root, utcnow())

    @strawberry.field
    async def customer(self, root: strawberry.Parent[models.Ticket], info: Info) -> Customer:
        return await info.context.loader(customer_loaders.customers_by_id).load(root.customer_id)

    @strawberry.field(description="Null while the ticket waits in its branch's queue.")
    async def assignee(self, root: strawberry.Parent[models.Ticket], info: Info) -> User | None:
        if root.assignee_id is None:
            return None
        return await info.context.loader(staff_loaders.users_by_id).load(root.assignee_id)

    @strawberry.field(description="The branch whose queue it is in.")
    async def queue(self, root: strawberry.Parent[models.Ticket], info: Info) -> Branch:
        return await info.context.loader(staff_loaders.branches_by_id).load(root.queue_branch_id)

    @strawberry.field(description="Oldest first.")
    async def comments(
        self, root: strawberry.Parent[models.Ticket], info: Info, include_internal: bool = True
    ) -> list[TicketComment]:
        comments = await info.context.loader(loaders.comments_by_ticket).load(root.id)
        return [c for c in comments if include_internal or not c.internal]  # type: ignore[misc]

    @strawberry.field(description="Every move between statuses, oldest first.")
    async def history(
        self, root: strawberry.Parent[models.Ticket], info: Info
    ) -> list[TicketTransition]:
        return await info.context.loader(loaders.transitions_by_ticket).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="Oldest first.")
    async def escalations(
        self, root: strawberry.Parent[models.Ticket], info: Info
    ) -> list[TicketEscalation]:
        return await info.context.loader(loaders.escalations_by_ticket).load(root.id)  # type: ignore[return-value]

    @strawberry.field(description="For a COMPLAINT.")
    async def complaint(
        self, root: strawberry.Parent[models.Ticket], info: Info
    ) -> Complaint | None:
        return await info.context.loader(loaders.complaints_by_ticket).load(root.id)  # type: ignore[return-value]

    @strawberry.field
    async def survey(
        self, root: strawberry.Parent[models.Ticket], info: Info
    ) -> TicketSurvey | None:
        return await info.context.loader(loaders.surveys_by_ticket).load(root.id)  # type: ignore[return-value]

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[models.Ticket | None]:
        if not info.context.user.can(TICKET_READ):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.tickets_by_id).load_many(int_ids(node_ids))


@extends("Customer")
@strawberry.type
class CustomerTickets:
    @strawberry.field(description="From the service plugin. No argument: every ticket.")
    async def tickets(
        self,
        root: strawberry.Parent[object],
        info: Info,
        status: list[TicketStatus] | None = None,
    ) -> list[Ticket]:
        if not info.context.user.can(TICKET_READ):
            return []
        statuses = tuple(sorted(set(status))) if status is not None else None
        key = (root.id, statuses)  # type: ignore[attr-defined]
        return await info.context.loader(loaders.tickets_by_customer).load(key)  # type: ignore[return-value]


@strawberry.type
class TicketEdge:
    cursor: str
    node: Ticket


@strawberry.type
class TicketConnection(CountedConnection):
    edges: list[TicketEdge]
    page_info: relay.PageInfo


@strawberry.input
class TicketFilter:
    status: list[TicketStatus] | None = None
    kind: list[TicketKind] | None = None
    assignee_id: relay.GlobalID | None = None
    unassigned: bool | None = strawberry.field(
        default=None, description="True: only tickets waiting in a queue."
    )


@strawberry.type
class TicketQuery:
    @query(permission=TICKET_READ)
    async def ticket(self, info: Info, id: relay.GlobalID) -> Ticket | None:
        """A ticket by id; null when missing or out of your scope."""
        if id.type_name != "Ticket":
            return None
        return await Ticket.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]

    @query(permission=TICKET_READ)
    async def tickets(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: TicketFilter | None = None,
    ) -> TicketConnection:
        """Tickets of the customers in your scope, newest first."""
        context: Context = info.context
        table = models.Ticket
        statement = select(table).where(tickets_in_scope(context.user))
        if filter is not None:
            if filter.status:
                statement = statement.where(table.status.in_(filter.status))  # type: ignore[attr-defined]
            if filter.kind:
                statement = statement.where(table.kind.in_(filter.kind))  # type: ignore[attr-defined]
            if filter.assignee_id is not None:
                assignee = node_id(filter.assignee_id, "User")
                statement = statement.where(
                    table.assignee_id == assignee if assignee is not None else false()
                )
            if filter.unassigned is not None:
                waiting = table.assignee_id.is_(None)  # type: ignore[union-attr]
                statement = statement.where(waiting if filter.unassigned else ~waiting)
        page = await keyset_page(
            context.session,
            statement,
            table.id,  # type: ignore[arg-type]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
            descending=True,
        )
        return TicketConnection(
            edges=page.edges(TicketEdge),
            page_info=page.page_info,
            counted=statement,
        )


@strawberry.input
class CreateTicketInput:
    customer_id: relay.GlobalID
    kind: TicketKind
    priority: TicketPriority
    subject: str
    description: str
    channel: TicketChannel = TicketChannel.BRANCH_COUNTER
    account_no: str | None = strawberry.field(default=None, description="The account it is about.")
    transaction_reference: str | None = strawberry.field(
        default=None, description="The transaction (流水号) it is about."
    )


@strawberry.input
class TransitionTicketInput:
    ticket_id: relay.GlobalID
    status: TicketStatus
    comment: str | None = strawberry.field(
        default=None, description="Required to resolve (the resolution note) and to reopen."
    )


@strawberry.input
class CommentOnTicketInput:
    ticket_id: relay.GlobalID
    body: str
    internal: bool = strawberry.field(
        default=True, description="False: the customer sees it (and it counts as a response)."
    )


@strawberry.input
class AssignTicketInput:
    ticket_id: relay.GlobalID
    assignee_id: relay.GlobalID | None = strawberry.field(
        default=None, description="Null: back to the branch's queue."
    )


@strawberry.input
class RecordComplaintInput:
    ticket_id: relay.GlobalID
    root_cause: RootCause | None = None
    compensation: Decimal | None = strawberry.field(default=None, description="In CNY.")
    compensation_note: str | None = strawberry.field(
        default=None, description="Required with compensation: what was granted and why."
    )


@strawberry.input
class RecordSatisfactionInput:
    ticket_id: relay.GlobalID
    satisfaction: int = strawberry.field(description="1 to 5.")
    recommend: int = strawberry.field(description="0 to 10.")
    comment: str | None = None


@strawberry.type
class TicketPayload:
    ticket: Ticket | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class TicketCommentPayload:
    comment: TicketComment | None = None
    ticket: Ticket | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _ticket_id(global_id: relay.GlobalID) -> int | None:
    return node_id(global_id, "Ticket")


@strawberry.type
class TicketMutation:
    @mutation(permission=TICKET_WORK)
    async def create_ticket(self, info: Info, input: CreateTicketInput) -> TicketPayload:
        """Open a ticket for a customer in your scope; its SLA starts now."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        ticket = await open_ticket(
            context.session,
            context.runtime.settings,
            context.user,
            customer,
            Opening(
                kind=input.kind,
                priority=input.priority,
                subject=input.subject,
                description=input.description,
                channel=input.channel,
                account_no=input.account_no,
                transaction_reference=input.transaction_reference,
            ),
        )
        return TicketPayload(ticket=ticket)  # type: ignore[arg-type]

    @mutation(permission=TICKET_WORK)
    async def transition_ticket(self, info: Info, input: TransitionTicketInput) -> TicketPayload:
        """Move a ticket: OPEN → IN_PROGRESS → PENDING_CUSTOMER → RESOLVED → CLOSED,
        reopening from RESOLVED."""
        context: Context = info.context
        ticket = await transition_ticket(
            context.session,
            context.runtime.settings,
            context.user,
            _ticket_id(input.ticket_id),
            input.status,
            input.comment,
        )
        return TicketPayload(ticket=ticket)  # type: ignore[arg-type]

    @mutation(permission=TICKET_WORK)
    async def comment_on_ticket(
        self, info: Info, input: CommentOnTicketInput
    ) -> TicketCommentPayload:
        """Comment on a ticket, for staff only or for the customer to see."""
        context: Context = info.context
        comment = await comment_on_ticket(
            context.session,
            context.runtime.settings,
            context.user,
            _ticket_id(input.ticket_id),
            input.body,
            input.internal,
        )
        ticket = await context.session.get(models.Ticket, comment.ticket_id)
        return TicketCommentPayload(comment=comment, ticket=ticket)  # type: ignore[arg-type]

    @mutation(permission=TICKET_WORK)
    async def assign_ticket(self, info: Info, input: AssignTicketInput) -> TicketPayload:
        """Give a ticket to an agent who can reach its customer, or back to the queue."""
        context: Context = info.context
        assignee = None
        if input.assignee_id is not None:
            assignee = node_id(input.assignee_id, "User")
            if assignee is None:
                raise BusinessError(
                    "NOT_FOUND", "There is no such member of staff.", ["input", "assigneeId"]
                )
        ticket = await assign_ticket(
            context.session,
            context.runtime.permissions,
            context.user,
            _ticket_id(input.ticket_id),
            assignee,
        )
        return TicketPayload(ticket=ticket)  # type: ignore[arg-type]

    @mutation(permission=COMPLAINT_MANAGE)
    async def record_complaint(self, info: Info, input: RecordComplaintInput) -> TicketPayload:
        """Record a complaint's root cause and any compensation granted."""
        context: Context = info.context
        complaint = await record_complaint(
            context.session,
            context.user,
            _ticket_id(input.ticket_id),
            input.root_cause,
            input.compensation,
            input.compensation_note,
        )
        ticket = await context.session.get(models.Ticket, complaint.ticket_id)
        return TicketPayload(ticket=ticket)  # type: ignore[arg-type]

    @mutation(permission=TICKET_WORK)
    async def record_satisfaction(
        self, info: Info, input: RecordSatisfactionInput
    ) -> TicketPayload:
        """Record the customer's survey of a closed ticket; a low score gets their
        relationship manager a follow-up."""
        context: Context = info.context
        survey = await record_survey(
            context.session,
            context.runtime.settings,
            context.user,
            _ticket_id(input.ticket_id),
            input.satisfaction,
            input.recommend,
            input.comment,
        )
        ticket = await context.session.get(models.Ticket, survey.ticket_id)
        return TicketPayload(ticket=ticket)  # type: ignore[arg-type]
