"""Reading a clearing statement file: CSV with one movement per line,
``reference, value date, amount, direction, counterparty`` (a header line
naming them is allowed). Every line is checked, and every bad one reported
with its line number, so the clearing side can fix the file in one go.

A file is read twice only when it is refused: :func:`statement_rows` gives
the rows one at a time, for storing as they come, and stops at the first bad
line; :func:`parse_statement` then reads the file again to report every bad
line (and every reference given twice, which storing finds). So a good file of
a million lines is never held as a million objects.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from core.errors import BusinessError
from core.money import checked_amount
from plugins.finance.reconciliation.models import COUNTERPARTY_MAX, REFERENCE_MAX

COLUMNS = ("reference", "value_date", "amount", "direction", "counterparty")
DIRECTIONS = {"CREDIT": 1, "DEBIT": -1}
MOST_REPORTED = 100
"""Bad lines beyond this many are counted, not listed."""
BLOCK = 1 << 20


@dataclass(frozen=True)
class StatementRow:
    line_no: int
    reference: str
    amount: Decimal
    """Signed as our postings are: a CREDIT to the customer's account is positive."""
    counterparty: str


@dataclass(frozen=True)
class BadRow:
    line_no: int
    message: str


@dataclass
class ParsedStatement:
    rows: list[StatementRow]
    bad_rows: list[BadRow]
    bad_row_count: int = 0


def _lines(text: str) -> Iterator[str]:
    """The lines ``text.splitlines()`` gives, a block of about
    :data:`BLOCK` characters at a time, never all at once: a million lines as
    one list cost ten times the file (and io.StringIO four times)."""
    start = 0
    while start < len(text):
        end = text.find("\n", start + BLOCK)  # a block ends a line, even a CRLF one
        end = len(text) if end < 0 else end + 1
        yield from text[start:end].splitlines()
        start = end


def _cells(text: str) -> Iterator[tuple[int, list[str] | None]]:
    """Each non-empty line's fields; None for a line CSV cannot read, after
    which nothing more is read (the quoting is lost)."""
    reader = csv.reader(_lines(text))
    try:
        for cells in reader:
            stripped = [cell.strip() for cell in cells]
            if any(stripped):
                yield reader.line_num, stripped
    except csv.Error:
        yield reader.line_num + 1, None


def _row(line_no: int, cells: list[str], day: date, day_text: str) -> StatementRow:
    """The line as a row, or ValueError saying what is wrong with it."""
    if len(cells) != len(COLUMNS):
        raise ValueError(f"has {len(cells)} fields, not {len(COLUMNS)} ({', '.join(COLUMNS)})")
    reference, value_date, amount, direction, counterparty = cells
    if not reference or len(reference) > REFERENCE_MAX:
        raise ValueError(f"the reference must be 1 to {REFERENCE_MAX} characters")
    if value_date != day_text:  # the usual spelling of the day needs no parsing
        try:
            on = date.fromisoformat(value_date)
        except ValueError:
            raise ValueError(f"the value date {value_date!r} is not a date (YYYY-MM-DD)") from None
        if on != day:
            raise ValueError(f"the value date {on} is not the statement's date {day}")
    try:
        money = checked_amount(Decimal(amount), ["amount"])
    except (InvalidOperation, BusinessError):
        raise ValueError(
            f"the amount {amount!r} is not a positive amount with at most two decimals"
        ) from None
    sign = DIRECTIONS.get(direction.upper())
    if sign is None:
        raise ValueError(f"the direction {direction!r} is neither CREDIT nor DEBIT")
    if not counterparty or len(counterparty) > COUNTERPARTY_MAX:
        raise ValueError(f"the counterparty must be 1 to {COUNTERPARTY_MAX} characters")
    return StatementRow(line_no, reference, sign * money, counterparty)


def _read(text: str, day: date) -> Iterator[StatementRow | BadRow]:
    """Each line as a row or as what is wrong with it; references given twice
    are not looked for here."""
    day_text = day.isoformat()
    for line_no, cells in _cells(text):
        if cells is None:
            yield BadRow(
                line_no, f"Line {line_no}: is not readable CSV; nothing after it was read."
            )
            return
        if line_no == 1 and [c.lower().replace(" ", "_") for c in cells] == list(COLUMNS):
            continue
        try:
            yield _row(line_no, cells, day, day_text)
        except ValueError as error:
            yield BadRow(line_no, f"Line {line_no}: {error}.")


class BadStatement(Exception):
    """The file has a bad line: :func:`parse_statement` says which."""


def statement_rows(text: str, day: date) -> Iterator[StatementRow]:
    """The file's rows one at a time, as long as every line reads; BadStatement
    at the first that does not. A reference given twice is not found here
    (the database's uniqueness of a statement's references finds it)."""
    for read in _read(text, day):
        if isinstance(read, BadRow):
            raise BadStatement(read.message)
        yield read


def parse_statement(text: str, day: date) -> ParsedStatement:
    """The whole file read, with every bad line and every repeated reference."""
    parsed = ParsedStatement(rows=[], bad_rows=[])
    first_line: dict[str, int] = {}

    def bad(line_no: int, message: str) -> None:
        parsed.bad_row_count += 1
        if len(parsed.bad_rows) < MOST_REPORTED:
            parsed.bad_rows.append(BadRow(line_no, message))

    for read in _read(text, day):
        if isinstance(read, BadRow):
            bad(read.line_no, read.message)
            continue
        if (earlier := first_line.setdefault(read.reference, read.line_no)) != read.line_no:
            bad(read.line_no, f"Line {read.line_no}: the reference is already on line {earlier}.")
            continue
        parsed.rows.append(read)
    return parsed
