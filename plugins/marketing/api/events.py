"""Events (wealth seminars, VIP salons) and their invitations in GraphQL."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.context import Context
from core.errors import BusinessError
from core.graphql import UserError, extends, int_ids, model_type_check, mutation, node_id, query
from core.pagination import CountedConnection, decode_position, keyset_page, page_size
from plugins.customer import loaders as customer_loaders
from plugins.customer.api.contacts import FollowUp, follow_ups_by_id
from plugins.customer.api.customers import Customer, CustomerFilter, customer_in_scope
from plugins.marketing.api.segment_rules import SegmentRules, audience_json
from plugins.marketing.audience import checked_audience
from plugins.marketing.events import loaders
from plugins.marketing.events import models as event_models
from plugins.marketing.events.attendance import record_attendance
from plugins.marketing.events.invitations import Guests, answer_invitation, invite_to_event
from plugins.marketing.events.models import EventKind, EventStatus, InvitationStatus
from plugins.marketing.events.planning import EventPlan, cancel_event, plan_event
from plugins.marketing.models import CampaignChannel
from plugins.marketing.permissions import CAMPAIGN_RESPOND, EVENT_MANAGE, MARKETING_READ
from plugins.security import loaders as staff
from plugins.security.types import Branch, User

strawberry.enum(EventKind, description="A wealth seminar (理财讲座) or a VIP salon (贵宾沙龙).")
strawberry.enum(EventStatus, description="PLANNED, then HELD (attendance recorded) or CANCELLED.")
strawberry.enum(
    InvitationStatus,
    description="INVITED, then ACCEPTED or DECLINED; once the event is held, "
    "ATTENDED or NO_SHOW (an accepted guest who did not come).",
)


@strawberry.type(description="A wealth seminar or VIP salon: when, where and for how many.")
class Event(relay.Node):
    id: relay.NodeID[int]
    name: str
    kind: EventKind
    status: EventStatus
    starts_at: datetime
    venue: str
    capacity: int = strawberry.field(description="Seats: how many invitations may be accepted.")
    description: str | None
    created_at: datetime

    is_type_of = model_type_check(event_models.MarketingEvent)

    @strawberry.field(description="The branch that runs it; null for head office.")
    async def branch(
        self, root: strawberry.Parent[event_models.MarketingEvent], info: Info
    ) -> Branch | None:
        if root.branch_id is None:
            return None
        return await info.context.loader(staff.branches_by_id).load(root.branch_id)

    @strawberry.field(description="Who planned it.")
    async def planned_by(
        self, root: strawberry.Parent[event_models.MarketingEvent], info: Info
    ) -> User:
        return await info.context.loader(staff.users_by_id).load(root.created_by)

    @strawberry.field(description="Customers invited, in any branch.")
    async def invited_count(
        self, root: strawberry.Parent[event_models.MarketingEvent], info: Info
    ) -> int:
        counts = await info.context.loader(loaders.invitation_counts).load(root.id)
        return counts.total()

    @strawberry.field(description="Invitations accepted: the seats taken before the event.")
    async def accepted_count(
        self, root: strawberry.Parent[event_models.MarketingEvent], info: Info
    ) -> int:
        counts = await info.context.loader(loaders.invitation_counts).load(root.id)
        return counts[InvitationStatus.ACCEPTED]

    @strawberry.field(description="Guests who came, once attendance is recorded.")
    async def attended_count(
        self, root: strawberry.Parent[event_models.MarketingEvent], info: Info
    ) -> int:
        counts = await info.context.loader(loaders.invitation_counts).load(root.id)
        return counts[InvitationStatus.ATTENDED]

    @strawberry.field(
        description="The invitations of customers in your scope, in the order they were sent."
    )
    async def invitations(
        self,
        root: strawberry.Parent[event_models.MarketingEvent],
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[InvitationStatus] | None = None,
    ) -> EventInvitationConnection:
        context: Context = info.context
        size = page_size(first, context.runtime.settings.max_page_size)
        if after is not None:
            decode_position(after, [])  # a bad cursor is refused here, not in the batch for all
        page = await context.loader(loaders.invitation_pages).load(
            loaders.InvitationPage(
                root.id,  # type: ignore[arg-type]
                size,
                after,
                tuple(sorted(set(status or ()))),
            )
        )
        return EventInvitationConnection(
            edges=page.edges(EventInvitationEdge), page_info=page.page_info
        )

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[event_models.MarketingEvent | None]:
        if not info.context.user.can(MARKETING_READ):
            return [None for _ in node_ids]
        return await info.context.loader(loaders.events_by_id).load_many(int_ids(node_ids))


@strawberry.type(description="A customer invited to an event, their answer and whether they came.")
class EventInvitation:
    status: InvitationStatus
    invited_at: datetime
    answered_at: datetime | None

    @strawberry.field
    async def customer(
        self, root: strawberry.Parent[event_models.Invitation], info: Info
    ) -> Customer:
        return await info.context.loader(customer_loaders.customers_by_id).load(root.customer_id)  # type: ignore[return-value]

    @strawberry.field
    async def event(self, root: strawberry.Parent[event_models.Invitation], info: Info) -> Event:
        return await info.context.loader(loaders.events_of_invitations).load(root.event_id)  # type: ignore[return-value]

    @strawberry.field(description="The task given to the attendee's manager after the event.")
    async def follow_up(
        self, root: strawberry.Parent[event_models.Invitation], info: Info
    ) -> FollowUp | None:
        if root.follow_up_id is None:
            return None
        return await info.context.loader(follow_ups_by_id).load(root.follow_up_id)  # type: ignore[return-value]


@strawberry.type
class EventInvitationEdge:
    cursor: str
    node: EventInvitation


@strawberry.type
class EventInvitationConnection:
    edges: list[EventInvitationEdge]
    page_info: relay.PageInfo


@strawberry.type
class EventEdge:
    cursor: str
    node: Event


@strawberry.type
class EventConnection(CountedConnection):
    edges: list[EventEdge]
    page_info: relay.PageInfo


@extends("Customer")
@strawberry.type
class CustomerEvents:
    @strawberry.field(description="Events the customer was invited to, the latest first.")
    async def event_invitations(
        self, root: strawberry.Parent[object], info: Info
    ) -> list[EventInvitation]:
        if not info.context.user.can(MARKETING_READ):
            return []
        return await info.context.loader(loaders.invitations_by_customer).load(root.id)  # type: ignore[attr-defined, return-value]


@strawberry.type
class EventQuery:
    @query(permission=MARKETING_READ)
    async def event(self, info: Info, id: relay.GlobalID) -> Event | None:
        """An event by id."""
        if id.type_name != "Event":
            return None
        return await Event.resolve_node(id.node_id, info=info, required=False)  # type: ignore[return-value]

    @query(permission=MARKETING_READ)
    async def events(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        status: list[EventStatus] | None = None,
    ) -> EventConnection:
        """Events in your scope (head office's and your branch's), soonest first."""
        context: Context = info.context
        event = event_models.MarketingEvent
        statement = select(event).where(loaders.events_in_scope(context.user))
        if status:
            statement = statement.where(event.status.in_(status))  # type: ignore[attr-defined]
        page = await keyset_page(
            context.session,
            statement,
            [event.starts_at, event.id],  # type: ignore[list-item]
            first=first,
            after=after,
            maximum=context.runtime.settings.max_page_size,
        )
        return EventConnection(
            edges=page.edges(EventEdge),
            page_info=page.page_info,
            counted=statement,
        )


@strawberry.input
class PlanEventInput:
    name: str
    kind: EventKind
    starts_at: datetime = strawberry.field(
        description="In the future; without a time zone, the bank's time."
    )
    venue: str
    capacity: int = strawberry.field(description="Seats, at least one.")
    description: str | None = None


@strawberry.input
class EventInput:
    event_id: relay.GlobalID


@strawberry.input(description="Whom to invite: exactly one of segmentId, audience, customerIds.")
class InviteToEventInput:
    event_id: relay.GlobalID
    segment_id: relay.GlobalID | None = None
    audience: CustomerFilter | None = None
    audience_rules: SegmentRules | None = strawberry.field(
        default=None, description="Instead of `audience`: full rules (age, products...)."
    )
    customer_ids: list[relay.GlobalID] | None = None
    channel: CampaignChannel = strawberry.field(
        default=CampaignChannel.PHONE,
        description="How the invitation goes; customers who opted out of it are not invited.",
    )


@strawberry.input
class AnswerInvitationInput:
    event_id: relay.GlobalID
    customer_id: relay.GlobalID
    accept: bool


@strawberry.input
class RecordAttendanceInput:
    event_id: relay.GlobalID
    attended: list[relay.GlobalID] = strawberry.field(
        description="The invited customers who came; the other accepted guests are no-shows."
    )


@strawberry.type
class EventPayload:
    event: Event | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class InviteToEventPayload:
    event: Event | None = None
    invited_count: int | None = strawberry.field(default=None, description="Newly invited.")
    errors: list[UserError] = strawberry.field(default_factory=list)


@strawberry.type
class EventInvitationPayload:
    invitation: EventInvitation | None = None
    errors: list[UserError] = strawberry.field(default_factory=list)


def _ids(given: list[relay.GlobalID], type_name: str, field: list[str], code: str) -> list[int]:
    found = [node_id(global_id, type_name) for global_id in given]
    if None in found:
        raise BusinessError(code, f"Not every id is a {type_name}'s.", field)
    return found  # type: ignore[return-value]


async def _guests(info: Info, input: InviteToEventInput) -> Guests:
    segment_id = None
    if input.segment_id is not None:
        segment_id = node_id(input.segment_id, "Segment")
        if segment_id is None:
            raise BusinessError("NOT_FOUND", "There is no such segment.", ["input", "segmentId"])
    customer_ids = None
    if input.customer_ids is not None:
        field = ["input", "customerIds"]
        customer_ids = _ids(input.customer_ids, "Customer", field, "NOT_FOUND")
    context: Context = info.context
    rules = audience_json(input.audience, input.audience_rules, ("audience", "audienceRules"))
    if rules is not None:
        rules = await checked_audience(
            context.session,
            context.runtime.plugins,
            rules,
            context.runtime.settings.today(),
            ["input", "audienceRules"],
        )
    return Guests(segment_id=segment_id, rules=rules, customer_ids=customer_ids)


@strawberry.type
class EventMutation:
    @mutation(permission=EVENT_MANAGE)
    async def plan_event(self, info: Info, input: PlanEventInput) -> EventPayload:
        """Plan a seminar or salon, for your branch (head office: for head office)."""
        context: Context = info.context
        event = await plan_event(
            context.session,
            context.user,
            EventPlan(
                name=input.name,
                kind=input.kind,
                starts_at=input.starts_at,
                venue=input.venue,
                capacity=input.capacity,
                description=input.description,
            ),
            context.runtime.settings.zone,
        )
        return EventPayload(event=event)  # type: ignore[arg-type]

    @mutation(permission=EVENT_MANAGE)
    async def cancel_event(self, info: Info, input: EventInput) -> EventPayload:
        """Call off a planned event."""
        context: Context = info.context
        event = await cancel_event(context.session, context.user, node_id(input.event_id, "Event"))
        return EventPayload(event=event)  # type: ignore[arg-type]

    @mutation(permission=EVENT_MANAGE)
    async def invite_to_event(self, info: Info, input: InviteToEventInput) -> InviteToEventPayload:
        """Invite the active customers of a segment, a filter or a list, of the
        event's branch (head office's events: in your scope), less those who
        opted out of the channel and those already invited."""
        context: Context = info.context
        event, invited = await invite_to_event(
            context.session,
            context.runtime.plugins,
            context.user,
            node_id(input.event_id, "Event"),
            await _guests(info, input),
            input.channel,
            zone=context.runtime.settings.zone,
        )
        return InviteToEventPayload(event=event, invited_count=invited)  # type: ignore[arg-type]

    @mutation(permission=CAMPAIGN_RESPOND)
    async def answer_invitation(
        self, info: Info, input: AnswerInvitationInput
    ) -> EventInvitationPayload:
        """Record a customer's answer to an invitation; accepting takes a seat,
        refused with EVENT_FULL when none is left. An answer may change until
        the event starts."""
        context: Context = info.context
        customer = await customer_in_scope(info, input.customer_id, ["input", "customerId"])
        invitation = await answer_invitation(
            context.session,
            context.user,
            node_id(input.event_id, "Event"),
            customer,
            input.accept,
        )
        return EventInvitationPayload(invitation=invitation)  # type: ignore[arg-type]

    @mutation(permission=EVENT_MANAGE)
    async def record_attendance(self, info: Info, input: RecordAttendanceInput) -> EventPayload:
        """Record who came to a started event: it is held, and each attendee's
        relationship manager (else the planner) gets a follow-up task."""
        context: Context = info.context
        attended = _ids(input.attended, "Customer", ["input", "attended"], "NOT_INVITED")
        event = await record_attendance(
            context.session,
            context.user,
            node_id(input.event_id, "Event"),
            attended,
            context.runtime.settings.zone,
        )
        return EventPayload(event=event)  # type: ignore[arg-type]
