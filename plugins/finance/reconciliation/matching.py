"""External reconciliation: a clearing statement against our postings of its date.

The statement's lines are stored as they are, then matched in the database
(three anti- and semi-joins, however long the file): a line whose reference
names one of that date's postings on a customer account, for the same signed
amount, is matched; for another amount, an AMOUNT_MISMATCH; a line naming no
such posting is MISSING_ON_OUR_SIDE; a posting no line names is
MISSING_ON_THEIR_SIDE. One statement per date: importing the same file again
returns what the first import found, a different one is refused.

The lines are stored as they are read, a chunk at a time, so a file of a
million lines costs its text and one chunk of memory, not a million objects.
A bad line, or a reference given twice, undoes the import (a savepoint) and
the file is read again to say what is wrong with every line.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from typing import Any

from asyncpg import UniqueViolationError
from sqlalchemy import Table, and_, exists, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_day import open_business_date
from core.db import insert_for
from core.errors import BusinessError
from core.settings import Settings
from core.validation import clean_text
from plugins.finance.models import Account, Posting
from plugins.finance.reconciliation.exceptions import record, subject
from plugins.finance.reconciliation.models import (
    FILE_NAME_MAX,
    ClearingStatement,
    ClearingStatementLine,
    ExceptionKind,
)
from plugins.finance.reconciliation.statement_file import (
    BadRow,
    BadStatement,
    StatementRow,
    parse_statement,
    statement_rows,
)
from plugins.finance.references import posting_of

CHUNK = 50_000
"""Lines stored per statement. Each chunk is sorted by reference, so that the
unique index of a statement's references grows in order within it instead of
at random places (on SQLite, a million lines in random order take four times
as long)."""
HASHED_PER_UPDATE = 1 << 20


@dataclass
class Imported:
    """The statement as matched, or, when the file had bad lines, only those."""

    statement: ClearingStatement | None = None
    bad_rows: list[BadRow] = field(default_factory=list)
    bad_row_count: int = 0


async def import_statement(
    session: AsyncSession,
    settings: Settings,
    day: date,
    file_name: str,
    content: str,
    by: int | None,
) -> Imported:
    file_name = clean_text(file_name, field=["input", "fileName"], max_length=FILE_NAME_MAX)
    if day >= await open_business_date(session, settings):
        raise BusinessError(
            "BUSINESS_DATE_NOT_CLOSED",
            "A statement is matched once its business date is closed.",
            ["input", "businessDate"],
        )
    checksum = _checksum(content)
    earlier = await session.scalar(
        select(ClearingStatement).where(ClearingStatement.business_date == day)
    )
    if earlier is not None:
        if earlier.checksum == checksum:
            return Imported(earlier)
        raise BusinessError(
            "STATEMENT_ALREADY_IMPORTED",
            f"A different statement for {day} was imported at {earlier.imported_at:%Y-%m-%d %H:%M} "
            "UTC; its differences are being worked as exceptions.",
            ["input", "content"],
        )
    savepoint = await session.begin_nested()
    statement = ClearingStatement(
        business_date=day, file_name=file_name, checksum=checksum, lines=0, imported_by=by
    )
    session.add(statement)
    await session.flush()
    stored = await _store_lines(session, statement, statement_rows(content, day))
    if stored is None:
        await savepoint.rollback()
        parsed = parse_statement(content, day)
        return Imported(bad_rows=parsed.bad_rows, bad_row_count=parsed.bad_row_count)
    await savepoint.commit()
    statement.lines = stored
    await _refresh_statistics(session)
    await _match(session, statement)
    return Imported(statement)


async def _refresh_statistics(session: AsyncSession) -> None:
    """Tell PostgreSQL's planner about the lines just stored. Until autovacuum
    comes by (after the commit) it takes a statement's lines for a handful and
    matches them by probing the postings one line at a time: a million probes
    per join, three times slower than hashing the day's postings."""
    if session.bind.dialect.name == "postgresql":
        await session.execute(text(f"ANALYZE {ClearingStatementLine.__tablename__}"))


def _checksum(content: str) -> str:
    """SHA-256 of the file's UTF-8, without a second copy of a large file."""
    digest = hashlib.sha256()
    for start in range(0, len(content), HASHED_PER_UPDATE):
        digest.update(content[start : start + HASHED_PER_UPDATE].encode())
    return digest.hexdigest()


def _chunks(rows: Iterator[StatementRow]) -> Iterator[list[StatementRow]]:
    while chunk := list(islice(rows, CHUNK)):
        yield chunk


