"""The end-of-day batch over a book of loans: a year of closes, one day at a time.

Loans are applied for, decided and paid out straight through the services, by
two different head-office principals (four eyes); money moves through the API.
Every date is closed with ``core.end_of_day.close_business_day`` and the ledger
is checked after every close. The figures asserted are worked out by hand in
the comments (4.35 % a year, penalty 1.5 × that = 6.525 %, 360-day year).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select

from core.db import Mode
from core.end_of_day import close_business_day
from core.runtime import Runtime
from plugins.customer.models import Customer
from plugins.finance.loans import lifecycle
from plugins.finance.loans.models import Installment, Loan, LoanStatus
from plugins.finance.loans.repayment import LOAN_REPAYMENT
from plugins.finance.loans.schedule import RepaymentMethod
from plugins.finance.models import Account, InternalAccount, Posting
from tests.plugins.customer.conftest import credit_code, global_id
from tests.plugins.finance.conftest import UNFREEZE, Books, global_id_of, head_office

FEN = Decimal("0.01")
ZERO = Decimal("0.00")
PERSONAL_RATE = Decimal("4.35")  # PERSONAL-CONSUMER, the standard individual product
PENALTY_FACTOR = Decimal("1.5")
PENALTY_RATE_UNITS = 65250
"""4.35 % × 1.5 = 6.525 % a year, in ten-thousandths of a percent."""
EQUAL_INSTALLMENT = RepaymentMethod.EQUAL_INSTALLMENT
EQUAL_PRINCIPAL = RepaymentMethod.EQUAL_PRINCIPAL

LOAN = """
query($id: ID!) {
  loan(id: $id) {
    status daysPastDue overdueAmount { amount } penaltyInterest { amount }
    outstandingPrincipal { amount }
    schedule { number dueDate paid paidAmount { amount } daysPastDue }
  }
}
"""


def penalty(overdue_principal: str, days: int, annual_rate: Decimal = PERSONAL_RATE) -> Decimal:
    """round_half_up(overdue principal × loan rate × 1.5 / 360 × days), to the fen."""
    exact = Decimal(overdue_principal) * annual_rate / 100 * PENALTY_FACTOR / 360 * days
    return exact.quantize(FEN, rounding=ROUND_HALF_UP)


def money(amount: str | Decimal) -> dict[str, str]:
    return {"amount": str(Decimal(amount).quantize(FEN))}


@dataclass
class Lending:
    """Borrowers, loans and the batch, for one test."""

    books: Books
    today: date
    reports: dict[date, dict[str, str]] = field(default_factory=dict)
    _companies: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    @property
    def runtime(self) -> Runtime:
        return self.books.runtime

    async def start(self) -> None:
        await self.books.open_business_date(self.today)

    async def close_until(self, until: date) -> None:
        """Close dates one at a time until ``until`` is open; the ledger must balance
        after every one of them."""
        while self.today < until:
            closed = await close_business_day(self.runtime)
            assert closed is not None
            assert closed.business_date == self.today
            self.reports[self.today] = closed.report
            check = await self.books.ledger()
            assert check.ok, (self.today, check)
            self.today += timedelta(days=1)

    async def borrower(self, corporate: bool = False) -> tuple[dict[str, Any], dict[str, Any]]:
        """A new customer (of BJ-001) and their demand account, empty."""
        if corporate:
            serial = next(self._companies)
            customer = await self.books.customer(
                kind="CORPORATE",
                name=f"北京星辰{serial}号科技有限公司",
                idNumber=credit_code(serial),
            )
        else:
            customer = await self.books.customer()
        return customer, await self.books.open(customer)

    async def lend(
        self,
        customer: dict[str, Any],
        account: dict[str, Any],
        principal: str,
        months: int,
        method: RepaymentMethod,
    ) -> int:
        """Apply (admin), approve (another head-office user) and pay out today; the loan's id."""
        users = self.books.bank.user_ids
        applicant = head_office(users["admin"], "admin")
        approver = head_office(users["auditor"], "auditor")
        settings = self.runtime.settings
        customer_id = await self.books.bank.customer_id(customer)
        async with self.runtime.database.transaction(Mode.WRITE) as session:
            row = await session.get_one(Customer, customer_id)
            loan = await lifecycle.apply_for_loan(
                session,
                settings,
                applicant,
                row,
                lifecycle.Application(
                    principal=Decimal(principal),
                    term_months=months,
                    method=method,
                    account_id=int(global_id_of(account)),
                ),
            )
            await lifecycle.decide_loan(session, approver, loan.id, True, "同意")
            loan = await lifecycle.disburse_loan(
                session, settings, applicant, loan.id, self.books.key()
            )
            assert (loan.status, loan.disbursed_on) == (LoanStatus.ACTIVE, self.today)
            assert loan.applied_by != loan.decided_by
            return loan.id  # type: ignore[return-value]

    async def loan(self, loan_id: int) -> tuple[Loan, list[Installment]]:
        async with self.runtime.database.transaction(Mode.READ) as session:
            loan = await session.get_one(Loan, loan_id)
            installments = list(
                await session.scalars(
                    select(Installment)
                    .where(Installment.loan_id == loan_id)
                    .order_by(Installment.number)
                )
            )
            return loan, installments

    async def paid_on(self, loan_id: int) -> list[date | None]:
        return [i.paid_on for i in (await self.loan(loan_id))[1]]

    async def seen(self, loan_id: int) -> dict[str, Any]:
        """The loan as the API shows it, on the open business date."""
        caller = await self.books.bank.sign_in("admin")
        return (await caller.data(LOAN, {"id": global_id("Loan", loan_id)}))["loan"]

    async def overdue(self, loan_id: int) -> tuple[int, str, str]:
        """(daysPastDue, overdueAmount, penaltyInterest) as the API shows them."""
        loan = await self.seen(loan_id)
        return (
            loan["daysPastDue"],
            loan["overdueAmount"]["amount"],
            loan["penaltyInterest"]["amount"],
        )

    async def internal(self, code: InternalAccount) -> Decimal:
        async with self.runtime.database.transaction(Mode.READ) as session:
            found = await session.scalar(
                select(Account.balance).where(Account.internal == code, Account.currency == "CNY")
            )
            return found if found is not None else ZERO

    async def collected(self, account: dict[str, Any], day: date) -> Decimal:
        """What loan collection took from ``account`` on ``day`` (a positive amount)."""
        async with self.runtime.database.transaction(Mode.READ) as session:
            taken = await session.scalar(
                select(func.coalesce(func.sum(Posting.amount), 0)).where(
                    Posting.account_id == int(global_id_of(account)),
                    Posting.kind == LOAN_REPAYMENT,
                    Posting.value_date == day,
                )
            )
            return -Decimal(taken)

    async def loans_paid(self) -> tuple[Decimal, Decimal, Decimal]:
        """(principal disbursed, principal repaid, interest repaid) over every loan,
        from the loans and their installments."""
        async with self.runtime.database.transaction(Mode.READ) as session:
            loans = list(await session.scalars(select(Loan)))
            installments = list(await session.scalars(select(Installment)))
        disbursed = sum((loan.principal for loan in loans), ZERO)
        repaid = sum((i.paid_principal for i in installments), ZERO)
        assert repaid == sum((loan.principal - loan.outstanding_principal for loan in loans), ZERO)
        return disbursed, repaid, sum((i.paid_interest for i in installments), ZERO)

    async def assert_ties(self, penalties_paid: Decimal) -> None:
        """Interest income is the interest and penalty the loans paid; loans
        receivable is minus the principal still out."""
        disbursed, repaid, interest = await self.loans_paid()
        assert await self.internal(InternalAccount.INTEREST_INCOME) == interest + penalties_paid
        assert await self.internal(InternalAccount.LOANS_RECEIVABLE) == -(disbursed - repaid)


