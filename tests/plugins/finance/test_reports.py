"""Reports: daily balances (日终余额表), the trial balance (试算平衡表) and the loan
book (贷款余额表), through GraphQL and the ``crm report`` command.

Most tests use two business dates of deposits, worked out by hand
(:func:`two_days`). No batch in between is a settlement day, so no interest is
posted; the close of day 1 moves 阿丽 (60,000.00 of assets) to AFFLUENT.

=========  ======  ==============  ===========================  ==========  ==========
customer   branch  account         movements                    day 1       day 2
=========  ======  ==============  ===========================  ==========  ==========
阿丽        BJ-001  DEMAND-CNY      day 1: +60,000, −10,000 to   50,000.00   30,000.00
                                   her fixed deposit;
                                   day 2: −20,000 cash
阿丽        BJ-001  FIXED-CNY       day 1: +10,000 from demand   10,000.00   10,000.00
阿博        BJ-001  DEMAND-CNY      day 1: +1,000; day 2: −300    1,000.00        0.00
                                   to 阿卡, −700 cash
阿卡        SH-001  DEMAND-CNY      day 1: +5,000; day 2: +300    5,000.00    6,000.00
                                   from 阿博, +700 cash
阿德        SH-001  DEMAND-USD      day 1: +100 USD                 100.00      100.00
=========  ======  ==============  ===========================  ==========  ==========
"""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from core.authorization import Principal, Role
from core.db import Mode
from plugins.customer.models import Customer
from plugins.finance.loans import lifecycle
from plugins.finance.loans.models import LoanStatus
from plugins.finance.loans.schedule import RepaymentMethod
from tests.plugins.customer.conftest import SH, error_codes
from tests.plugins.finance.conftest import Books, crm, global_id_of, head_office

DAY_1 = date(2026, 3, 10)
DAY_2 = date(2026, 3, 11)
DAY_3 = date(2026, 3, 12)

BALANCE_REPORT = """
query($date: Date!, $by: BalanceGrouping!) {
  balanceReport(businessDate: $date, groupBy: $by) {
    businessDate groupedBy
    rows { code name accounts balance { amount currency } }
    totals { amount currency } ledgerTotals { amount currency } ties csv
  }
}
"""
TRIAL_BALANCE = """
query($date: Date!) {
  trialBalance(businessDate: $date) {
    businessDate
    lines {
      code name
      opening { amount currency } debits { amount } credits { amount } closing { amount }
    }
    totals {
      opening { amount currency } debits { amount } credits { amount } closing { amount }
      balanced
    }
    balanced csv
  }
}
"""
LOAN_BOOK_ROW = """
  branchCode branchName loans outstandingPrincipal { amount currency } overdueLoans
  overduePrincipal { amount } overdueInterest { amount } penaltyInterest { amount }
"""
LOAN_BOOK = f"""
query($date: Date!) {{
  loanBook(businessDate: $date) {{
    businessDate rows {{ {LOAN_BOOK_ROW} }} totals {{ {LOAN_BOOK_ROW} }}
    ledgerPrincipal {{ amount currency }} ties csv
  }}
}}
"""


def money(amount: str, currency: str = "CNY") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


async def ask(books: Books, user: str, query: str, **variables: Any) -> dict[str, Any]:
    """The whole response body, for ``user`` (refusals come in its ``errors``)."""
    caller = await books.bank.sign_in(user)
    return await caller.execute(query, {"date": variables.pop("date").isoformat()} | variables)


async def report(books: Books, user: str, query: str, **variables: Any) -> dict[str, Any]:
    """The report ``query`` asks for, which must come without errors."""
    body = await ask(books, user, query, **variables)
    assert "errors" not in body, body["errors"]
    (found,) = body["data"].values()
    return found


async def balances(
    books: Books, day: date, by: str = "BRANCH", user: str = "admin"
) -> dict[str, Any]:
    return await report(books, user, BALANCE_REPORT, date=day, by=by)


