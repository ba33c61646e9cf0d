"""Deposit interest (PBoC rules), checked against figures worked out by hand.

Demand deposits accrue each closed day's closing balance × rate / 360 and are
paid, rounded half-up to the fen, on the 20th of March, June, September and
December. Fixed deposits pay principal × rate × months / 12 at the close of the
maturity date, or the demand rate for the days held when closed early.
Every figure below is written out the way a teller would check it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.finance.dates import add_months, is_interest_settlement_day
from plugins.finance.interest_math import (
    ACCRUAL_DIVISOR,
    accrued_to_pay,
    demand_interest,
    fixed_interest,
    rate_units,
    round_half_up_division,
)
from plugins.finance.models import Account, InternalAccount
from tests.plugins.finance.conftest import ACCOUNT, CLOSE_ACCOUNT, FREEZE, UNFREEZE, Books

TRANSACTIONS = """
query($id: ID!, $kind: [String!]) {
  account(id: $id) {
    transactions(first: 50, kind: $kind) {
      edges { node { kind direction valueDate amount { amount } balanceAfter { amount } } }
    }
  }
}
"""
SET_DEPOSIT_RATE = """
mutation($input: SetDepositRateInput!) {
  setDepositRate(input: $input) { accountsRepriced errors { code } }
}
"""


async def account_now(books: Books, account: dict[str, Any]) -> dict[str, Any]:
    """The account as the API shows it now."""
    admin = await books.bank.sign_in("admin")
    return (await admin.data(ACCOUNT, {"id": account["id"]}))["account"]


async def transactions(books: Books, account: dict[str, Any], *kinds: str) -> list[dict[str, Any]]:
    """The account's transactions of ``kinds`` (all if none), newest first."""
    admin = await books.bank.sign_in("admin")
    body = await admin.data(TRANSACTIONS, {"id": account["id"], "kind": list(kinds) or None})
    return [edge["node"] for edge in body["account"]["transactions"]["edges"]]


async def set_deposit_rate(books: Books, product: str, term_months: int, rate: str) -> None:
    admin = await books.bank.sign_in("admin")
    body = await admin.data(
        SET_DEPOSIT_RATE,
        {"input": {"productCode": product, "termMonths": term_months, "annualRate": rate}},
    )
    assert body["setDepositRate"]["errors"] == []


async def close_account(books: Books, account: dict[str, Any], **input: Any) -> dict[str, Any]:
    admin = await books.bank.sign_in("admin")
    body = await admin.data(CLOSE_ACCOUNT, {"input": {"accountId": account["id"]} | input})
    assert body["closeAccount"]["errors"] == []
    return body["closeAccount"]["account"]


async def interest_expense(books: Books, currency: str = "CNY") -> Decimal:
    """The balance of the bank's interest-expense account in ``currency`` (0 before
    its first use)."""
    async with books.runtime.database.transaction(Mode.READ) as session:
        balance = await session.scalar(
            select(Account.balance).where(
                Account.internal == InternalAccount.INTEREST_EXPENSE,
                Account.currency == currency,
            )
        )
    return balance if balance is not None else Decimal("0.00")