async def test_a_year_of_end_of_day_runs_over_a_book_of_loans(books: Books):
    lending = Lending(books, date(2026, 1, 31))
    await lending.start()

    # A: 120,000.00 over 12 months, 等额本息, paid out on 31 January; the account always
    # has the money. Annuity 10,237.19 (numpy-financial pmt: 10237.188...); interest
    # month 1 = 120,000 × 0.003625 = 435.00; due on each month's last day from
    # 28 February on; total interest 2,846.26; the last installment 10,237.17.
    a_customer, a_account = await lending.borrower()
    await books.deposit(a_account, "3000.00")
    a = await lending.lend(a_customer, a_account, "120000.00", 12, EQUAL_INSTALLMENT)

    # C: 12,000.00 over 12 months, 等额本金, on 10 February; the account never has the
    # money. Principal 1,000.00 a month, due the 10th from 10 March; interest
    # 43.50, 39.88 (11,000 × 0.003625 = 39.875), 36.25, ... 7.25, 3.63 (282.78 in all).
    await lending.close_until(date(2026, 2, 10))
    c_customer, c_account = await lending.borrower()
    c = await lending.lend(c_customer, c_account, "12000.00", 12, EQUAL_PRINCIPAL)
    assert (await books.withdraw(c_account, "12000.00"))["errors"] == []

    # A's first installment falls due on 28 February (31 January + 1 month): not
    # collected the day before, collected at the close of the 28th.
    await lending.close_until(date(2026, 2, 28))
    assert await lending.paid_on(a) == [None] * 12
    assert await books.balance(a_account) == Decimal("123000.00")
    await lending.close_until(date(2026, 3, 1))
    assert (await lending.paid_on(a))[:2] == [date(2026, 2, 28), None]
    assert await lending.collected(a_account, date(2026, 2, 28)) == Decimal("10237.19")
    assert await books.balance(a_account) == Decimal("112762.81")  # 123,000 − 10,237.19

    # C's first installment (1,043.50) falls due on 10 March and is not collected:
    # not overdue on the 10th, overdue from the 11th, its first day of penalty
    # accrues at the close of the 11th.
    await lending.close_until(date(2026, 3, 10))
    assert await lending.overdue(c) == (0, "0.00", "0.00")
    await lending.close_until(date(2026, 3, 11))
    assert (await lending.paid_on(c))[0] is None
    assert await lending.overdue(c) == (1, "1043.50", "0.00")
    await lending.close_until(date(2026, 3, 12))
    # One day: 1,000.00 × 4.35 % × 1.5 / 360 = 0.18125 → 0.18.
    assert penalty("1000.00", 1) == Decimal("0.18")
    assert await lending.overdue(c) == (2, "1043.68", "0.18")
    c_loan, _ = await lending.loan(c)
    assert c_loan.penalty_accrual == 100_000 * PENALTY_RATE_UNITS  # fen × rate units, one day

    # 31 March: 20 days of penalty (closes of 11–30 March) on the 1,000.00 overdue
    # principal only (not on the 43.50 interest): 20 × 0.18125 = 3.625 → 3.63, half up.
    await lending.close_until(date(2026, 3, 31))
    assert penalty("1000.00", 20) == Decimal("3.63")
    assert await lending.overdue(c) == (21, "1047.13", "3.63")  # 1,043.50 + 3.63

    # B: 300,000.00 corporate, 3 months, 等额本金, at 3.45 %, on 31 March: principal
    # 100,000.00 on 30 April, 31 May, 30 June; interest 862.50, 575.00, 287.50.
    b_customer, b_account = await lending.borrower(corporate=True)
    await books.deposit(b_account, "2000.00")
    b = await lending.lend(b_customer, b_account, "300000.00", 3, EQUAL_PRINCIPAL)

    # E: 30,000.00 over 6 months, 等额本金, on 15 April; the account is emptied and
    # each installment is paid in on its due date (the first the day before):
    # 5,108.75, 5,090.63, 5,072.50, 5,054.38, 5,036.25, 5,018.13 (interest 380.64).
    await lending.close_until(date(2026, 4, 15))
    e_customer, e_account = await lending.borrower()
    e = await lending.lend(e_customer, e_account, "30000.00", 6, EQUAL_PRINCIPAL)
    assert (await books.withdraw(e_account, "30000.00"))["errors"] == []
    e_installments = ["5108.75", "5090.63", "5072.50", "5054.38", "5036.25", "5018.13"]

    await lending.close_until(date(2026, 5, 14))
    await books.deposit(e_account, e_installments[0])
    await lending.close_until(date(2026, 5, 15))
    assert (await lending.paid_on(e))[0] is None  # the money was there, but not yet due
    assert await books.balance(e_account) == Decimal("5108.75")
    await lending.close_until(date(2026, 5, 16))
    assert (await lending.paid_on(e))[0] == date(2026, 5, 15)
    assert await lending.collected(e_account, date(2026, 5, 15)) == Decimal("5108.75")

    # D: 60,000.00 over 6 months, 等额本息, on 31 May; the account keeps only the
    # first installment. Annuity 10,127.26; principal parts 9,909.76, 9,945.68,
    # 9,981.74, 10,017.92, 10,054.23, 10,090.67; interest 763.55 in all.
    await lending.close_until(date(2026, 5, 31))
    d_customer, d_account = await lending.borrower()
    d = await lending.lend(d_customer, d_account, "60000.00", 6, EQUAL_INSTALLMENT)
    assert (await books.withdraw(d_account, "49872.74"))["errors"] == []  # 60,000 − 10,127.26

    await lending.close_until(date(2026, 6, 15))
    await books.deposit(e_account, e_installments[1])  # paid in on the due date itself
    await lending.close_until(date(2026, 6, 16))
    assert (await lending.paid_on(e))[1] == date(2026, 6, 15)

    # 30 June: B's last installment, D's first.
    await lending.close_until(date(2026, 7, 1))
    b_loan, b_installments = await lending.loan(b)
    assert (b_loan.status, b_loan.paid_off_on) == (LoanStatus.PAID_OFF, date(2026, 6, 30))
    assert b_loan.outstanding_principal == ZERO
    assert [i.paid_on for i in b_installments] == [
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
    ]
    assert sum((i.paid_interest for i in b_installments), ZERO) == Decimal("1725.00")
    assert (await lending.paid_on(d))[:2] == [date(2026, 6, 30), None]
    assert await lending.collected(d_account, date(2026, 6, 30)) == Decimal("10127.26")
    await lending.assert_ties(penalties_paid=ZERO)  # C paid nothing, penalty neither

    await lending.close_until(date(2026, 7, 15))
    await books.deposit(e_account, e_installments[2])

    # D's second installment (due 31 July) finds the account short: overdue from
    # 1 August, accruing penalty from the close of 1 August (C already does).
    await lending.close_until(date(2026, 8, 2))
    assert (await lending.paid_on(d))[1] is None
    assert lending.reports[date(2026, 7, 31)]["finance.loan_collection"] == (
        "1 loan installments collected, 2 loans left overdue"  # A's collected; C, D overdue
    )
    assert lending.reports[date(2026, 7, 31)]["finance.loan_penalty_interest"] == (
        "1 overdue loans accrued penalty interest"
    )
    assert lending.reports[date(2026, 8, 1)]["finance.loan_penalty_interest"] == (
        "2 overdue loans accrued penalty interest"
    )
    # One day on July's 9,945.68 of principal: × 6.525 % / 360 = 1.8027... → 1.80.
    assert penalty("9945.68", 1) == Decimal("1.80")
    assert await lending.overdue(d) == (2, "10129.06", "1.80")

    await lending.close_until(date(2026, 8, 15))
    await books.deposit(e_account, e_installments[3])

    # F: 500,000.00 corporate, 12 months, 等额本息, at 3.45 %, on 31 August; the account
    # keeps it. Annuity 42,449.41; the first five principal parts 41,011.91,
    # 41,129.82, 41,248.07, 41,366.66, 41,485.58 (206,242.04); interest 1,437.50,
    # 1,319.59, 1,201.34, 1,082.75, 963.83 (6,005.01).
    await lending.close_until(date(2026, 8, 31))
    f_customer, f_account = await lending.borrower(corporate=True)
    f = await lending.lend(f_customer, f_account, "500000.00", 12, EQUAL_INSTALLMENT)

    # 10 September: D has two installments overdue (31 July and 31 August).
    # Penalty, closes of 1 August – 9 September on 9,945.68 (40 days) and closes of
    # 1–9 September on 9,981.74 (9 days):
    #   9,945.68 × 6.525 % / 360 × 40 = 72.1062...
    #   9,981.74 × 6.525 % / 360 × 9  = 16.2826...   together 88.3889 → 88.39.
    await lending.close_until(date(2026, 9, 10))
    expected_penalty = (
        Decimal("9945.68") * Decimal("0.06525") / 360 * 40
        + Decimal("9981.74") * Decimal("0.06525") / 360 * 9
    ).quantize(FEN, rounding=ROUND_HALF_UP)
    assert expected_penalty == Decimal("88.39")
    # daysPastDue 10 September − 31 July = 41; overdue 2 × 10,127.26 + 88.39.
    assert await lending.overdue(d) == (41, "20342.91", "88.39")
    income_before = await lending.internal(InternalAccount.INTEREST_INCOME)
    # Topped up with the penalty and the July installment, and 5,000 towards August's:
    # the close collects the penalty and July's in full, and leaves August's whole.
    await books.deposit(d_account, "15215.65")  # 88.39 + 10,127.26 + 5,000.00
    await lending.close_until(date(2026, 9, 11))
    assert (await lending.paid_on(d))[1:3] == [date(2026, 9, 10), None]
    _, d_installments = await lending.loan(d)
    assert d_installments[2].paid_principal + d_installments[2].paid_interest == ZERO
    assert await lending.collected(d_account, date(2026, 9, 10)) == Decimal("10215.65")
    # Income grew by July's interest 181.58 and the penalty 88.39.
    assert await lending.internal(InternalAccount.INTEREST_INCOME) - income_before == Decimal(
        "269.97"
    )
    # August's installment alone now accrues: one day of 9,981.74 × 6.525 % / 360 =
    # 1.8091... → 1.81 (what was charged above, rounded, is not charged again).
    assert await lending.overdue(d) == (11, "10129.07", "1.81")

    # 15 September: five days (closes of 10–14 September) on 9,981.74: 9.0459... → 9.05.
    await lending.close_until(date(2026, 9, 15))
    assert penalty("9981.74", 5) == Decimal("9.05")
    assert await lending.overdue(d) == (15, "10136.31", "9.05")  # 10,127.26 + 9.05
    await books.deposit(d_account, "40000.00")
    await books.deposit(e_account, e_installments[4])
    await lending.close_until(date(2026, 9, 16))
    assert (await lending.paid_on(d))[2] == date(2026, 9, 15)
    assert await lending.collected(d_account, date(2026, 9, 15)) == Decimal("10136.31")
    assert await lending.overdue(d) == (0, "0.00", "0.00")

    # Paid, the penalty stops growing: nothing accrues and no loan pays anything
    # until the end of September.
    income_paid = await lending.internal(InternalAccount.INTEREST_INCOME)
    await lending.close_until(date(2026, 9, 30))
    d_loan, _ = await lending.loan(d)
    assert d_loan.penalty_accrual == 0
    assert await lending.internal(InternalAccount.INTEREST_INCOME) == income_paid
    assert (await lending.paid_on(d))[3] is None  # due today, collected at today's close
    await lending.close_until(date(2026, 10, 1))
    assert (await lending.paid_on(d))[3] == date(2026, 9, 30)
    assert (await lending.paid_on(f))[0] == date(2026, 9, 30)
    penalties_paid = Decimal("88.39") + Decimal("9.05")
    await lending.assert_ties(penalties_paid)

    await lending.close_until(date(2026, 10, 15))
    await books.deposit(e_account, e_installments[5])

    # The end of the year: close through 31 January 2027, A's last due date.
    await lending.close_until(date(2027, 2, 1))

    a_loan, a_installments = await lending.loan(a)
    assert (a_loan.status, a_loan.paid_off_on) == (LoanStatus.PAID_OFF, date(2027, 1, 31))
    # Every installment on its own due date: 28 Feb, 31 Mar, 30 Apr, ... 31 Jan.
    assert [i.due_date for i in a_installments] == [
        date(2026, 2, 28),
        date(2026, 3, 31),
        date(2026, 4, 30),
        date(2026, 5, 31),
        date(2026, 6, 30),
        date(2026, 7, 31),
        date(2026, 8, 31),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
    ]
    assert [i.paid_on for i in a_installments] == [i.due_date for i in a_installments]
    assert sum((i.paid_interest for i in a_installments), ZERO) == Decimal("2846.26")

    e_loan, e_rows = await lending.loan(e)
    assert (e_loan.status, e_loan.paid_off_on) == (LoanStatus.PAID_OFF, date(2026, 10, 15))
    assert [i.paid_on for i in e_rows] == [i.due_date for i in e_rows]  # never overdue
    assert e_loan.penalty_accrual == 0

    d_loan, d_installments = await lending.loan(d)
    assert (d_loan.status, d_loan.paid_off_on) == (LoanStatus.PAID_OFF, date(2026, 11, 30))
    assert [i.paid_on for i in d_installments] == [
        date(2026, 6, 30),
        date(2026, 9, 10),
        date(2026, 9, 15),
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
    ]

    f_loan, f_installments = await lending.loan(f)
    assert f_loan.status is LoanStatus.ACTIVE
    assert [i.paid_on for i in f_installments[:6]] == [
        date(2026, 9, 30),
        date(2026, 10, 31),
        date(2026, 11, 30),
        date(2026, 12, 31),
        date(2027, 1, 31),
        None,
    ]
    assert f_loan.outstanding_principal == Decimal("293757.96")  # 500,000 − 206,242.04

    # C never paid: eleven installments are overdue (10 March 2026 – 10 January 2027),
    # the twelfth not yet due. Penalty on 1,000.00 of principal per installment, from
    # the close of the day after its due date to the close of 31 January 2027:
    # 327 + 296 + 266 + 235 + 205 + 174 + 143 + 113 + 82 + 52 + 21 = 1,914 days,
    # 1,914 × 0.18125 = 346.9125 → 346.91.
    c_loan, c_installments = await lending.loan(c)
    assert c_loan.status is LoanStatus.ACTIVE
    assert all(i.paid_on is None and i.paid_principal == ZERO for i in c_installments)
    assert c_loan.penalty_accrual == 1914 * 100_000 * PENALTY_RATE_UNITS
    assert penalty("1000.00", 1914) == Decimal("346.91")
    # daysPastDue 1 February 2027 − 10 March 2026 = 328; overdue: 11 × 1,000.00 of
    # principal, interest 282.78 − 3.63 = 279.15, and the penalty 346.91.
    assert await lending.overdue(c) == (328, "11626.06", "346.91")
    seen = await lending.seen(c)
    assert [i["daysPastDue"] for i in seen["schedule"]] == [
        327 + 1,
        296 + 1,
        266 + 1,
        235 + 1,
        205 + 1,
        174 + 1,
        143 + 1,
        113 + 1,
        82 + 1,
        52 + 1,
        21 + 1,
        0,
    ]
    assert await books.balance(c_account) == ZERO
    # ...and on the customer, whose only loan it is.
    caller = await books.bank.sign_in("admin")
    body = await caller.data(
        "query($id: ID!) { customer(id: $id) { loanDaysPastDue loanOverdueAmount { amount } } }",
        {"id": c_customer["id"]},
    )
    assert body["customer"] == {"loanDaysPastDue": 328, "loanOverdueAmount": money("11626.06")}

    # The bank's books: interest income is every loan's interest paid,
    # A 2,846.26 + B 1,725.00 + D 763.55 + E 380.64 + F 6,005.01 = 11,720.46,
    # and D's penalties 88.39 + 9.05: 11,817.90. Loans receivable is minus what
    # is still out: C's 12,000.00 and F's 293,757.96.
    await lending.assert_ties(penalties_paid)
    assert await lending.internal(InternalAccount.INTEREST_INCOME) == Decimal("11817.90")
    assert await lending.internal(InternalAccount.LOANS_RECEIVABLE) == Decimal("-305757.96")


