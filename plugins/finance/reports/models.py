"""The loan book as each end of day left it: loans change in place, so their
position at a past close is kept rather than recomputed."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlmodel import Field, SQLModel

from core.columns import MinorUnits


class LoanBookDay(SQLModel, table=True):
    """One branch's active loans in one currency at the close of a business date."""

    __tablename__ = "finance_loan_book_day"

    business_date: date = Field(primary_key=True)
    branch_id: int = Field(foreign_key="security_branch.id", primary_key=True, index=True)
    currency: str = Field(max_length=3, primary_key=True)
    loans: int
    outstanding_principal: Decimal = Field(sa_type=MinorUnits())
    overdue_loans: int
    overdue_principal: Decimal = Field(sa_type=MinorUnits())
    overdue_interest: Decimal = Field(sa_type=MinorUnits())
    penalty_interest: Decimal = Field(sa_type=MinorUnits())
