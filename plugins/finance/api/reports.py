"""Reports in GraphQL: daily balances, the trial balance and the loan book,
each with its CSV, for staff with ``report.read`` (a branch sees its own)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Protocol

import strawberry
from strawberry.types import Info

from core.context import Context
from core.errors import RequestError
from core.graphql import query
from core.money import Money
from plugins.finance.permissions import REPORT_READ
from plugins.finance.reports import balances, loan_book, trial_balance
from plugins.finance.reports.balances import BalanceGrouping
from plugins.finance.reports.dates import reportable

strawberry.enum(BalanceGrouping)


class Reported(Protocol):
    """A report as computed; its CSV is written only when asked for."""

    def as_csv(self) -> str: ...


def _amounts(by_currency: dict[str, Decimal] | None) -> list[Money] | None:
    if by_currency is None:
        return None
    return [Money(amount=amount, currency=c) for c, amount in sorted(by_currency.items())]


@strawberry.type
class BalanceReportRow:
    code: str = strawberry.field(description="The branch code, product code or tier.")
    name: str
    accounts: int = strawberry.field(description="Accounts with a balance at the close.")
    balance: Money


@strawberry.type(description="Deposit balances at the close of a business date (日终余额表).")
class BalanceReport:
    business_date: date
    grouped_by: BalanceGrouping
    rows: list[BalanceReportRow]
    totals: list[Money]
    ledger_totals: list[Money] | None = strawberry.field(
        description="Customer deposits by the ledger (minus the bank's internal accounts); "
        "null for a branch's view."
    )
    ties: bool | None = strawberry.field(description="Whether the totals tie to the ledger.")
    source: strawberry.Private[Reported]

    @strawberry.field(description="The report as CSV, for download or print.")
    def csv(self) -> str:
        return self.source.as_csv()


@strawberry.type
class TrialBalanceLine:
    code: str
    name: str
    opening: Money
    debits: Money
    credits: Money
    closing: Money = strawberry.field(description="Positive: a credit balance.")


@strawberry.type
class TrialBalanceTotal:
    opening: Money
    debits: Money
    credits: Money
    closing: Money
    balanced: bool = strawberry.field(description="Debits equal credits; balances sum to zero.")


@strawberry.type(description="The trial balance of the ledger for a business date (试算平衡表).")
class TrialBalance:
    business_date: date
    lines: list[TrialBalanceLine]
    totals: list[TrialBalanceTotal] = strawberry.field(description="One per currency.")
    balanced: bool
    source: strawberry.Private[Reported]

    @strawberry.field(description="The report as CSV, for download or print.")
    def csv(self) -> str:
        return self.source.as_csv()


@strawberry.type
class LoanBookRow:
    branch_code: str
    branch_name: str
    loans: int
    outstanding_principal: Money
    overdue_loans: int
    overdue_principal: Money
    overdue_interest: Money
    penalty_interest: Money


@strawberry.type(description="Active loans outstanding and overdue by branch (贷款余额表).")
class LoanBook:
    business_date: date
    rows: list[LoanBookRow]
    totals: list[LoanBookRow] = strawberry.field(description="One per currency.")
    ledger_principal: list[Money] | None = strawberry.field(
        description="Loans receivable in the ledger; null for a branch's view."
    )
    ties: bool | None
    source: strawberry.Private[Reported]

    @strawberry.field(description="The report as CSV, for download or print.")
    def csv(self) -> str:
        return self.source.as_csv()


def _loan_row(row: loan_book.LoanBookRow) -> LoanBookRow:
    def money(amount: Decimal) -> Money:
        return Money(amount=amount, currency=row.currency)

    return LoanBookRow(
        branch_code=row.branch_code,
        branch_name=row.branch_name,
        loans=row.loans,
        outstanding_principal=money(row.outstanding_principal),
        overdue_loans=row.overdue_loans,
        overdue_principal=money(row.overdue_principal),
        overdue_interest=money(row.overdue_interest),
        penalty_interest=money(row.penalty_interest),
    )


@strawberry.type
class ReportQuery:
    @query(permission=REPORT_READ)
    async def balance_report(
        self, info: Info, business_date: date, group_by: BalanceGrouping
    ) -> BalanceReport:
        """Deposit balances at the close of a business date (so far, for the open one)."""
        context: Context = info.context
        await reportable(context.session, context.runtime.settings, business_date)
        report = await balances.daily_balances(
            context.session, business_date, group_by, context.user
        )
        return BalanceReport(
            business_date=report.business_date,
            grouped_by=report.grouped_by,
            rows=[
                BalanceReportRow(
                    code=row.code,
                    name=row.name,
                    accounts=row.accounts,
                    balance=Money(amount=row.balance, currency=row.currency),
                )
                for row in report.rows
            ],
            totals=_amounts(report.totals),  # type: ignore[arg-type]
            ledger_totals=_amounts(report.ledger),
            ties=report.ties,
            source=report,
        )

    @query(permission=REPORT_READ)
    async def trial_balance(self, info: Info, business_date: date) -> TrialBalance:
        """The whole ledger's trial balance for a business date; head office only."""
        context: Context = info.context
        if not context.user.scope.is_everything:
            raise RequestError(
                "The trial balance is the whole bank's: head office only.", "HEAD_OFFICE_ONLY"
            )
        await reportable(context.session, context.runtime.settings, business_date)
        report = await trial_balance.trial_balance(context.session, business_date)
        return TrialBalance(
            business_date=report.business_date,
            lines=[
                TrialBalanceLine(
                    code=line.code,
                    name=line.name,
                    opening=Money(amount=line.opening, currency=line.currency),
                    debits=Money(amount=line.debits, currency=line.currency),
                    credits=Money(amount=line.credits, currency=line.currency),
                    closing=Money(amount=line.closing, currency=line.currency),
                )
                for line in report.lines
            ],
            totals=[
                TrialBalanceTotal(
                    opening=Money(amount=t.opening, currency=t.currency),
                    debits=Money(amount=t.debits, currency=t.currency),
                    credits=Money(amount=t.credits, currency=t.currency),
                    closing=Money(amount=t.closing, currency=t.currency),
                    balanced=t.balanced,
                )
                for t in report.totals
            ],
            balanced=report.balanced,
            source=report,
        )

    @query(permission=REPORT_READ)
    async def loan_book(self, info: Info, business_date: date) -> LoanBook:
        """Loans outstanding and overdue by branch at the close of a business date
        (kept by its end of day: not for the open date)."""
        context: Context = info.context
        await reportable(context.session, context.runtime.settings, business_date)
        report = await loan_book.loan_book(context.session, business_date, context.user)
        return LoanBook(
            business_date=report.business_date,
            rows=[_loan_row(row) for row in report.rows],
            totals=[_loan_row(row) for row in report.totals.values()],
            ledger_principal=_amounts(report.ledger),
            ties=report.ties,
            source=report,
        )
