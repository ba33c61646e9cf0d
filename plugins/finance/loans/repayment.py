"""Repaying a loan: oldest installment first, interest before principal.

Penalty interest on overdue principal is paid first of all. What is left
after everything due has been paid goes to the next installments, in order
(their interest, as scheduled, then their principal); paying exactly what is
due and the whole remaining principal pays the loan off, and the interest of
the installments not yet due is not charged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.authorization import Principal
from core.business_day import hold_business_date
from core.errors import BusinessError
from core.money import checked_amount, to_minor_units
from core.settings import Settings
from plugins.finance import idempotency
from plugins.finance.interest_math import ACCRUAL_DIVISOR, accrued_to_pay
from plugins.finance.ledger import Line, post_entry
from plugins.finance.loans.lifecycle import lock_loan
from plugins.finance.loans.models import Installment, Loan, LoanStatus
from plugins.finance.locks import lock_customer_accounts, lock_internal_account
from plugins.finance.models import Account, InternalAccount
from plugins.finance.movements import check_debit

LOAN_REPAYMENT = "LOAN_REPAYMENT"
LOAN_INTEREST = "LOAN_INTEREST"
ZERO = Decimal("0.00")


@dataclass
class Allocation:
    """Where a repayment goes."""

    penalty: Decimal = ZERO
    parts: list[tuple[Installment, Decimal, Decimal]] = field(default_factory=list)
    """(installment, interest paid, principal paid)"""
    pays_off: bool = False

    @property
    def principal(self) -> Decimal:
        return sum((principal for _, _, principal in self.parts), ZERO)

    @property
    def interest(self) -> Decimal:
        return self.penalty + sum((interest for _, interest, _ in self.parts), ZERO)


def amount_due(unpaid: list[Installment], penalty: Decimal, on: date) -> Decimal:
    """Penalty plus everything of the installments due by ``on``."""
    return penalty + sum((i.unpaid for i in unpaid if i.due_date <= on), ZERO)


def payoff_amount(unpaid: list[Installment], penalty: Decimal, on: date) -> Decimal:
    """What pays the loan off on ``on``: what is due, and the principal not yet due."""
    future = sum((i.unpaid_principal for i in unpaid if i.due_date > on), ZERO)
    return amount_due(unpaid, penalty, on) + future


def allocate(unpaid: list[Installment], penalty: Decimal, amount: Decimal, on: date) -> Allocation:
    """Split ``amount`` over the penalty and the unpaid installments (in order)."""
    payoff = payoff_amount(unpaid, penalty, on)
    if amount > payoff:
        raise BusinessError(
            "REPAYMENT_EXCEEDS_OWED",
            f"The loan is paid off with {payoff}; the amount is more than that.",
            ["input", "amount"],
        )
    allocation = Allocation(penalty=min(amount, penalty), pays_off=amount == payoff)
    left = amount - allocation.penalty
    for installment in unpaid:
        if allocation.pays_off and installment.due_date > on:
            interest = ZERO  # installments not yet due are not charged interest
        else:
            interest = min(left, installment.unpaid_interest)
        left -= interest
        principal = min(left, installment.unpaid_principal)
        left -= principal
        if interest or principal or allocation.pays_off:
            allocation.parts.append((installment, interest, principal))
    return allocation


async def unpaid_installments(session: AsyncSession, loan: Loan) -> list[Installment]:
    return list(
        await session.scalars(
            select(Installment)
            .where(Installment.loan_id == loan.id, Installment.paid_on.is_(None))  # type: ignore[union-attr]
            .order_by(Installment.number)
            .execution_options(populate_existing=True)
        )
    )


def penalty_due(loan: Loan) -> Decimal:
    return accrued_to_pay(loan.penalty_accrual)


async def apply_repayment(
    session: AsyncSession,
    loan: Loan,
    account: Account,
    unpaid: list[Installment],
    amount: Decimal,
    on: date,
    by: int | None,
) -> Allocation:
    """Post a repayment of ``amount`` from the (locked) ``account`` and mark what it paid."""
    allocation = allocate(unpaid, penalty_due(loan), amount, on)
    receivable = await lock_internal_account(
        session, InternalAccount.LOANS_RECEIVABLE, loan.currency
    )
    income = await lock_internal_account(session, InternalAccount.INTEREST_INCOME, loan.currency)
    lines = [
        Line(account, -amount, LOAN_REPAYMENT),
        Line(receivable, allocation.principal, LOAN_REPAYMENT),
        Line(income, allocation.interest, LOAN_INTEREST),
    ]
    await post_entry(
        session,
        kind=LOAN_REPAYMENT,
        lines=[line for line in lines if line.amount],
        value_date=on,
        memo=f"Loan {loan.loan_no}",
        by=by,
    )
    for installment, interest, principal in allocation.parts:
        installment.paid_interest += interest
        installment.paid_principal += principal
        if allocation.pays_off:
            installment.interest = installment.paid_interest
        if installment.unpaid == 0:
            installment.paid_on = on
        session.add(installment)
    if allocation.penalty == penalty_due(loan):  # paid as rounded: nothing is left, as deposits
        loan.penalty_accrual = 0
    else:
        loan.penalty_accrual -= to_minor_units(allocation.penalty) * ACCRUAL_DIVISOR
    loan.outstanding_principal -= allocation.principal
    if loan.outstanding_principal == 0 and all(i.paid_on for i in unpaid):
        loan.status = LoanStatus.PAID_OFF
        loan.paid_off_on = on
        loan.penalty_accrual = 0
    session.add(loan)
    await session.flush()
    return allocation


async def repay_loan(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    loan_id: int | None,
    amount: Decimal,
    idempotency_key: str,
) -> Loan:
    """Take ``amount`` from the loan's account and pay what it owes, oldest first."""
    amount = checked_amount(amount, ["input", "amount"])
    today = await hold_business_date(session, settings)
    claimed = await idempotency.claim(
        session,
        idempotency_key,
        idempotency.fingerprint("REPAY_LOAN", principal.user_id, loan=loan_id, amount=amount),
    )
    loan = await lock_loan(session, principal, loan_id)
    if claimed.replayed:
        return loan
    if loan.status is not LoanStatus.ACTIVE:
        raise BusinessError(
            "LOAN_NOT_ACTIVE", "Only a loan being repaid takes repayments.", ["input", "loanId"]
        )
    account = (await lock_customer_accounts(session, None, [loan.account_id]))[loan.account_id]
    check_debit(account, amount, "loanId")
    unpaid = await unpaid_installments(session, loan)
    await apply_repayment(session, loan, account, unpaid, amount, today, principal.user_id)
    await idempotency.record(session, claimed, entry_id=None)
    return loan
