"""Check digits for numbers people read out and type (customer and account numbers)."""

from __future__ import annotations


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of ``digits`` (ISO/IEC 7812, as on bank cards): it
    catches any single mistyped digit and most swaps of two neighbouring ones."""
    total = 0
    for position, digit in enumerate(reversed(digits)):
        value = int(digit) * (2 if position % 2 == 0 else 1)
        total += value - 9 if value > 9 else value
    return str((10 - total % 10) % 10)


def has_valid_luhn_digit(number: str) -> bool:
    """True if ``number`` is ASCII digits whose last one is the Luhn digit of the rest."""
    return (
        len(number) > 1
        and number.isascii()
        and number.isdigit()
        and luhn_digit(number[:-1]) == number[-1]
    )