async def _store_lines(
    session: AsyncSession, statement: ClearingStatement, rows: Iterator[StatementRow]
) -> int | None:
    """The lines stored as they are read; how many, or None when a line is bad
    or a reference comes twice (then what was stored is to be undone)."""
    day = statement.business_date
    read = 0
    try:
        for chunk in _chunks(rows):
            chunk.sort(key=lambda row: row.reference)
            await _insert_all(
                session,
                ClearingStatementLine.__table__,
                [
                    {
                        "statement_id": statement.id,
                        "line_no": row.line_no,
                        "reference": row.reference,
                        "amount": row.amount,
                        "counterparty": row.counterparty,
                        "posting_id": posting_of(row.reference, day),
                    }
                    for row in chunk
                ],
            )
            read += len(chunk)
    except (BadStatement, UniqueViolationError):
        return None
    stored = await session.scalar(
        select(func.count()).where(ClearingStatementLine.statement_id == statement.id)
    )
    return read if stored == read else None


async def _insert_all(session: AsyncSession, table: Table, rows: list[dict[str, Any]]) -> None:
    """``rows`` stored by the database's fastest path.

    On PostgreSQL, ``COPY`` on the session's own connection, so within its
    transaction, each value as SQLAlchemy would bind it (money in fen): half
    the time of a multi-row ``INSERT`` for a million lines (the rest is the
    foreign key checked and the indexes kept, row by row, either way). ``COPY``
    cannot skip a conflict: a row breaking a unique constraint fails it with
    asyncpg's UniqueViolationError, and the transaction is to be rolled back
    to its savepoint. Elsewhere, a multi-row ``INSERT`` that skips such a row
    (a count after storing finds it).
    """
    dialect = session.bind.dialect
    if dialect.name != "postgresql":
        await session.execute(insert_for(session, table).on_conflict_do_nothing(), rows)
        return
    columns = list(rows[0])
    binds = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in columns]
    records = [
        tuple(
            value if bind is None else bind(value)
            for bind, value in zip(binds, row.values(), strict=True)
        )
        for row in rows
    ]
    connection = await (await session.connection()).get_raw_connection()
    await connection.driver_connection.copy_records_to_table(
        table.name, columns=columns, records=records
    )


async def _match(session: AsyncSession, statement: ClearingStatement) -> None:
    day = statement.business_date
    line = ClearingStatementLine
    theirs = select(line).where(line.statement_id == statement.id).subquery()
    named = and_(
        Posting.id == theirs.c.posting_id,
        Posting.value_date == day,
        Account.id == Posting.account_id,
        Account.customer_id.is_not(None),  # type: ignore[union-attr]
    )
    prefix = f"{day.isoformat()}:"
    matched = await session.scalar(
        select(func.count())
        .select_from(theirs)
        .join(Posting, Posting.id == theirs.c.posting_id)
        .join(Account, Account.id == Posting.account_id)
        .where(named, Posting.amount == theirs.c.amount)
    )
    mismatches = await record(
        session,
        ExceptionKind.AMOUNT_MISMATCH,
        day,
        select(
            subject(prefix + "reference:", theirs.c.reference),
            theirs.c.reference,
            theirs.c.counterparty,
            theirs.c.amount,
            Posting.amount.label("other_amount"),  # type: ignore[attr-defined]
            Posting.id.label("posting_id"),  # type: ignore[union-attr]
            Posting.entry_id,
            Posting.account_id,
            Posting.currency,
            Account.customer_id,
        )
        .join(Posting, Posting.id == theirs.c.posting_id)
        .join(Account, Account.id == Posting.account_id)
        .where(named, Posting.amount != theirs.c.amount),
    )
    missing_ours = await record(
        session,
        ExceptionKind.MISSING_ON_OUR_SIDE,
        day,
        select(
            subject(prefix + "reference:", theirs.c.reference),
            theirs.c.reference,
            theirs.c.counterparty,
            theirs.c.amount,
        ).where(~exists().where(named)),
    )
    missing_theirs = await record(
        session,
        ExceptionKind.MISSING_ON_THEIR_SIDE,
        day,
        select(
            subject(prefix + "posting:", Posting.id),
            Posting.id.label("posting_id"),  # type: ignore[union-attr]
            Posting.entry_id,
            Posting.account_id,
            Posting.currency,
            Posting.amount,
            Account.customer_id,
        )
        .join(Account, Account.id == Posting.account_id)
        .where(
            Posting.value_date == day,
            Account.customer_id.is_not(None),  # type: ignore[union-attr]
            ~exists().where(line.statement_id == statement.id, line.posting_id == Posting.id),
        ),
    )
    statement.matched = matched or 0
    statement.amount_mismatches = mismatches.total
    statement.missing_on_our_side = missing_ours.total
    statement.missing_on_their_side = missing_theirs.total
    session.add(statement)
    await session.flush()
