"""Checks for the numbers a customer is identified and reached by.

Pure functions, no database: a mainland resident identity number
(GB 11643-1999), an organisation's unified social credit code (GB 32100-2015),
a mainland mobile number and an e-mail address. Each returns the number in one
canonical spelling, so that the same customer typed two ways is stored once,
or raises with a short reason a bank clerk can act on.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from datetime import date

from email_validator import EmailNotValidError, validate_email


class InvalidIdentity(Exception):
    """An identity number or credit code is not one that could have been issued."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class InvalidContact(Exception):
    """A mobile number or e-mail address cannot be used to reach anyone."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Gender(enum.StrEnum):
    MALE = "MALE"
    FEMALE = "FEMALE"


@dataclass(frozen=True)
class ResidentIdentity:
    number: str
    birth_date: date
    gender: Gender


@dataclass(frozen=True)
class SocialCreditCode:
    code: str


# Province-level divisions, including Taiwan (71), Hong Kong (81) and Macao (82).
# 91 (foreigners' permanent residence) is a different card and is refused here.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82",
    }
)  # fmt: skip
EARLIEST_BIRTH_DATE = date(1900, 1, 1)

# ISO 7064 MOD 11-2, as GB 11643-1999 states it.
_RESIDENT_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_RESIDENT_ID_CHECK_CHARACTERS = "10X98765432"
# ASCII only: ``\d`` would also let full-width and other Unicode digits through.
_RESIDENT_ID_SHAPE = re.compile(r"[0-9]{17}[0-9X]")

# GB 32100-2015: digits and capitals without I, O, S, V and Z.
_CREDIT_CODE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_REGISTRATION_AUTHORITIES = "123456789AGNY"

_MOBILE_PREFIXES = ("+86", "0086", "86")
_MOBILE_SHAPE = re.compile(r"1[3-9][0-9]{9}")
MAX_EMAIL_LENGTH = 254


def _without_spaces(text: str) -> str:
    return "".join(text.split())


def parse_resident_id(text: str, today: date) -> ResidentIdentity:
    """The identity behind an 18-character resident ID number, or InvalidIdentity.

    ``today`` is passed in rather than read from the clock, so that a birth
    date "in the future" means the same thing in tests as at the counter.
    """
    number = _without_spaces(text)
    if number.endswith("x"):
        number = number[:-1] + "X"
    if not _RESIDENT_ID_SHAPE.fullmatch(number):
        raise InvalidIdentity(
            "A resident ID number has 18 characters: 17 digits, then a digit or X."
        )
    if number[:2] not in PROVINCE_CODES:
        raise InvalidIdentity("The first two digits are not a province code.")
    birth_date = _birth_date(number[6:14], today)
    if number[17] != resident_id_check_character(number[:17]):
        raise InvalidIdentity("The last character does not match; check for a typing mistake.")
    gender = Gender.MALE if int(number[16]) % 2 == 1 else Gender.FEMALE
    return ResidentIdentity(number=number, birth_date=birth_date, gender=gender)


def _birth_date(digits: str, today: date) -> date:
    try:
        birth_date = date(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    except ValueError:
        raise InvalidIdentity("The birth date in the number is not a real date.") from None
    if birth_date > today:
        raise InvalidIdentity("The birth date in the number is in the future.")
    if birth_date < EARLIEST_BIRTH_DATE:
        raise InvalidIdentity("The birth date in the number is before 1900.")
    return birth_date


def resident_id_check_character(first_17: str) -> str:
    total = sum(
        int(digit) * weight for digit, weight in zip(first_17, _RESIDENT_ID_WEIGHTS, strict=True)
    )
    return _RESIDENT_ID_CHECK_CHARACTERS[total % 11]


def parse_social_credit_code(text: str) -> SocialCreditCode:
    """An organisation's 18-character unified social credit code, or InvalidIdentity."""
    # Refuse non-ASCII before upper-casing: "ﬀ".upper() is "FF", which would pass.
    spaced = _without_spaces(text)
    code = spaced.upper() if spaced.isascii() else spaced
    if len(code) != 18 or any(character not in _CREDIT_CODE_ALPHABET for character in code):
        raise InvalidIdentity(
            "A unified social credit code has 18 characters: digits and capital letters"
            " other than I, O, S, V and Z."
        )
    if code[0] not in _REGISTRATION_AUTHORITIES:
        raise InvalidIdentity("The first character is not a registration authority.")
    if not code[2:8].isdigit():
        raise InvalidIdentity("Characters 3 to 8 must be the six-digit region code.")
    if code[17] != credit_code_check_character(code[:17]):
        raise InvalidIdentity("The last character does not match; check for a typing mistake.")
    return SocialCreditCode(code=code)


def credit_code_check_character(first_17: str) -> str:
    total = sum(
        _CREDIT_CODE_ALPHABET.index(character) * weight
        for character, weight in zip(first_17, _CREDIT_CODE_WEIGHTS, strict=True)
    )
    return _CREDIT_CODE_ALPHABET[(31 - total % 31) % 31]


def normalize_mobile(text: str) -> str:
    """The 11 digits of a mainland mobile number, or InvalidContact.

    Spaces, hyphens and a country code (+86, 0086 or 86) are dropped; the
    country code only when 11 digits follow it, so that no real number loses
    its own leading digits.
    """
    digits = _without_spaces(text).replace("-", "")
    for prefix in _MOBILE_PREFIXES:
        rest = digits.removeprefix(prefix)
        if rest != digits and len(rest) == 11:
            digits = rest
            break
    if len(digits) != 11 or not (digits.isascii() and digits.isdigit()):
        raise InvalidContact("A mobile number has 11 digits, optionally after +86.")
    if not _MOBILE_SHAPE.fullmatch(digits):
        raise InvalidContact("A mainland mobile number starts with 13 to 19.")
    return digits


def normalize_email(text: str) -> str:
    """The address in its normalized spelling (domain in lower case), or InvalidContact.

    Only the spelling is checked: no DNS look-up, so saving a customer never
    waits on, or fails because of, the network.
    """
    address = text.strip()
    if not address:
        raise InvalidContact("Enter an e-mail address.")
    if len(address) > MAX_EMAIL_LENGTH:
        raise InvalidContact(f"An e-mail address may have at most {MAX_EMAIL_LENGTH} characters.")
    try:
        validated = validate_email(address, check_deliverability=False)
    except EmailNotValidError as error:
        raise InvalidContact(str(error)) from error
    return validated.normalized
