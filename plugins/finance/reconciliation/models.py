"""The reconciliation tables: the exceptions people work, their notes, and the
clearing side's statements with their lines."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.columns import MinorUnits, UTCDateTime, enum_column, utcnow

NOTE_MAX = 1000
REFERENCE_MAX = 40
COUNTERPARTY_MAX = 60
FILE_NAME_MAX = 200


class ExceptionKind(enum.StrEnum):
    """What was found. The first four are breaks in the books, the next three
    differences from the clearing side's statement, the last three anomalies."""

    LEDGER_OUT_OF_BALANCE = "LEDGER_OUT_OF_BALANCE"
    ENTRY_OUT_OF_BALANCE = "ENTRY_OUT_OF_BALANCE"
    BALANCE_MISMATCH = "BALANCE_MISMATCH"
    INTERNAL_ACCOUNT_MISMATCH = "INTERNAL_ACCOUNT_MISMATCH"
    MISSING_ON_OUR_SIDE = "MISSING_ON_OUR_SIDE"
    MISSING_ON_THEIR_SIDE = "MISSING_ON_THEIR_SIDE"
    AMOUNT_MISMATCH = "AMOUNT_MISMATCH"
    LARGE_CASH = "LARGE_CASH"
    STRUCTURING = "STRUCTURING"
    PASS_THROUGH = "PASS_THROUGH"  # noqa: S105 (a kind, not a password)


class ExceptionStatus(enum.StrEnum):
    OPEN = "OPEN"
    INVESTIGATING = "INVESTIGATING"
    RESOLVED = "RESOLVED"


class ReconciliationException(SQLModel, table=True):
    """One thing reconciliation found, for a person to work until resolved.

    ``subject`` names what it is about (``account:42``, ``entry:7``, a statement
    reference); a break still unresolved is not recorded again when the next
    run finds it, only ``last_seen_on`` moves, and no run records the same
    thing twice on one date. ``amount`` is the figure at issue and
    ``other_amount`` the one it was compared with (see ``describe``).
    """

    __tablename__ = "finance_reconciliation_exception"
    __table_args__ = (
        sa.UniqueConstraint("kind", "subject", "found_on"),
        sa.Index("ix_finance_reconciliation_exception_status", "status", "found_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    kind: ExceptionKind = Field(sa_type=enum_column(ExceptionKind))
    subject: str = Field(max_length=80)
    found_on: date = Field(index=True)
    last_seen_on: date
    status: ExceptionStatus = Field(
        default=ExceptionStatus.OPEN, sa_type=enum_column(ExceptionStatus)
    )
    currency: str | None = Field(default=None, max_length=3)
    amount: Decimal | None = Field(default=None, sa_type=MinorUnits())
    other_amount: Decimal | None = Field(default=None, sa_type=MinorUnits())
    movements: int | None = Field(default=None, description="How many movements, for patterns.")
    reference: str | None = Field(default=None, max_length=REFERENCE_MAX)
    counterparty: str | None = Field(default=None, max_length=COUNTERPARTY_MAX)
    customer_id: int | None = Field(default=None, foreign_key="customer_customer.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="finance_account.id", index=True)
    entry_id: int | None = Field(default=None, foreign_key="finance_journal_entry.id", index=True)
    posting_id: int | None = Field(default=None, foreign_key="finance_posting.id", index=True)
    assignee_id: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ExceptionNote(SQLModel, table=True):
    """A note on an exception, and the status it was set to with it, if any."""

    __tablename__ = "finance_reconciliation_note"

    id: int | None = Field(default=None, primary_key=True)
    exception_id: int = Field(foreign_key="finance_reconciliation_exception.id", index=True)
    text: str = Field(max_length=NOTE_MAX)
    status: ExceptionStatus | None = Field(default=None, sa_type=enum_column(ExceptionStatus))
    assignee_id: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    written_by: int = Field(foreign_key="security_user.id", index=True)
    written_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ClearingStatement(SQLModel, table=True):
    """A statement file from the clearing side for one business date, and what
    matching it against that date's postings found."""

    __tablename__ = "finance_clearing_statement"

    id: int | None = Field(default=None, primary_key=True)
    business_date: date = Field(unique=True)
    file_name: str = Field(max_length=FILE_NAME_MAX)
    checksum: str = Field(max_length=64, description="SHA-256 of the file.")
    lines: int
    matched: int = 0
    missing_on_our_side: int = 0
    missing_on_their_side: int = 0
    amount_mismatches: int = 0
    imported_by: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    imported_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ClearingStatementLine(SQLModel, table=True):
    """One line of a clearing statement. ``amount`` is signed as our postings
    are (a CREDIT positive); ``posting_id`` is the posting its reference names,
    when the reference is one of ours."""

    __tablename__ = "finance_clearing_statement_line"
    __table_args__ = (
        sa.UniqueConstraint("statement_id", "reference"),
        sa.Index("ix_finance_clearing_statement_line_posting", "statement_id", "posting_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    statement_id: int = Field(foreign_key="finance_clearing_statement.id")
    line_no: int
    reference: str = Field(max_length=REFERENCE_MAX)
    amount: Decimal = Field(sa_type=MinorUnits())
    counterparty: str = Field(max_length=COUNTERPARTY_MAX)
    posting_id: int | None = None
