"""What a complaint adds to its ticket: the root cause, found while working
it, and compensation when granted (by a branch manager or head office)."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.errors import BusinessError
from core.money import checked_amount
from core.validation import clean_text
from plugins.service.models import TEXT_MAX, Complaint, RootCause, TicketKind, TicketStatus
from plugins.service.tickets import ticket_for_update


async def record_complaint(
    session: AsyncSession,
    by: Principal,
    ticket_id: int | None,
    root_cause: RootCause | None,
    compensation: Decimal | None,
    compensation_note: str | None,
) -> Complaint:
    ticket = await ticket_for_update(session, by, ticket_id)
    if ticket.kind is not TicketKind.COMPLAINT:
        raise BusinessError(
            "NOT_A_COMPLAINT", "The ticket is not a complaint.", ["input", "ticketId"]
        )
    if ticket.status is TicketStatus.CLOSED:
        raise BusinessError("TICKET_CLOSED", "The ticket is closed.", ["input", "ticketId"])
    complaint = await session.get_one(Complaint, ticket.id)
    if root_cause is not None:
        complaint.root_cause = root_cause
    if compensation is not None:
        complaint.compensation = checked_amount(compensation, ["input", "compensation"])
        complaint.compensation_granted_by = by.user_id
        complaint.compensation_note = clean_text(
            compensation_note or "",
            field=["input", "compensationNote"],
            max_length=TEXT_MAX,
        )
    session.add(complaint)
    await session.flush()
    return complaint
