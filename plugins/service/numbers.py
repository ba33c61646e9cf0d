"""Ticket numbers: ``T`` + nine digits of sequence + a Luhn check digit, read
out over the phone as customer numbers are."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.check_digits import luhn_digit
from core.sequences import next_number

SEQUENCE = "service.ticket"


async def next_ticket_no(session: AsyncSession) -> str:
    digits = f"{await next_number(session, SEQUENCE):09d}"
    return f"T{digits}{luhn_digit(digits)}"