async def test_frozen_accounts_are_not_debited_and_a_partial_hold_limits_collection(
    books: Books,
):
    lending = Lending(books, date(2026, 4, 1))
    await lending.start()

    # Three loans of 12,000.00, 12 months, 等额本金, paid out on 1 April and left in
    # their accounts: the first installment is 1,000.00 + 43.50 = 1,043.50, due 1 May.
    full_customer, full_account = await lending.borrower()
    full = await lending.lend(full_customer, full_account, "12000.00", 12, EQUAL_PRINCIPAL)
    debit_customer, debit_account = await lending.borrower()
    debit = await lending.lend(debit_customer, debit_account, "12000.00", 12, EQUAL_PRINCIPAL)
    held_customer, held_account = await lending.borrower()
    held = await lending.lend(held_customer, held_account, "12000.00", 12, EQUAL_PRINCIPAL)

    await lending.close_until(date(2026, 4, 25))
    full_freeze = await books.freeze(full_account, "FULL")
    debit_freeze = await books.freeze(debit_account, "DEBIT")
    await books.freeze(held_account, "PARTIAL", "11000.00")  # 1,000.00 left available
    # A DEBIT freeze (只收不付) still takes money in.
    assert (await books.deposit(debit_account, "50.00"))["errors"] == []

    await lending.close_until(date(2026, 5, 2))
    for loan, account, balance in (
        (full, full_account, "12000.00"),
        (debit, debit_account, "12050.00"),
        (held, held_account, "12000.00"),
    ):
        assert (await lending.paid_on(loan))[0] is None
        assert await lending.collected(account, date(2026, 5, 1)) == ZERO
        assert await books.balance(account) == Decimal(balance)
        assert await lending.overdue(loan) == (1, "1043.50", "0.00")

    # 4 May: two days of penalty (closes of 2 and 3 May) on 1,000.00:
    # 2 × 0.18125 = 0.3625 → 0.36.
    await lending.close_until(date(2026, 5, 4))
    assert penalty("1000.00", 2) == Decimal("0.36")
    for loan in (full, debit, held):
        assert await lending.overdue(loan) == (3, "1043.86", "0.36")
    caller = await books.bank.sign_in("admin")
    for freeze in (full_freeze, debit_freeze):
        body = await caller.data(UNFREEZE, {"input": {"freezeId": freeze["id"], "reason": "解除"}})
        assert body["unfreezeAccount"]["errors"] == []
    # 1,000.00 + 43.50 available pays the installment but not the penalty as well:
    # the penalty comes first and an installment is only taken whole, so nothing is.
    await books.deposit(held_account, "43.50")

    await lending.close_until(date(2026, 5, 5))
    for loan, account in ((full, full_account), (debit, debit_account)):
        assert (await lending.paid_on(loan))[:2] == [date(2026, 5, 4), None]
        assert await lending.collected(account, date(2026, 5, 4)) == Decimal("1043.86")
        assert await lending.overdue(loan) == (0, "0.00", "0.00")
    assert await lending.collected(held_account, date(2026, 5, 4)) == ZERO
    # Three days now: 3 × 0.18125 = 0.54375 → 0.54.
    assert penalty("1000.00", 3) == Decimal("0.54")
    assert await lending.overdue(held) == (4, "1044.04", "0.54")
    await books.deposit(held_account, "100.00")

    await lending.close_until(date(2026, 5, 6))
    assert (await lending.paid_on(held))[:2] == [date(2026, 5, 5), None]
    assert await lending.collected(held_account, date(2026, 5, 5)) == Decimal("1044.04")
    assert await lending.overdue(held) == (0, "0.00", "0.00")
    held_row = await books.row(held_account)
    # 12,000.00 + 43.50 + 100.00 − 1,044.04; the 11,000.00 held was not touched.
    assert (held_row.balance, held_row.held) == (Decimal("11099.46"), Decimal("11000.00"))
    await lending.assert_ties(penalties_paid=Decimal("0.36") * 2 + Decimal("0.54"))


