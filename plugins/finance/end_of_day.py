"""The finance plugin's end-of-day steps, in the order they run: fixed deposits
maturing at the close of the day are paid out, then every demand deposit
accrues on its closing balance, then, on a settlement day, is paid its interest."""

from __future__ import annotations

from core.end_of_day import ClosingDay, EndOfDayStep
from plugins.finance.dates import is_interest_settlement_day
from plugins.finance.interest import (
    accrue_demand_interest,
    mature_fixed_deposits,
    settle_demand_interest,
)


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


STEPS = (
    EndOfDayStep("finance.fixed_deposit_maturity", pay_matured_fixed_deposits),
    EndOfDayStep("finance.interest_accrual", accrue_interest),
    EndOfDayStep("finance.interest_settlement", settle_interest),
)
