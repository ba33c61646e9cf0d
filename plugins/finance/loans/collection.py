"""The end of day for loans: collect what falls due, charge penalty on what is overdue.

At the close of a date, every active loan with installments due by then has
them collected from its account, oldest first and each in full, as far as the
available balance goes; what cannot be paid stays unpaid and is overdue from
the next day. Overdue principal then accrues penalty interest for the day, at
the loan's penalty rate, exactly (one UPDATE for all loans), charged when paid.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import BigInteger, exists, func, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.finance.loans.models import Installment, Loan, LoanStatus
from plugins.finance.loans.repayment import apply_repayment, penalty_due, unpaid_installments
from plugins.finance.locks import lock_customer_accounts

CHUNK = 500


def _falls_due_by(day: date):  # type: ignore[no-untyped-def]
    return exists().where(
        Installment.loan_id == Loan.id,
        Installment.paid_on.is_(None),  # type: ignore[union-attr]
        Installment.due_date <= day,
    )


async def collect_due_installments(session: AsyncSession, day: date) -> tuple[int, int]:
    """Collect what is due by ``day``; returns (installments collected, loans left overdue)."""
    collected = overdue = 0
    after_id = 0
    while True:
        loans = list(
            await session.scalars(
                select(Loan)
                .where(Loan.status == LoanStatus.ACTIVE, _falls_due_by(day), Loan.id > after_id)  # type: ignore[operator]
                .order_by(Loan.id)
                .limit(CHUNK)
                .with_for_update()
                .execution_options(populate_existing=True)
            )
        )
        if not loans:
            return collected, overdue
        after_id = loans[-1].id  # type: ignore[assignment]
        accounts = await lock_customer_accounts(session, None, [loan.account_id for loan in loans])
        for loan in loans:
            account = accounts[loan.account_id]
            unpaid = await unpaid_installments(session, loan)
            affordable, count = _affordable(
                unpaid, penalty_due(loan), account.available_balance, day
            )
            if affordable:
                await apply_repayment(session, loan, account, unpaid, affordable, day, None)
                collected += count
            if any(i.due_date <= day and i.paid_on is None for i in unpaid):
                overdue += 1


def _affordable(
    unpaid: list[Installment], penalty: Decimal, available: Decimal, day: date
) -> tuple[Decimal, int]:
    """How much of what is due the balance pays, in whole installments (the
    penalty with the first); and how many installments that is."""
    amount, count = Decimal("0.00"), 0
    for installment in (i for i in unpaid if i.due_date <= day):
        need = installment.unpaid + (penalty if count == 0 else 0)
        if amount + need > available:
            break
        amount += need
        count += 1
    return amount, count


async def accrue_penalty_interest(session: AsyncSession, day: date) -> int:
    """Add a day of penalty on principal overdue since before ``day``; returns how
    many loans accrued."""
    overdue_fen = (
        select(
            func.coalesce(
                func.sum(
                    type_coerce(Installment.principal, BigInteger)
                    - type_coerce(Installment.paid_principal, BigInteger)
                ),
                0,
            )
        )
        .where(
            Installment.loan_id == Loan.id,
            Installment.paid_on.is_(None),  # type: ignore[union-attr]
            Installment.due_date < day,
        )
        .scalar_subquery()
    )
    accrued = await session.execute(
        update(Loan)
        .where(
            Loan.status == LoanStatus.ACTIVE,
            exists().where(
                Installment.loan_id == Loan.id,
                Installment.paid_on.is_(None),  # type: ignore[union-attr]
                Installment.due_date < day,
            ),
        )
        .values(
            penalty_accrual=Loan.penalty_accrual
            + overdue_fen * type_coerce(Loan.penalty_rate, BigInteger)
        )
        .execution_options(synchronize_session=False)
    )
    return accrued.rowcount  # type: ignore[attr-defined]
