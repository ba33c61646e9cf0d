"""What the service plugin tells other plugins (``crm_event_listeners``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.events import DomainEvent
from plugins.service.models import Deadline, EscalationLevel


@dataclass(frozen=True)
class TicketEscalated(DomainEvent):
    """A ticket's deadline is at risk or breached; ``notify`` are the users it
    was raised to (the branch managers, and for a complaint the customer's
    relationship manager)."""

    name = "service.ticket_escalated"
    ticket_id: int
    ticket_no: str
    deadline: Deadline
    level: EscalationLevel
    due_at: datetime
    notify: tuple[int, ...]
