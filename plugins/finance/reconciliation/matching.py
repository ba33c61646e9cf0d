"""External reconciliation: a clearing statement against our postings of its date.

The statement's lines are stored as they are, then matched in the database
(three anti- and semi-joins, however long the file): a line whose reference
names one of that date's postings on a customer account, for the same signed
amount, is matched; for another amount, an AMOUNT_MISMATCH; a line naming no
such posting is MISSING_ON_OUR_SIDE; a posting no line names is
MISSING_ON_THEIR_SIDE. One statement per date: importing the same file again
returns what the first import found, a different one is refused.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import and_, exists, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.business_day import open_business_date
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
from plugins.finance.reconciliation.statement_file import BadRow, parse_statement
from plugins.finance.references import posting_of

CHUNK = 5_000


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
    checksum = hashlib.sha256(content.encode()).hexdigest()
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
    parsed = parse_statement(content, day)
    if parsed.bad_rows:
        return Imported(bad_rows=parsed.bad_rows, bad_row_count=parsed.bad_row_count)
    statement = ClearingStatement(
        business_date=day,
        file_name=file_name,
        checksum=checksum,
        lines=len(parsed.rows),
        imported_by=by,
    )
    session.add(statement)
    await session.flush()
    for start in range(0, len(parsed.rows), CHUNK):
        await session.execute(
            insert(ClearingStatementLine),
            [
                {
                    "statement_id": statement.id,
                    "line_no": row.line_no,
                    "reference": row.reference,
                    "amount": row.amount,
                    "counterparty": row.counterparty,
                    "posting_id": posting_of(row.reference, day),
                }
                for row in parsed.rows[start : start + CHUNK]
            ],
        )
    await _match(session, statement)
    return Imported(statement)


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
