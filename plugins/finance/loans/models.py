"""The loan tables: products, loans and their installments."""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from core.columns import MinorUnits, UTCDateTime, enum_column, utcnow
from core.reference_data import REFERENCE_TABLE
from plugins.customer.models import CustomerKind
from plugins.finance.loans.schedule import RepaymentMethod
from plugins.finance.models import RATE_SCALE

COMMENT_MAX = 1000


class LoanStatus(enum.StrEnum):
    PENDING_APPROVAL = "PENDING_APPROVAL"
    APPROVED = "APPROVED"
    REJECTED = "REJECTED"
    ACTIVE = "ACTIVE"
    PAID_OFF = "PAID_OFF"


class LoanProduct(SQLModel, table=True):
    """A loan product: for whom, at what rate, for how long and how much."""

    __tablename__ = "finance_loan_product"
    __table_args__ = REFERENCE_TABLE

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=32, unique=True)
    name: str = Field(max_length=100)
    customer_kind: CustomerKind = Field(sa_type=enum_column(CustomerKind))
    annual_rate: Decimal = Field(sa_type=MinorUnits(RATE_SCALE))
    min_term_months: int
    max_term_months: int
    min_amount: Decimal = Field(sa_type=MinorUnits())
    max_amount: Decimal = Field(sa_type=MinorUnits())
    currency: str = Field(default="CNY", max_length=3)
    standard: bool = Field(default=False, description="The default for its customer kind.")


class Loan(SQLModel, table=True):
    """A loan, from application to paid off.

    ``penalty_accrual`` is overdue principal (fen) × penalty rate (ten-thousandths
    of a percent) summed over the days it was overdue, as deposits accrue
    (``plugins.finance.interest_math``); it is charged, rounded, when paid.
    """

    __tablename__ = "finance_loan"
    __table_args__ = (sa.Index("ix_finance_loan_status", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    loan_no: str = Field(max_length=16, unique=True)
    customer_id: int = Field(foreign_key="customer_customer.id", index=True)
    account_id: int = Field(foreign_key="finance_account.id", index=True)
    product_id: int = Field(foreign_key="finance_loan_product.id", index=True)
    status: LoanStatus = Field(default=LoanStatus.PENDING_APPROVAL, sa_type=enum_column(LoanStatus))
    principal: Decimal = Field(sa_type=MinorUnits())
    currency: str = Field(default="CNY", max_length=3)
    annual_rate: Decimal = Field(sa_type=MinorUnits(RATE_SCALE))
    penalty_rate: Decimal = Field(sa_type=MinorUnits(RATE_SCALE))
    term_months: int
    method: RepaymentMethod = Field(sa_type=enum_column(RepaymentMethod))
    outstanding_principal: Decimal = Field(sa_type=MinorUnits())
    penalty_accrual: int = Field(default=0, sa_type=sa.BigInteger)
    applied_by: int = Field(foreign_key="security_user.id", index=True)
    applied_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    applied_on: date
    decided_by: int | None = Field(default=None, foreign_key="security_user.id", index=True)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decision_comment: str | None = Field(default=None, max_length=COMMENT_MAX)
    disbursed_on: date | None = None
    paid_off_on: date | None = None


class Installment(SQLModel, table=True):
    """One month of a disbursed loan's schedule, and what has been paid of it."""

    __tablename__ = "finance_installment"
    __table_args__ = (
        sa.UniqueConstraint("loan_id", "number"),
        sa.Index("ix_finance_installment_due", "due_date", "paid_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    loan_id: int = Field(foreign_key="finance_loan.id")
    number: int
    due_date: date
    principal: Decimal = Field(sa_type=MinorUnits())
    interest: Decimal = Field(sa_type=MinorUnits())
    paid_principal: Decimal = Field(default=Decimal("0.00"), sa_type=MinorUnits())
    paid_interest: Decimal = Field(default=Decimal("0.00"), sa_type=MinorUnits())
    paid_on: date | None = Field(default=None, description="When it was paid in full.")

    @property
    def unpaid_principal(self) -> Decimal:
        return self.principal - self.paid_principal

    @property
    def unpaid_interest(self) -> Decimal:
        return self.interest - self.paid_interest

    @property
    def unpaid(self) -> Decimal:
        return self.unpaid_principal + self.unpaid_interest
