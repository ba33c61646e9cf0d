"""Matching a clearing statement the size of a bank's day: the lines are stored
a chunk at a time as they are read, and a bad line or a reference given twice
anywhere in the file, even after chunks were stored, still refuses the file
whole; a check that finds nothing costs one statement."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.finance.models import Posting
from plugins.finance.reconciliation import matching, statement_file
from plugins.finance.reconciliation.books import check_books
from plugins.finance.reconciliation.models import (
    ClearingStatement,
    ClearingStatementLine,
    ReconciliationException,
)
from plugins.finance.reconciliation.statement_file import (
    BadStatement,
    parse_statement,
    statement_rows,
)
from plugins.finance.references import posting_reference
from tests.plugins.finance.conftest import Books
from tests.plugins.finance.test_reconciliation import DAY, NEXT, day_postings, line

HEADER = "reference,value date,amount,direction,counterparty"


@pytest.fixture
async def postings(books: Books, monkeypatch: pytest.MonkeyPatch) -> list[Posting]:
    """Five postings on customer accounts on a closed DAY, and chunks of two lines."""
    monkeypatch.setattr(matching, "CHUNK", 2)
    await books.open_business_date(DAY)
    for amount in ("100.00", "200.00", "300.00", "400.00", "500.00"):
        await books.account_with(amount)
    await books.close_days(NEXT)
    return await day_postings(books)


async def importing(books: Books, content: str) -> matching.Imported:
    async with books.runtime.database.transaction(Mode.WRITE) as session:
        return await matching.import_statement(
            session, books.runtime.settings, DAY, "cnaps.csv", content, None
        )


async def stored(books: Books) -> list[tuple[int, str, Decimal, int | None]]:
    async with books.runtime.database.transaction(Mode.READ) as session:
        rows = await session.execute(
            select(
                ClearingStatementLine.line_no,
                ClearingStatementLine.reference,
                ClearingStatementLine.amount,
                ClearingStatementLine.posting_id,
            ).order_by(ClearingStatementLine.line_no)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def test_a_statement_of_many_chunks_is_stored_whole_and_matched(
    books: Books, postings: list[Posting]
) -> None:
    first, second, third, _, fifth = postings
    content = "\n".join(
        [
            HEADER,
            line(fifth),
            "UNION-77,2026-03-02,18.00,CREDIT,6222029999",
            line(first),
            line(third, Decimal("301.00")),
            line(second),
        ]
    )
    imported = await importing(books, content)
    statement = imported.statement
    assert statement is not None, imported.bad_rows
    assert (statement.lines, statement.matched) == (5, 3)
    assert (statement.amount_mismatches, statement.missing_on_our_side) == (1, 1)
    assert statement.missing_on_their_side == 1  # the fourth
    assert await stored(books) == [
        (2, posting_reference(fifth.id, DAY), Decimal("500.00"), fifth.id),
        (3, "UNION-77", Decimal("18.00"), None),
        (4, posting_reference(first.id, DAY), Decimal("100.00"), first.id),
        (5, posting_reference(third.id, DAY), Decimal("301.00"), third.id),
        (6, posting_reference(second.id, DAY), Decimal("200.00"), second.id),
    ]
    assert (await importing(books, content)).statement == statement, "the same file again"


@pytest.mark.parametrize(
    ("last", "message"),
    [
        ("{first}", "Line 6: the reference is already on line 2."),
        ("R9,2026-03-02,ten,CREDIT,6222", "Line 6: the amount 'ten' is not a positive amount"),
    ],
)
async def test_a_bad_line_after_stored_chunks_refuses_the_file_whole(
    books: Books, postings: list[Posting], last: str, message: str
) -> None:
    first, second, third, fourth, _ = postings
    good = [line(first), line(second), line(third), line(fourth)]
    content = "\n".join([HEADER, *good, last.format(first=line(first))])
    imported = await importing(books, content)
    assert imported.statement is None
    assert imported.bad_row_count == 1
    assert imported.bad_rows[0].message.startswith(message)
    assert await books.bank.count(ClearingStatement) == 0
    assert await books.bank.count(ClearingStatementLine) == 0
    assert await books.bank.count(ReconciliationException) == 0

    statement = (await importing(books, "\n".join([HEADER, *good]))).statement
    assert statement is not None, "the refused file left nothing behind"
    assert (statement.lines, statement.matched, statement.missing_on_their_side) == (4, 4, 1)


def test_the_rows_are_read_one_at_a_time_until_the_first_bad_line() -> None:
    content = "\n".join(
        [HEADER, "R1,2026-03-02,1.00,CREDIT,6222", "R2,2026-03-02,2.00,SIDEWAYS,6222", "R3"]
    )
    rows = statement_rows(content, DAY)
    assert next(rows).reference == "R1"
    with pytest.raises(BadStatement, match="Line 3: the direction 'SIDEWAYS'"):
        next(rows)
    assert [bad.line_no for bad in parse_statement(content, DAY).bad_rows] == [3, 4]


def test_a_file_is_read_a_block_at_a_time_with_its_line_numbers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(statement_file, "BLOCK", 5)
    content = (
        "R1,2026-03-02,1.00,CREDIT,6222\r\n\r\n"
        "R2,2026-03-02,2.00,DEBIT,6222\rR3,2026-03-02,3.00,CREDIT,6222\n"
    )
    rows = list(statement_rows(content, DAY))
    assert [(row.line_no, row.reference) for row in rows] == [(1, "R1"), (3, "R2"), (4, "R3")]


def test_a_value_date_spelled_otherwise_is_still_the_day() -> None:
    (row,) = statement_rows("R1,20260302,1.00,DEBIT,6222", DAY)
    assert row.amount == Decimal("-1.00")
    with pytest.raises(BadStatement, match="is not the statement's date"):
        list(statement_rows("R1,2026-03-03,1.00,DEBIT,6222", DAY))


async def test_a_check_that_finds_nothing_costs_one_statement(
    books: Books, postings: list[Posting], sql: Any
) -> None:
    async with books.runtime.database.transaction(Mode.WRITE) as session:
        sql.reset()
        found = await check_books(session, DAY)
    assert [f.total for f in found] == [0, 0, 0, 0]
    assert sql.count == 4, sql.statements