async def test_a_fixed_deposit_maturing_on_the_due_date_pays_the_installment_at_that_close(
    books: Books,
):
    # The batch pays maturing fixed deposits out before it collects loans: a deposit
    # of 2,000.00 for 3 months at 0.65 %, opened on 1 April, matures on 1 July with
    # 2,000.00 × 0.65 % × 3 / 12 = 3.25 of interest into the demand account, the very
    # day a loan's first installment (1,000.00 + 43.50) falls due there.
    lending = Lending(books, date(2026, 4, 1))
    await lending.start()
    customer, account = await lending.borrower()
    await books.deposit(account, "2000.00")
    await books.open(
        customer,
        kind="FIXED",
        termMonths=3,
        principal="2000.00",
        fundingAccountId=account["id"],
        idempotencyKey=books.key(),
    )
    assert await books.balance(account) == ZERO

    await lending.close_until(date(2026, 6, 1))
    loan = await lending.lend(customer, account, "12000.00", 12, EQUAL_PRINCIPAL)
    assert (await books.withdraw(account, "12000.00"))["errors"] == []

    await lending.close_until(date(2026, 7, 1))
    assert await books.balance(account) == ZERO
    await lending.close_until(date(2026, 7, 2))
    assert lending.reports[date(2026, 7, 1)]["finance.fixed_deposit_maturity"].startswith(
        "1 fixed deposits paid out"
    )
    assert (await lending.paid_on(loan))[:2] == [date(2026, 7, 1), None]
    assert await lending.collected(account, date(2026, 7, 1)) == Decimal("1043.50")
    assert await books.balance(account) == Decimal("959.75")  # 2,003.25 − 1,043.50
    assert await lending.overdue(loan) == (0, "0.00", "0.00")
