"""Reading a clearing statement file: CSV with one movement per line,
``reference, value date, amount, direction, counterparty`` (a header line
naming them is allowed). Every line is checked, and every bad one reported
with its line number, so the clearing side can fix the file in one go.
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


def _cells(text: str) -> Iterator[tuple[int, list[str] | None]]:
    """Each non-empty line's fields; None for a line CSV cannot read, after
    which nothing more is read (the quoting is lost)."""
    reader = csv.reader(text.splitlines())
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num, [cell.strip() for cell in cells]
    except csv.Error:
        yield reader.line_num + 1, None


def _row(line_no: int, cells: list[str], day: date) -> StatementRow:
    """The line as a row, or ValueError saying what is wrong with it."""
    if len(cells) != len(COLUMNS):
        raise ValueError(f"has {len(cells)} fields, not {len(COLUMNS)} ({', '.join(COLUMNS)})")
    reference, value_date, amount, direction, counterparty = cells
    if not reference or len(reference) > REFERENCE_MAX:
        raise ValueError(f"the reference must be 1 to {REFERENCE_MAX} characters")
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


def parse_statement(text: str, day: date) -> ParsedStatement:
    parsed = ParsedStatement(rows=[], bad_rows=[])
    first_line: dict[str, int] = {}

    def bad(line_no: int, message: str) -> None:
        parsed.bad_row_count += 1
        if len(parsed.bad_rows) < MOST_REPORTED:
            parsed.bad_rows.append(BadRow(line_no, message))

    for line_no, cells in _cells(text):
        if cells is None:
            bad(line_no, f"Line {line_no}: is not readable CSV; nothing after it was read.")
            break
        if line_no == 1 and [c.lower().replace(" ", "_") for c in cells] == list(COLUMNS):
            continue
        try:
            row = _row(line_no, cells, day)
        except ValueError as error:
            bad(line_no, f"Line {line_no}: {error}.")
            continue
        if (earlier := first_line.setdefault(row.reference, line_no)) != line_no:
            bad(line_no, f"Line {line_no}: the reference is already on line {earlier}.")
            continue
        parsed.rows.append(row)
    return parsed
