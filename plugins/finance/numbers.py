"""Account numbers: 19 digits, ``6216`` + a 14-digit serial + a Luhn check digit,
the shape of a Chinese bank card number, so tellers and customers can type
and check them the way they are used to."""

from __future__ import annotations

from core.check_digits import has_valid_luhn_digit, luhn_digit

ACCOUNT_SEQUENCE = "finance.account"
BANK_PREFIX = "6216"


def format_account_no(serial: int) -> str:
    digits = f"{BANK_PREFIX}{serial:014d}"
    return digits + luhn_digit(digits)


def is_valid_account_no(text: str) -> bool:
    return len(text) == 19 and text.startswith(BANK_PREFIX) and has_valid_luhn_digit(text)
