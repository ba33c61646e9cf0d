"""The finance plugin's end-of-day steps, in the order they run: fixed deposits
maturing at the close of the day are paid out; loan installments falling due
are collected where the money is there; every demand deposit accrues on its
closing balance and, on a settlement day, is paid its interest; and overdue
loan principal accrues a day's penalty interest. Then, on the day's final
figures, the loan book is kept for the reports and the day is reconciled."""

from __future__ import annotations

from core.end_of_day import ClosingDay, EndOfDayStep, Phase
from plugins.finance.dates import is_interest_settlement_day
from plugins.finance.interest import (
    accrue_demand_interest,
    mature_fixed_deposits,
    settle_demand_interest,
)
from plugins.finance.loans.collection import accrue_penalty_interest, collect_due_installments
from plugins.finance.reconciliation.run import reconcile_day, summary
from plugins.finance.reports.loan_book import LOAN_BOOK_STEP, record_loan_book


async def pay_matured_fixed_deposits(day: ClosingDay) -> str:
    paid, held_back = await mature_fixed_deposits(day.session, day.business_date)
    return f"{paid} fixed deposits paid out, {held_back} held back (frozen or nowhere to pay)"


async def accrue_interest(day: ClosingDay) -> str:
    return f"{await accrue_demand_interest(day.session)} demand deposits accrued"


async def settle_interest(day: ClosingDay) -> str:
    if not is_interest_settlement_day(day.business_date):
        return "not a settlement day"
    settled = await settle_demand_interest(day.session, day.business_date)
    totals = ", ".join(f"{amount} {currency}" for currency, amount in settled.total.items())
    return f"{settled.accounts} demand deposits paid interest ({totals or 'nothing'})"


async def collect_loans(day: ClosingDay) -> str:
    collected, overdue = await collect_due_installments(day.session, day.business_date)
    return f"{collected} loan installments collected, {overdue} loans left overdue"


async def charge_penalty_interest(day: ClosingDay) -> str:
    accrued = await accrue_penalty_interest(day.session, day.business_date)
    return f"{accrued} overdue loans accrued penalty interest"


async def keep_loan_book(day: ClosingDay) -> str:
    rows = await record_loan_book(day.session, day.business_date)
    return f"loan book kept ({rows} branch and currency rows)"


async def reconcile(day: ClosingDay) -> str:
    return summary(await reconcile_day(day.session, day.business_date))


STEPS = (
    EndOfDayStep("finance.fixed_deposit_maturity", pay_matured_fixed_deposits),
    EndOfDayStep("finance.loan_collection", collect_loans),
    EndOfDayStep("finance.interest_accrual", accrue_interest),
    EndOfDayStep("finance.interest_settlement", settle_interest),
    EndOfDayStep("finance.loan_penalty_interest", charge_penalty_interest),
    EndOfDayStep(LOAN_BOOK_STEP, keep_loan_book, Phase.REVIEWS),
    EndOfDayStep("finance.reconciliation", reconcile, Phase.REVIEWS),
)
