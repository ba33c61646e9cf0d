"""Customer numbers: ``C`` + nine digits of sequence + a Luhn check digit (C0000000018).

The check digit catches a mistyped digit or two swapped ones when a number is
read out over the phone or typed at a counter.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.check_digits import has_valid_luhn_digit, luhn_digit
from core.sequences import next_number

SEQUENCE = "customer.number"


def format_customer_no(serial: int) -> str:
    digits = f"{serial:09d}"
    return f"C{digits}{luhn_digit(digits)}"


def is_valid_customer_no(text: str) -> bool:
    return len(text) == 11 and text[0] == "C" and has_valid_luhn_digit(text[1:])


async def next_customer_no(session: AsyncSession) -> str:
    return format_customer_no(await next_number(session, SEQUENCE))