async def fixed_deposit(
    books: Books, opened_on: date, principal: str, term_months: int = 3
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(the fixed deposit, its funding account), opened on ``opened_on`` with the
    whole of the funding account's money, so the funding account earns nothing
    meanwhile and every fen in it afterwards comes from the deposit."""
    await books.open_business_date(opened_on)
    customer = await books.customer()
    funding = await books.account_with(principal, customer)
    deposit = await books.open(
        customer,
        kind="FIXED",
        termMonths=term_months,
        principal=principal,
        fundingAccountId=funding["id"],
        idempotencyKey=books.key(),
    )
    return deposit, funding


# -- demand deposits over a full quarter --------------------------------------------------
#
# Opened on 2026-09-21 (the day after the September settlement) with 100,000.00 at the
# standard demand rate of 0.05 %; 50,000.00 paid in on 2026-10-21, 30,000.00 taken out on
# 2026-11-20. The quarter runs to the settlement day, 2026-12-20, inclusive:
#
#   closing balance   days held                           balance × days
#   100,000.00        09-21 .. 10-20   10 + 20 = 30         3,000,000.00
#   150,000.00        10-21 .. 11-19   11 + 19 = 30         4,500,000.00
#   120,000.00        11-20 .. 12-20   11 + 20 = 31         3,720,000.00
#                                              91 days     11,220,000.00
#
#   interest = 11,220,000.00 × 0.05 % / 360 = 5,610.00 / 360 = 15.58333... → 15.58
QUARTER_OPENS = date(2026, 9, 21)
SETTLEMENT_DAY = date(2026, 12, 20)


async def a_quarter_of_movements(books: Books) -> dict[str, Any]:
    """The demand account above, with its movements made on their days; the
    batch has closed every day up to 2026-11-19 and 2026-11-20 is open."""
    await books.open_business_date(QUARTER_OPENS)
    account = await books.account_with("100000.00")
    await books.close_days(date(2026, 10, 21))
    assert (await books.deposit(account, "50000.00"))["errors"] == []
    await books.close_days(date(2026, 11, 20))
    assert (await books.withdraw(account, "30000.00"))["errors"] == []
    return account


async def test_a_quarter_s_interest_is_paid_on_the_settlement_day_value_dated_that_day(
    books: Books,
):
    account = await a_quarter_of_movements(books)

    await books.close_days(date(2026, 12, 21))

    # 120,000.00 + 15.58 (the quarter's interest, worked out above)
    assert await transactions(books, account, "INTEREST") == [
        {
            "kind": "INTEREST",
            "direction": "CREDIT",
            "valueDate": "2026-12-20",
            "amount": {"amount": "15.58"},
            "balanceAfter": {"amount": "120015.58"},
        }
    ]
    assert await books.balance(account) == Decimal("120015.58")


async def test_before_the_settlement_day_closes_the_interest_is_shown_accrued_not_paid(
    books: Books,
):
    account = await a_quarter_of_movements(books)

    await books.close_days(SETTLEMENT_DAY)  # 2026-12-20 is open, not yet closed

    # 09-21 .. 12-19 is 90 days: 11,220,000.00 less 12-20's 120,000.00 = 11,100,000.00
    # 11,100,000.00 × 0.05 % / 360 = 5,550.00 / 360 = 15.41666... → 15.42
    shown = await account_now(books, account)
    assert shown["accruedInterest"] == {"amount": "15.42", "currency": "CNY"}
    assert shown["balance"]["amount"] == "120000.00"
    assert await transactions(books, account, "INTEREST") == []


async def test_after_settlement_nothing_is_left_accrued(books: Books):
    account = await a_quarter_of_movements(books)

    await books.close_days(date(2026, 12, 21))

    shown = await account_now(books, account)
    assert shown["accruedInterest"] == {"amount": "0.00", "currency": "CNY"}
    assert (await books.row(account)).accrual == 0


async def test_the_bank_s_interest_expense_pays_the_quarter_s_interest(books: Books):
    account = await a_quarter_of_movements(books)

    await books.close_days(date(2026, 12, 21))

    assert await interest_expense(books) == Decimal("-15.58")
    assert await books.balance(account) == Decimal("120015.58")
    assert (await books.ledger()).ok


async def test_a_new_demand_rate_applies_to_open_demand_deposits_from_the_next_accrual(
    books: Books,
):
    await books.open_business_date(date(2026, 12, 18))
    account = await books.account_with("100000.00")
    await books.close_days(date(2026, 12, 19))  # 12-18 accrues at 0.05 %

    await set_deposit_rate(books, "DEMAND-CNY", 0, "0.36")
    await books.close_days(date(2026, 12, 21))  # 12-19 and 12-20 at 0.36 %, paid on 12-20

    # 12-18: 100,000.00 × 0.05 % / 360 =  50.00 / 360 = 0.13888...
    # 12-19: 100,000.00 × 0.36 % / 360 = 360.00 / 360 = 1.00
    # 12-20: 100,000.00 × 0.36 % / 360 = 360.00 / 360 = 1.00
    #                                               2.13888... → 2.14
    assert (await account_now(books, account))["annualInterestRate"] == "0.36"
    assert await books.balance(account) == Decimal("100002.14")


async def test_each_currency_s_interest_is_paid_against_its_own_interest_expense(
    books: Books,
):
    await books.open_business_date(SETTLEMENT_DAY)
    customer = await books.customer()
    yuan = await books.account_with("36000.00", customer)
    dollars = await books.account_with("72000.00", customer, currency="USD")

    await books.close_days(date(2026, 12, 21))

    # CNY: 36,000.00 × 0.05 % / 360 = 18.00 / 360 = 0.05
    # USD: 72,000.00 × 0.05 % / 360 = 36.00 / 360 = 0.10
    assert await books.balance(yuan) == Decimal("36000.05")
    assert await books.balance(dollars) == Decimal("72000.10")
    assert await interest_expense(books, "CNY") == Decimal("-0.05")
    assert await interest_expense(books, "USD") == Decimal("-0.10")
    assert (await books.ledger()).ok


async def test_an_account_s_rate_is_written_in_plain_decimals(books: Books):
    await set_deposit_rate(books, "DEMAND-CNY", 0, "10")

    account = await books.open(await books.customer())

    assert account["annualInterestRate"] == "10"  # not "1E+1", nor "10.0000"


# -- fixed deposits -----------------------------------------------------------------------
#
# 33,333.33 for 3 months at the standard 3-month rate of 0.65 %, opened on 2026-01-31:
#   maturity = 2026-01-31 + 3 months = 2026-04-30 (April has no 31st)
#   interest = 33,333.33 × 0.65 % × 3 / 12 = 216.666645 × 3 / 12 = 54.16666125 → 54.17
#   paid out = 33,333.33 + 54.17 = 33,387.50


async def test_a_fixed_deposit_matures_on_the_same_day_of_the_month_term_months_later(
    books: Books,
):
    deposit, _ = await fixed_deposit(books, date(2026, 1, 31), "33333.33")

    assert deposit["maturityDate"] == "2026-04-30"
    assert deposit["annualInterestRate"] == "0.65"
    assert deposit["balance"]["amount"] == "33333.33"


async def test_a_fixed_deposit_is_still_held_until_its_maturity_date_closes(books: Books):
    deposit, funding = await fixed_deposit(books, date(2026, 1, 31), "33333.33")

    await books.close_days(date(2026, 4, 30))  # the maturity date is open

    assert (await account_now(books, deposit))["status"] == "ACTIVE"
    assert await books.balance(deposit) == Decimal("33333.33")
    assert await books.balance(funding) == Decimal("0.00")


async def test_a_fixed_deposit_held_to_maturity_pays_principal_and_interest_to_its_funding_account(
    books: Books,
):
    deposit, funding = await fixed_deposit(books, date(2026, 1, 31), "33333.33")

    await books.close_days(date(2026, 5, 1))  # the close of 2026-04-30

    assert (await account_now(books, deposit))["status"] == "CLOSED"
    assert await books.balance(deposit) == Decimal("0.00")
    assert await books.balance(funding) == Decimal("33387.50")  # 33,333.33 + 54.17
    assert await transactions(books, deposit, "INTEREST") == [
        {
            "kind": "INTEREST",
            "direction": "CREDIT",
            "valueDate": "2026-04-30",
            "amount": {"amount": "54.17"},
            "balanceAfter": {"amount": "33387.50"},
        }
    ]
    newest = (await transactions(books, funding))[0]
    assert (newest["kind"], newest["valueDate"], newest["amount"]) == (
        "MATURITY",
        "2026-04-30",
        {"amount": "33387.50"},
    )
    assert await interest_expense(books) == Decimal("-54.17")
    assert (await books.ledger()).ok


async def test_a_fixed_deposit_held_back_at_maturity_earns_the_demand_rate_for_the_days_past(
    books: Books,
):
    deposit, funding = await fixed_deposit(books, date(2026, 1, 31), "36000.00")
    admin = await books.bank.sign_in("admin")
    frozen = await admin.data(
        FREEZE, {"input": {"accountId": deposit["id"], "mode": "FULL", "reason": "司法冻结"}}
    )
    await books.close_days(date(2026, 5, 2))  # 04-30 and 05-01 close with it frozen
    assert (await account_now(books, deposit))["status"] == "FROZEN"
    await admin.data(
        UNFREEZE, {"input": {"freezeId": frozen["freezeAccount"]["freeze"]["id"], "reason": "解冻"}}
    )

    await books.close_days(date(2026, 5, 3))  # the close of 05-02 pays it out

    # 36,000.00 × 0.65 % × 3 / 12 = 58.50 for the term,
    # + 36,000.00 × 0.05 % × 2 / 360 = 0.10 for 04-30 .. 05-02 past maturity
    assert (await account_now(books, deposit))["status"] == "CLOSED"
    assert await books.balance(funding) == Decimal("36058.60")
    assert (await books.ledger()).ok


async def test_a_fixed_deposit_keeps_the_rate_it_opened_at_when_the_product_rate_changes(
    books: Books,
):
    deposit, funding = await fixed_deposit(books, date(2026, 1, 31), "33333.33")
    await set_deposit_rate(books, "FIXED-CNY", 3, "2.00")
    # Nothing else moves on these accounts until maturity: go straight to the maturity date.
    await books.open_business_date(date(2026, 4, 30))

    await books.close_days(date(2026, 5, 1))

    # 33,333.33 × 0.65 % × 3 / 12 = 54.17 (at 2.00 % it would be 166.67)
    assert await books.balance(funding) == Decimal("33387.50")
    assert (await account_now(books, deposit))["annualInterestRate"] == "0.65"


async def test_a_fixed_deposit_opened_after_a_rate_change_opens_at_the_new_rate(books: Books):
    await set_deposit_rate(books, "FIXED-CNY", 12, "1.75")

    deposit, _ = await fixed_deposit(books, date(2026, 1, 31), "10000.00", term_months=12)

    assert deposit["annualInterestRate"] == "1.75"
    assert deposit["maturityDate"] == "2027-01-31"


# Closed early: 100,000.00 opened on 2026-01-31, closed on 2026-03-02.
#   days held = 2026-01-31 .. 2026-03-01 = 1 + 28 + 1 = 30 (the closing day does not count)


async def test_a_fixed_deposit_closed_early_earns_the_demand_rate_for_the_days_held(
    books: Books,
):
    deposit, funding = await fixed_deposit(books, date(2026, 1, 31), "100000.00")
    await books.close_days(date(2026, 3, 2))

    closed = await close_account(books, deposit)

    # 100,000.00 × 0.05 % × 30 / 360 = 50.00 × 30 / 360 = 4.16666... → 4.17
    assert closed["status"] == "CLOSED"
    assert closed["balance"]["amount"] == "0.00"
    assert await books.balance(funding) == Decimal("100004.17")
    assert [
        (t["valueDate"], t["amount"]) for t in await transactions(books, deposit, "INTEREST")
    ] == [("2026-03-02", {"amount": "4.17"})]
    assert (await books.ledger()).ok


async def test_a_fixed_deposit_closed_early_earns_the_demand_rate_listed_on_the_closing_day(
    books: Books,
):
    deposit, funding = await fixed_deposit(books, date(2026, 1, 31), "100000.00")
    await set_deposit_rate(books, "DEMAND-CNY", 0, "0.35")
    await books.open_business_date(date(2026, 3, 2))  # nothing accrues on a fixed deposit

    await close_account(books, deposit)

    # 100,000.00 × 0.35 % × 30 / 360 = 350.00 × 30 / 360 = 29.16666... → 29.17
    assert await books.balance(funding) == Decimal("100029.17")


async def test_a_fixed_deposit_closed_on_its_maturity_date_earns_its_own_rate(books: Books):
    deposit, funding = await fixed_deposit(books, date(2026, 1, 31), "33333.33")
    await books.open_business_date(date(2026, 4, 30))

    await close_account(books, deposit)

    # the full term at 0.65 %: 54.17, as at maturity
    assert await books.balance(funding) == Decimal("33387.50")


# -- rounding -----------------------------------------------------------------------------
#
# At 0.05 % a day on 3,600.00 is 3,600.00 × 0.05 % / 360 = 1.80 / 360 = 0.005: half a fen.


async def test_interest_of_exactly_half_a_fen_is_rounded_up(books: Books):
    await books.open_business_date(SETTLEMENT_DAY)
    account = await books.account_with("3600.00")

    await books.close_days(date(2026, 12, 21))

    # 0.005 → 0.01 (half-up; banker's rounding would give 0.00)
    assert await books.balance(account) == Decimal("3600.01")
    assert await interest_expense(books) == Decimal("-0.01")


async def test_accrued_interest_is_shown_rounded_half_up_as_it_would_be_paid(books: Books):
    await books.open_business_date(date(2026, 12, 18))
    account = await books.account_with("3600.00")

    await books.close_days(date(2026, 12, 19))

    # one day: 0.005 → 0.01; kept exact underneath: 360,000 fen × 500 (0.05 %) = 180,000,000
    assert (await account_now(books, account))["accruedInterest"]["amount"] == "0.01"
    assert (await books.row(account)).accrual == 360_000 * 500


async def test_an_accrual_below_half_a_fen_pays_nothing_and_is_cleared_at_settlement(
    books: Books,
):
    await books.open_business_date(SETTLEMENT_DAY)
    account = await books.account_with("3599.99")

    await books.close_days(date(2026, 12, 21))

    # 3,599.99 × 0.05 % / 360 = 0.0049999... → 0.00
    assert await books.balance(account) == Decimal("3599.99")
    assert await transactions(books, account, "INTEREST") == []
    assert (await books.row(account)).accrual == 0
    assert await interest_expense(books) == Decimal("0.00")
    assert (await books.ledger()).ok


async def test_closing_a_demand_account_pays_its_accrued_interest_first(books: Books):
    await books.open_business_date(date(2026, 10, 1))
    customer = await books.customer()
    account = await books.account_with("36000.00", customer)
    settlement = await books.open(customer)
    await books.close_days(date(2026, 10, 11))  # 10 days: 10-01 .. 10-10

    closed = await close_account(books, account, settlementAccountId=settlement["id"])

    # 36,000.00 × 0.05 % / 360 = 18.00 / 360 = 0.05 a day; × 10 days = 0.50
    assert closed["status"] == "CLOSED"
    assert closed["accruedInterest"]["amount"] == "0.00"
    assert [
        (t["kind"], t["valueDate"], t["amount"], t["balanceAfter"])
        for t in await transactions(books, account)
    ][:2] == [
        ("CLOSING", "2026-10-11", {"amount": "36000.50"}, {"amount": "0.00"}),
        ("INTEREST", "2026-10-11", {"amount": "0.50"}, {"amount": "36000.50"}),
    ]
    assert await books.balance(settlement) == Decimal("36000.50")
    assert (await books.ledger()).ok


async def test_a_closed_demand_account_is_paid_nothing_more_at_settlement(books: Books):
    await books.open_business_date(date(2026, 12, 10))
    customer = await books.customer()
    account = await books.account_with("36000.00", customer)
    settlement = await books.open(customer)
    await books.close_days(date(2026, 12, 15))
    await close_account(books, account, settlementAccountId=settlement["id"])

    await books.close_days(date(2026, 12, 21))

    # 5 days on the closed account: 0.25, paid when it closed; nothing at settlement.
    # The settlement account held 36,000.25 from 12-15 to 12-20: 6 days ×
    # 36,000.25 × 0.05 % / 360 = 6 × 0.0500003... = 0.30000208... → 0.30
    assert await books.balance(account) == Decimal("0.00")
    assert [t["amount"] for t in await transactions(books, account, "INTEREST")] == [
        {"amount": "0.25"}
    ]
    assert await books.balance(settlement) == Decimal("36000.55")


# -- the arithmetic -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),  # a leap year
        (date(2026, 1, 31), 3, date(2026, 4, 30)),
        (date(2026, 12, 15), 1, date(2027, 1, 15)),
        (date(2026, 12, 31), 2, date(2027, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 3, 31), 6, date(2026, 9, 30)),
        (date(2026, 5, 20), 12, date(2027, 5, 20)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 8, 31), 60, date(2031, 8, 31)),
        (date(2026, 6, 15), 0, date(2026, 6, 15)),
    ],
)
def test_add_months_keeps_the_day_of_the_month_or_takes_the_month_s_last(start, months, expected):
    assert add_months(start, months) == expected


@pytest.mark.parametrize(
    ("day", "settles"),
    [
        (date(2026, 3, 20), True),
        (date(2026, 6, 20), True),
        (date(2026, 9, 20), True),
        (date(2026, 12, 20), True),
        (date(2026, 12, 21), False),
        (date(2026, 12, 19), False),
        (date(2026, 1, 20), False),
        (date(2026, 11, 20), False),
    ],
)
def test_interest_settles_on_the_20th_of_the_last_month_of_each_quarter(day, settles):
    assert is_interest_settlement_day(day) is settles


def test_a_rate_is_held_in_ten_thousandths_of_a_percent():
    assert rate_units(Decimal("1.45")) == 14500
    assert rate_units(Decimal("0.05")) == 500
    assert rate_units(Decimal("0.0001")) == 1


@pytest.mark.parametrize(
    ("numerator", "divisor", "expected"),
    [(0, 4, 0), (1, 4, 0), (2, 4, 1), (3, 4, 1), (5, 2, 3), (7, 2, 4), (10, 4, 3), (9, 3, 3)],
)
def test_division_rounds_half_up(numerator, divisor, expected):
    assert round_half_up_division(numerator, divisor) == expected


def test_an_accrual_pays_whole_fen_rounded_half_up():
    half_a_fen = ACCRUAL_DIVISOR // 2
    assert ACCRUAL_DIVISOR == 360 * 100 * 10_000
    assert accrued_to_pay(half_a_fen - 1) == Decimal("0.00")
    assert accrued_to_pay(half_a_fen) == Decimal("0.01")
    assert accrued_to_pay(3 * half_a_fen) == Decimal("0.02")  # 1.5 fen
    assert accrued_to_pay(5 * half_a_fen) == Decimal("0.03")  # 2.5 fen: up, not to even


@pytest.mark.parametrize(
    ("principal", "rate", "days", "expected"),
    [
        ("100000.00", "0.05", 30, "4.17"),  # 50.00 × 30 / 360 = 4.1666...
        ("100000.00", "0.36", 1, "1.00"),  # 360.00 / 360
        ("3600.00", "0.05", 1, "0.01"),  # 1.80 / 360 = 0.005, half a fen: up
        ("3599.99", "0.05", 1, "0.00"),  # 0.0049999...
        ("100000.00", "0.05", 0, "0.00"),
    ],
)
def test_demand_interest_is_principal_times_rate_times_days_over_360(
    principal, rate, days, expected
):
    assert demand_interest(Decimal(principal), Decimal(rate), days) == Decimal(expected)


@pytest.mark.parametrize(
    ("principal", "rate", "months", "expected"),
    [
        ("100000.00", "0.65", 3, "162.50"),  # 650.00 × 3 / 12
        ("33333.33", "0.65", 3, "54.17"),  # 216.666645 × 3 / 12 = 54.16666...
        ("10000.00", "1.30", 60, "650.00"),  # 130.00 × 5 years
        ("50000.00", "0.95", 12, "475.00"),
        ("1.00", "0.5", 12, "0.01"),  # 0.005: half a fen, up
        ("5.00", "0.5", 12, "0.03"),  # 0.025: up, not to even
        ("0.99", "0.5", 12, "0.00"),  # 0.00495
    ],
)
def test_fixed_interest_is_principal_times_rate_times_months_over_12(
    principal, rate, months, expected
):
    assert fixed_interest(Decimal(principal), Decimal(rate), months) == Decimal(expected)
