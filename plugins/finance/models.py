"""The finance plugin's tables: products, accounts, the ledger, freezes and
idempotency keys.

Every amount is stored as whole fen (``MinorUnits``); interest rates as
ten-thousandths of a percent (``MinorUnits(4)``: 1.45 % is 14500), so that all
interest arithmetic in SQL is exact integer arithmetic.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.columns import MinorUnits, UTCDateTime, enum_column, utcnow
from core.reference_data import REFERENCE_TABLE

CURRENCY_LENGTH = 3
MEMO_MAX = 200
REASON_MAX = 500
IDEMPOTENCY_KEY_MAX = 100
RATE_SCALE = 4
"""Rates are stored in ten-thousandths of a percent."""


class AccountKind(enum.StrEnum):
    DEMAND = "DEMAND"
    FIXED = "FIXED"


class AccountStatus(enum.StrEnum):
    ACTIVE = "ACTIVE"
    FROZEN = "FROZEN"
    CLOSED = "CLOSED"


class InternalAccount(enum.StrEnum):
    """The bank's own ledger accounts, one per currency."""

    CASH = "CASH"
    INTEREST_EXPENSE = "INTEREST_EXPENSE"
    INTEREST_INCOME = "INTEREST_INCOME"
    LOANS_RECEIVABLE = "LOANS_RECEIVABLE"
    SUSPENSE = "SUSPENSE"


class FreezeMode(enum.StrEnum):
    FULL = "FULL"
    DEBIT = "DEBIT"
    PARTIAL = "PARTIAL"


class Product(SQLModel, table=True):
    """A deposit product: its kind and currency; its rates are in ``ProductRate``."""

    __tablename__ = "finance_product"
    __table_args__ = REFERENCE_TABLE

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    kind: AccountKind = Field(sa_type=enum_column(AccountKind))
    currency: str = Field(max_length=CURRENCY_LENGTH)
    standard: bool = Field(default=False, description="The default product for its kind.")


class ProductRate(SQLModel, table=True):
    """The annual rate new accounts of a product open at; per term for fixed
    deposits (``term_months`` 0 for demand deposits)."""

    __tablename__ = "finance_product_rate"
    __table_args__ = REFERENCE_TABLE

    product_id: int = Field(foreign_key="finance_product.id", primary_key=True)
    term_months: int = Field(default=0, primary_key=True)
    annual_rate: Decimal = Field(sa_type=MinorUnits(RATE_SCALE))
    changed_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Account(SQLModel, table=True):
    """A ledger account: a customer's deposit account, or one of the bank's own
    (``internal`` set, no customer).

    ``balance`` is the running sum of the account's postings, kept for speed
    and checked by ``plugins.finance.ledger.check_ledger``; ``held`` is the sum
    of its active PARTIAL freezes. ``accrual`` is the interest accrued and not
    yet paid, as the exact sum over closed days of closing balance (fen) ×
    annual rate (ten-thousandths of a percent): interest in fen is
    ``accrual / 360,000,000`` (积数计息), rounded once, when paid.
    """

    __tablename__ = "finance_account"
    __table_args__ = (
        sa.UniqueConstraint("internal", "currency"),
        sa.Index("ix_finance_account_maturity", "maturity_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    account_no: str = Field(max_length=19, unique=True)
    customer_id: int | None = Field(default=None, foreign_key="customer_customer.id", index=True)
    internal: InternalAccount | None = Field(default=None, sa_type=enum_column(InternalAccount))
    kind: AccountKind | None = Field(default=None, sa_type=enum_column(AccountKind))
    product_id: int | None = Field(default=None, foreign_key="finance_product.id", index=True)
    currency: str = Field(max_length=CURRENCY_LENGTH)
    status: AccountStatus = Field(default=AccountStatus.ACTIVE, sa_type=enum_column(AccountStatus))
    credits_blocked: bool = Field(default=False, description="A FULL freeze is active.")
    balance: Decimal = Field(default=Decimal("0.00"), sa_type=MinorUnits())
    held: Decimal = Field(default=Decimal("0.00"), sa_type=MinorUnits())
    annual_rate: Decimal = Field(default=Decimal("0"), sa_type=MinorUnits(RATE_SCALE))
    accrual: int = Field(default=0, sa_type=sa.BigInteger)
    term_months: int | None = None
    principal: Decimal | None = Field(default=None, sa_type=MinorUnits())
    maturity_date: date | None = None
    funding_account_id: int | None = Field(
        default=None, foreign_key="finance_account.id", index=True
    )
    opened_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    opened_on: date
    closed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)

    @property
    def is_debit_blocked(self) -> bool:
        return self.status is not AccountStatus.ACTIVE

    @property
    def available_balance(self) -> Decimal:
        """What may be taken out: nothing while frozen, else the balance less holds."""
        if self.is_debit_blocked:
            return Decimal("0.00")
        return max(self.balance - self.held, Decimal("0.00"))


class JournalEntry(SQLModel, table=True):
    """One movement of money: postings that sum to zero. Never updated; a
    mistake is undone by a reversing entry (``reverses_id``)."""

    __tablename__ = "finance_journal_entry"

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=32)
    value_date: date
    memo: str | None = Field(default=None, max_length=MEMO_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    reverses_id: int | None = Field(
        default=None, foreign_key="finance_journal_entry.id", unique=True
    )


class Posting(SQLModel, table=True):
    """One line of a journal entry on one account: positive credits the account
    (a deposit grows), negative debits it. ``balance_after`` is the account's
    balance right after this posting."""

    __tablename__ = "finance_posting"
    __table_args__ = (
        sa.Index("ix_finance_posting_account", "account_id", "id"),
        sa.Index("ix_finance_posting_account_date", "account_id", "value_date"),
        sa.Index("ix_finance_posting_value_date", "value_date"),
    )

    id: int | None = Field(default=None, primary_key=True)
    entry_id: int = Field(foreign_key="finance_journal_entry.id", index=True)
    account_id: int = Field(foreign_key="finance_account.id")
    kind: str = Field(max_length=32)
    currency: str = Field(max_length=CURRENCY_LENGTH, description="The account's, kept here.")
    amount: Decimal = Field(sa_type=MinorUnits())
    balance_after: Decimal = Field(sa_type=MinorUnits())
    value_date: date
    posted_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Freeze(SQLModel, table=True):
    """A freeze (冻结) on an account, active until released."""

    __tablename__ = "finance_freeze"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="finance_account.id", index=True)
    mode: FreezeMode = Field(sa_type=enum_column(FreezeMode))
    amount: Decimal | None = Field(default=None, sa_type=MinorUnits())
    reason: str = Field(max_length=REASON_MAX)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    created_by: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    released_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    released_by: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    release_reason: str | None = Field(default=None, max_length=REASON_MAX)

    @property
    def active(self) -> bool:
        return self.released_at is None


class IdempotencyKey(SQLModel, table=True):
    """A money mutation's idempotency key: what it was asked (a fingerprint of
    the operation, the caller and the input) and what it did (the entry it
    posted, the account it opened)."""

    __tablename__ = "finance_idempotency_key"

    key: str = Field(primary_key=True, max_length=IDEMPOTENCY_KEY_MAX)
    fingerprint: str = Field(max_length=64)
    entry_id: int | None = Field(default=None, foreign_key="finance_journal_entry.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="finance_account.id", index=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