def balance_rows(found: dict[str, Any]) -> list[tuple[str, str, int, str]]:
    """(code, currency, accounts, balance) per row."""
    return [
        (r["code"], r["balance"]["currency"], r["accounts"], r["balance"]["amount"])
        for r in found["rows"]
    ]


def trial_lines(found: dict[str, Any]) -> list[tuple[str, str, str, str, str, str]]:
    """(code, currency, opening, debits, credits, closing) per line."""
    return [
        (
            line["code"],
            line["opening"]["currency"],
            line["opening"]["amount"],
            line["debits"]["amount"],
            line["credits"]["amount"],
            line["closing"]["amount"],
        )
        for line in found["lines"]
    ]


def loan_rows(rows: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """(branch, currency, loans, outstanding, overdue loans, overdue principal,
    overdue interest, penalty interest) per row."""
    return [
        (
            r["branchCode"],
            r["outstandingPrincipal"]["currency"],
            r["loans"],
            r["outstandingPrincipal"]["amount"],
            r["overdueLoans"],
            r["overduePrincipal"]["amount"],
            r["overdueInterest"]["amount"],
            r["penaltyInterest"]["amount"],
        )
        for r in rows
    ]


def parsed(text: str) -> list[list[str]]:
    """A report's CSV lines; its LEDGER lines, which come in whatever order the
    database groups the currencies (PostgreSQL: any), sorted."""
    lines = list(csv.reader(io.StringIO(text)))
    return [line for line in lines if line[0] != "LEDGER"] + sorted(
        line for line in lines if line[0] == "LEDGER"
    )


async def two_days(books: Books) -> dict[str, dict[str, Any]]:
    """The movements in the module's table: day 1 closed, day 2 open (its
    movements made); the customers by name. Every movement must succeed."""
    await books.open_business_date(DAY_1)
    alice = await books.customer(name="阿丽")
    bob = await books.customer(name="阿博")
    carol = await books.customer(name="阿卡", branchCode=SH)
    dave = await books.customer(name="阿德", branchCode=SH)

    alice_demand = await books.account_with("60000.00", alice)
    await books.open(
        alice,
        kind="FIXED",
        termMonths=12,
        principal="10000.00",
        fundingAccountId=alice_demand["id"],
        idempotencyKey=books.key(),
    )
    bob_demand = await books.account_with("1000.00", bob)
    carol_demand = await books.account_with("5000.00", carol)
    await books.account_with("100.00", dave, currency="USD")
    await books.close_days(DAY_2)

    assert (await books.transfer(bob_demand, carol_demand, "300.00"))["errors"] == []
    assert (await books.withdraw(bob_demand, "700.00"))["errors"] == []
    assert (await books.withdraw(alice_demand, "20000.00"))["errors"] == []
    assert (await books.deposit(carol_demand, "700.00"))["errors"] == []
    assert (await books.ledger()).ok
    return {"阿丽": alice, "阿博": bob, "阿卡": carol, "阿德": dave}


# -- daily balances ---------------------------------------------------------------------------


async def test_the_balance_report_of_a_closed_date_shows_its_close_not_today(books: Books):
    await two_days(books)

    found = await balances(books, DAY_1)

    assert found["businessDate"] == "2026-03-10"
    assert found["groupedBy"] == "BRANCH"
    # BJ: 阿丽 50,000 + 10,000, 阿博 1,000; SH: 阿卡 5,000, and 阿德's 100 USD.
    assert balance_rows(found) == [
        ("BJ-001", "CNY", 3, "61000.00"),
        ("SH-001", "CNY", 1, "5000.00"),
        ("SH-001", "USD", 1, "100.00"),
    ]
    assert [r["name"] for r in found["rows"]] == ["北京分行", "上海分行", "上海分行"]
    assert found["totals"] == [money("66000.00"), money("100.00", "USD")]
    assert found["ledgerTotals"] == found["totals"]
    assert found["ties"] is True


async def test_the_balance_report_of_the_open_date_shows_its_figures_so_far(books: Books):
    await two_days(books)

    found = await balances(books, DAY_2)

    # BJ: 阿丽 30,000 + 10,000; 阿博's emptied account is not counted among those with
    # a balance. SH: 阿卡 5,000 + 300 + 700.
    assert balance_rows(found) == [
        ("BJ-001", "CNY", 2, "40000.00"),
        ("SH-001", "CNY", 1, "6000.00"),
        ("SH-001", "USD", 1, "100.00"),
    ]
    assert found["totals"] == [money("46000.00"), money("100.00", "USD")]
    assert found["ledgerTotals"] == found["totals"]
    assert found["ties"] is True


async def test_balances_by_product(books: Books):
    await two_days(books)

    found = await balances(books, DAY_2, by="PRODUCT")

    assert found["groupedBy"] == "PRODUCT"
    # DEMAND-CNY: 阿丽 30,000 + 阿卡 6,000 (阿博 0); FIXED-CNY: 阿丽 10,000.
    assert balance_rows(found) == [
        ("DEMAND-CNY", "CNY", 2, "36000.00"),
        ("DEMAND-USD", "USD", 1, "100.00"),
        ("FIXED-CNY", "CNY", 1, "10000.00"),
    ]
    assert [r["name"] for r in found["rows"]] == [
        "人民币活期储蓄",
        "美元活期储蓄",
        "人民币整存整取",
    ]
    assert found["totals"] == [money("46000.00"), money("100.00", "USD")]
    assert found["ties"] is True


async def test_balances_by_tier(books: Books):
    await two_days(books)

    found = await balances(books, DAY_1, by="TIER")

    # The close of day 1 made 阿丽 (60,000.00) AFFLUENT; the others stay MASS.
    assert balance_rows(found) == [
        ("AFFLUENT", "CNY", 2, "60000.00"),
        ("MASS", "CNY", 2, "6000.00"),
        ("MASS", "USD", 1, "100.00"),
    ]
    assert found["totals"] == [money("66000.00"), money("100.00", "USD")]
    assert found["ties"] is True


async def test_a_branch_manager_sees_only_their_branch_without_the_ledger(books: Books):
    await two_days(books)

    beijing = await balances(books, DAY_2, user="bj.manager")
    shanghai = await balances(books, DAY_2, user="sh.manager")

    assert balance_rows(beijing) == [("BJ-001", "CNY", 2, "40000.00")]
    assert beijing["totals"] == [money("40000.00")]
    assert (beijing["ledgerTotals"], beijing["ties"]) == (None, None)
    assert not any(row[0] == "LEDGER" for row in parsed(beijing["csv"]))
    assert balance_rows(shanghai) == [
        ("SH-001", "CNY", 1, "6000.00"),
        ("SH-001", "USD", 1, "100.00"),
    ]
    assert (shanghai["ledgerTotals"], shanghai["ties"]) == (None, None)


async def test_an_auditor_sees_the_whole_bank(books: Books):
    await two_days(books)

    found = await balances(books, DAY_2, user="auditor")

    assert found["totals"] == [money("46000.00"), money("100.00", "USD")]
    assert found["ties"] is True


async def test_the_balance_report_csv_has_rows_totals_and_the_ledger(books: Books):
    await two_days(books)

    found = await balances(books, DAY_1, by="PRODUCT")

    assert parsed(found["csv"]) == [
        ["business_date", "2026-03-10"],
        ["product", "name", "currency", "accounts", "balance"],
        ["DEMAND-CNY", "人民币活期储蓄", "CNY", "3", "56000.00"],
        ["DEMAND-USD", "美元活期储蓄", "USD", "1", "100.00"],
        ["FIXED-CNY", "人民币整存整取", "CNY", "1", "10000.00"],
        ["TOTAL", "", "CNY", "", "66000.00"],
        ["TOTAL", "", "USD", "", "100.00"],
        ["LEDGER", "", "CNY", "", "66000.00"],
        ["LEDGER", "", "USD", "", "100.00"],
    ]


async def test_a_balance_report_after_the_open_business_date_is_refused(books: Books):
    await two_days(books)

    body = await ask(books, "admin", BALANCE_REPORT, date=DAY_3, by="BRANCH")

    assert error_codes(body) == ["INVALID_DATE"]
    assert body["data"] is None


async def test_a_teller_may_not_read_the_balance_report(books: Books):
    await two_days(books)

    body = await ask(books, "bj.teller", BALANCE_REPORT, date=DAY_1, by="BRANCH")

    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None


async def test_a_customer_shared_with_a_branch_manager_stays_out_of_their_branch_report(
    books: Books,
):
    customers = await two_days(books)
    # 阿卡 is SH-001's customer; sharing her with the Beijing manager lets them
    # serve her, but the report is of their branch: Beijing's figures alone.
    await books.bank.share(customers["阿卡"], "bj.manager")

    found = await balances(books, DAY_2, user="bj.manager")

    assert balance_rows(found) == [("BJ-001", "CNY", 2, "40000.00")]
    assert found["totals"] == [money("40000.00")]


async def test_balances_by_tier_of_a_past_date_keep_that_date_s_tiers(books: Books):
    await two_days(books)
    before = balance_rows(await balances(books, DAY_1, by="TIER"))

    # The close of day 2 leaves 阿丽 with 30,000 + 10,000 = 40,000.00: MASS again.
    await books.close_days(DAY_3)
    after = balance_rows(await balances(books, DAY_1, by="TIER"))

    assert after == before
    # At the close of day 1 阿丽 (50,000 + 10,000) was AFFLUENT; 阿博 1,000 and
    # 阿卡 5,000 MASS; 阿德's 100 USD is MASS's own USD row.
    assert before == [
        ("AFFLUENT", "CNY", 2, "60000.00"),
        ("MASS", "CNY", 2, "6000.00"),
        ("MASS", "USD", 1, "100.00"),
    ]


# -- trial balance ----------------------------------------------------------------------------


async def trial(books: Books, day: date, user: str = "admin") -> dict[str, Any]:
    return await report(books, user, TRIAL_BALANCE, date=day)


async def test_the_trial_balance_of_a_closed_date(books: Books):
    await two_days(books)

    found = await trial(books, DAY_1)

    assert found["businessDate"] == "2026-03-10"
    # Day 1: cash in 60,000 + 1,000 + 5,000 = 66,000 CNY and 100 USD (debits to
    # CASH, credits to deposits); 10,000 from 阿丽's demand account to her fixed
    # deposit (a debit and a credit between deposit lines).
    assert trial_lines(found) == [
        ("DEPOSITS:DEMAND-CNY", "CNY", "0.00", "10000.00", "66000.00", "56000.00"),
        ("DEPOSITS:DEMAND-USD", "USD", "0.00", "0.00", "100.00", "100.00"),
        ("DEPOSITS:FIXED-CNY", "CNY", "0.00", "0.00", "10000.00", "10000.00"),
        ("CASH", "CNY", "0.00", "66000.00", "0.00", "-66000.00"),
        ("CASH", "USD", "0.00", "100.00", "0.00", "-100.00"),
    ]
    assert [line["name"] for line in found["lines"]] == [
        "Customer deposits: 人民币活期储蓄",
        "Customer deposits: 美元活期储蓄",
        "Customer deposits: 人民币整存整取",
        "Cash (库存现金)",
        "Cash (库存现金)",
    ]


async def test_the_trial_balance_of_the_open_date_shows_its_movements_so_far(books: Books):
    await two_days(books)

    found = await trial(books, DAY_2)

    # Day 2 on DEMAND-CNY: debits 阿博 300 + 700 and 阿丽 20,000 = 21,000; credits
    # 阿卡 300 + 700 = 1,000. CASH: 700 in (debit), 700 + 20,000 out (credit).
    assert trial_lines(found) == [
        ("DEPOSITS:DEMAND-CNY", "CNY", "56000.00", "21000.00", "1000.00", "36000.00"),
        ("DEPOSITS:DEMAND-USD", "USD", "100.00", "0.00", "0.00", "100.00"),
        ("DEPOSITS:FIXED-CNY", "CNY", "10000.00", "0.00", "0.00", "10000.00"),
        ("CASH", "CNY", "-66000.00", "700.00", "20700.00", "-46000.00"),
        ("CASH", "USD", "-100.00", "0.00", "0.00", "-100.00"),
    ]


async def test_the_trial_balance_balances_per_currency(books: Books):
    await two_days(books)

    day_1 = await trial(books, DAY_1)
    day_2 = await trial(books, DAY_2)

    def totals(found: dict[str, Any]) -> list[tuple[str, str, str, str, str, bool]]:
        return [
            (
                t["opening"]["currency"],
                t["opening"]["amount"],
                t["debits"]["amount"],
                t["credits"]["amount"],
                t["closing"]["amount"],
                t["balanced"],
            )
            for t in found["totals"]
        ]

    assert totals(day_1) == [
        ("CNY", "0.00", "76000.00", "76000.00", "0.00", True),
        ("USD", "0.00", "100.00", "100.00", "0.00", True),
    ]
    assert totals(day_2) == [
        ("CNY", "0.00", "21700.00", "21700.00", "0.00", True),
        ("USD", "0.00", "0.00", "0.00", "0.00", True),
    ]
    assert day_1["balanced"] is True
    assert day_2["balanced"] is True


def deposits_closing(found: dict[str, Any]) -> list[dict[str, str]]:
    """The customer-deposit lines' closing balances summed per currency."""
    sums: dict[str, Decimal] = {}
    for line in found["lines"]:
        if line["code"].startswith("DEPOSITS:"):
            currency = line["opening"]["currency"]
            sums[currency] = sums.get(currency, Decimal("0.00")) + Decimal(
                line["closing"]["amount"]
            )
    return [money(str(amount), currency) for currency, amount in sorted(sums.items())]


async def test_the_trial_balance_s_deposits_tie_to_the_balance_report(books: Books):
    await two_days(books)

    # Day 1: 56,000 + 10,000 CNY; day 2: 36,000 + 10,000 CNY; 100 USD both days.
    for day, cny in ((DAY_1, "66000.00"), (DAY_2, "46000.00")):
        closing = deposits_closing(await trial(books, day))

        assert closing == [money(cny), money("100.00", "USD")], day
        assert closing == (await balances(books, day))["totals"], day


@pytest.mark.parametrize(
    ("user", "code"), [("bj.manager", "HEAD_OFFICE_ONLY"), ("sh.teller", "FORBIDDEN")]
)
async def test_only_head_office_may_read_the_trial_balance(books: Books, user: str, code: str):
    await two_days(books)

    body = await ask(books, user, TRIAL_BALANCE, date=DAY_1)

    assert error_codes(body) == [code]
    assert body["data"] is None


async def test_an_auditor_may_read_the_trial_balance(books: Books):
    await two_days(books)

    found = await trial(books, DAY_2, user="auditor")

    assert found["balanced"] is True
    assert len(found["lines"]) == 5


async def test_a_trial_balance_after_the_open_business_date_is_refused(books: Books):
    await two_days(books)

    body = await ask(books, "admin", TRIAL_BALANCE, date=DAY_3)

    assert error_codes(body) == ["INVALID_DATE"]
    assert body["data"] is None


async def test_the_trial_balance_csv_has_its_lines_and_a_total_per_currency(books: Books):
    await two_days(books)

    found = await trial(books, DAY_1)

    assert parsed(found["csv"]) == [
        ["business_date", "2026-03-10"],
        ["code", "name", "currency", "opening", "debits", "credits", "closing"],
        [
            "DEPOSITS:DEMAND-CNY",
            "Customer deposits: 人民币活期储蓄",
            "CNY",
            "0.00",
            "10000.00",
            "66000.00",
            "56000.00",
        ],
        [
            "DEPOSITS:DEMAND-USD",
            "Customer deposits: 美元活期储蓄",
            "USD",
            "0.00",
            "0.00",
            "100.00",
            "100.00",
        ],
        [
            "DEPOSITS:FIXED-CNY",
            "Customer deposits: 人民币整存整取",
            "CNY",
            "0.00",
            "0.00",
            "10000.00",
            "10000.00",
        ],
        ["CASH", "Cash (库存现金)", "CNY", "0.00", "66000.00", "0.00", "-66000.00"],
        ["CASH", "Cash (库存现金)", "USD", "0.00", "100.00", "0.00", "-100.00"],
        ["TOTAL", "", "CNY", "0.00", "76000.00", "76000.00", "0.00"],
        ["TOTAL", "", "USD", "0.00", "100.00", "100.00", "0.00"],
    ]


# -- loan book --------------------------------------------------------------------------------

LENT_ON = date(2026, 2, 10)
"""Both loans are paid out on this date: 12 months, equal principal, at 4.35 % a
year; the first installment (principal 1/12, interest one month's) is due on
10 March (DAY_1). Beijing's 12,000.00 is then withdrawn from its account, so
that installment goes unpaid; Shanghai's 24,000.00 stays to pay its own."""


async def lend(books: Books, customer: dict[str, Any], principal: str) -> dict[str, Any]:
    """Pay ``principal`` out today into a new demand account of ``customer``:
    applied for by their branch's manager, approved by head office. The account."""
    account = await books.open(customer)
    users = books.bank.user_ids
    branch = customer["branch"]["code"]
    manager = f"{branch[:2].lower()}.manager"
    applicant = Principal(
        user_id=users[manager],
        username=manager,
        roles=frozenset({Role.BRANCH_MANAGER}),
        branch_id=books.bank.branch_ids[branch],
        permissions=frozenset(),
    )
    settings = books.runtime.settings
    async with books.runtime.database.transaction(Mode.WRITE) as session:
        row = await session.get_one(Customer, await books.bank.customer_id(customer))
        loan = await lifecycle.apply_for_loan(
            session,
            settings,
            applicant,
            row,
            lifecycle.Application(
                principal=Decimal(principal),
                term_months=12,
                method=RepaymentMethod.EQUAL_PRINCIPAL,
                account_id=int(global_id_of(account)),
            ),
        )
        await lifecycle.decide_loan(
            session, head_office(users["auditor"], "auditor"), loan.id, True, "同意"
        )
        loan = await lifecycle.disburse_loan(session, settings, applicant, loan.id, books.key())
        assert loan.status is LoanStatus.ACTIVE
    return account


async def two_loans(books: Books) -> None:
    """The loans above, 10 February closed; the calendar then jumps to 10 March."""
    await books.open_business_date(LENT_ON)
    beijing = await lend(books, await books.customer(name="阿京"), "12000.00")
    assert (await books.withdraw(beijing, "12000.00"))["errors"] == []
    await lend(books, await books.customer(name="阿沪", branchCode=SH), "24000.00")
    await books.close_days(date(2026, 2, 11))
    await books.open_business_date(DAY_1)


async def loan_book(books: Books, day: date, user: str = "admin") -> dict[str, Any]:
    return await report(books, user, LOAN_BOOK, date=day)


async def test_the_loan_book_shows_loans_paid_out_under_their_branch(books: Books):
    await two_loans(books)

    found = await loan_book(books, LENT_ON)

    assert found["businessDate"] == "2026-02-10"
    assert loan_rows(found["rows"]) == [
        ("BJ-001", "CNY", 1, "12000.00", 0, "0.00", "0.00", "0.00"),
        ("SH-001", "CNY", 1, "24000.00", 0, "0.00", "0.00", "0.00"),
    ]
    assert [r["branchName"] for r in found["rows"]] == ["北京分行", "上海分行"]
    assert loan_rows(found["totals"]) == [
        ("TOTAL", "CNY", 2, "36000.00", 0, "0.00", "0.00", "0.00")
    ]
    assert found["ledgerPrincipal"] == [money("36000.00")]
    assert found["ties"] is True


async def test_an_installment_left_unpaid_shows_in_the_loan_book_as_overdue(books: Books):
    await two_loans(books)
    await books.close_days(DAY_3)

    due_date = await loan_book(books, DAY_1)
    next_day = await loan_book(books, DAY_2)

    assert loan_rows(due_date["rows"]) == [
        ("BJ-001", "CNY", 1, "12000.00", 1, "1000.00", "43.50", "0.00"),
        ("SH-001", "CNY", 1, "22000.00", 0, "0.00", "0.00", "0.00"),
    ]
    assert loan_rows(next_day["rows"]) == [
        ("BJ-001", "CNY", 1, "12000.00", 1, "1000.00", "43.50", "0.18"),
        ("SH-001", "CNY", 1, "22000.00", 0, "0.00", "0.00", "0.00"),
    ]
    assert loan_rows(next_day["totals"]) == [
        ("TOTAL", "CNY", 2, "34000.00", 1, "1000.00", "43.50", "0.18")
    ]
    # Loans receivable: 36,000.00 paid out, 2,000.00 of SH's principal collected.
    assert next_day["ledgerPrincipal"] == [money("34000.00")]
    assert next_day["ties"] is True
    assert (await books.ledger()).ok


async def test_a_branch_manager_sees_their_branch_s_loan_book_without_the_ledger(books: Books):
    await two_loans(books)

    found = await loan_book(books, LENT_ON, user="sh.manager")

    assert loan_rows(found["rows"]) == [("SH-001", "CNY", 1, "24000.00", 0, "0.00", "0.00", "0.00")]
    assert (found["ledgerPrincipal"], found["ties"]) == (None, None)


async def test_the_loan_book_csv(books: Books):
    await two_loans(books)

    found = await loan_book(books, LENT_ON)

    assert parsed(found["csv"]) == [
        ["business_date", "2026-02-10"],
        [
            "branch",
            "name",
            "currency",
            "loans",
            "outstanding_principal",
            "overdue_loans",
            "overdue_principal",
            "overdue_interest",
            "penalty_interest",
        ],
        ["BJ-001", "北京分行", "CNY", "1", "12000.00", "0", "0.00", "0.00", "0.00"],
        ["SH-001", "上海分行", "CNY", "1", "24000.00", "0", "0.00", "0.00", "0.00"],
        ["TOTAL", "", "CNY", "2", "36000.00", "0", "0.00", "0.00", "0.00"],
        ["LEDGER", "", "CNY", "", "36000.00"],
    ]


async def test_the_loan_book_is_made_only_for_closed_dates(books: Books):
    await two_loans(books)

    today = await ask(books, "admin", LOAN_BOOK, date=DAY_1)
    skipped = await ask(books, "admin", LOAN_BOOK, date=date(2026, 2, 20))
    later = await ask(books, "admin", LOAN_BOOK, date=DAY_2)

    assert error_codes(today) == ["REPORT_NOT_AVAILABLE"]
    assert today["errors"][0]["message"] == (
        "There is no loan book for 2026-03-10: it is kept when a date is closed."
    )
    # The calendar jumped from 11 February to 10 March: no end of day kept 20 February's.
    assert error_codes(skipped) == ["REPORT_NOT_AVAILABLE"]
    assert error_codes(later) == ["INVALID_DATE"]


async def test_a_teller_may_not_read_the_loan_book(books: Books):
    await two_loans(books)

    body = await ask(books, "sh.teller", LOAN_BOOK, date=LENT_ON)

    assert error_codes(body) == ["FORBIDDEN"]


# -- `crm report` -----------------------------------------------------------------------------


async def test_crm_report_trial_balance_prints_the_csv(
    books: Books, database_url: str, tmp_path: Path
):
    await two_days(books)

    result = crm(database_url, "report", "trial-balance", "--date", "2026-03-11", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    rows = parsed(result.stdout)
    assert rows[:2] == [
        ["business_date", "2026-03-11"],
        ["code", "name", "currency", "opening", "debits", "credits", "closing"],
    ]
    by_line = {(row[0], row[2]): row[3:] for row in rows[2:]}
    assert by_line[("DEPOSITS:DEMAND-CNY", "CNY")] == [
        "56000.00",
        "21000.00",
        "1000.00",
        "36000.00",
    ]
    assert by_line[("CASH", "CNY")] == ["-66000.00", "700.00", "20700.00", "-46000.00"]
    assert by_line[("TOTAL", "CNY")] == ["0.00", "21700.00", "21700.00", "0.00"]


async def test_crm_report_balances_by_tier_writes_the_csv_to_a_file(
    books: Books, database_url: str, tmp_path: Path
):
    await two_days(books)

    result = crm(
        database_url,
        "report",
        "balances",
        "--date",
        "2026-03-10",
        "--by",
        "TIER",
        "-o",
        "balances.csv",
        cwd=tmp_path,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert parsed((tmp_path / "balances.csv").read_text(encoding="utf-8")) == [
        ["business_date", "2026-03-10"],
        ["tier", "name", "currency", "accounts", "balance"],
        ["AFFLUENT", "AFFLUENT", "CNY", "2", "60000.00"],
        ["MASS", "MASS", "CNY", "2", "6000.00"],
        ["MASS", "MASS", "USD", "1", "100.00"],
        ["TOTAL", "", "CNY", "", "66000.00"],
        ["TOTAL", "", "USD", "", "100.00"],
        ["LEDGER", "", "CNY", "", "66000.00"],
        ["LEDGER", "", "USD", "", "100.00"],
    ]


async def test_crm_report_loan_book_defaults_to_the_last_closed_date(
    books: Books, database_url: str, tmp_path: Path
):
    await two_loans(books)
    await books.close_days(DAY_2)

    result = crm(database_url, "report", "loan-book", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    rows = parsed(result.stdout)
    assert rows[0] == ["business_date", "2026-03-10"]
    assert rows[2:4] == [
        ["BJ-001", "北京分行", "CNY", "1", "12000.00", "1", "1000.00", "43.50", "0.00"],
        ["SH-001", "上海分行", "CNY", "1", "22000.00", "0", "0.00", "0.00", "0.00"],
    ]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["balances", "--date", "10/03/2026"], "--date must be a date written YYYY-MM-DD"),
        (["trial-balance", "--date", "2026-03-12"], "There are no figures for 2026-03-12 yet"),
        (["loan-book", "--date", "2026-03-11"], "There is no loan book for 2026-03-11"),
    ],
)
async def test_crm_report_refuses_a_bad_date_cleanly(
    books: Books, database_url: str, tmp_path: Path, args: list[str], message: str
):
    await books.open_business_date(DAY_2)

    result = crm(database_url, "report", *args, "-o", "out.csv", cwd=tmp_path)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not (tmp_path / "out.csv").exists()


async def test_crm_report_refuses_an_output_it_cannot_write_cleanly(
    books: Books, database_url: str, tmp_path: Path
):
    await books.open_business_date(DAY_2)

    result = crm(database_url, "report", "balances", "-o", "no-such-folder/out.csv", cwd=tmp_path)

    assert result.returncode != 0
    assert "no-such-folder/out.csv" in result.stderr
    assert "Traceback" not in result.stderr
