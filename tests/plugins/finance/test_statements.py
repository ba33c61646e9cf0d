"""An account's history: `Account.transactions` (newest first, paginated, filtered)
and `Account.statement` (对账单) for a period, with its opening and closing
balances, also as CSV."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

import pytest

from tests.conftest import StatementCounter
from tests.plugins.finance.conftest import Books

STATEMENT = """
query($id: ID!, $from: Date!, $to: Date!) {
  account(id: $id) {
    statement(periodFrom: $from, periodTo: $to) {
      periodFrom periodTo
      openingBalance { amount currency } closingBalance { amount currency }
      totalCredits { amount currency } totalDebits { amount currency }
      transactions { kind direction valueDate amount { amount } balanceAfter { amount } memo }
      csv
    }
  }
}
"""
TRANSACTIONS = """
query($id: ID!, $first: Int, $after: String, $from: Date, $to: Date, $kind: [String!]) {
  account(id: $id) {
    transactions(first: $first, after: $after, valueFrom: $from, valueTo: $to, kind: $kind) {
      edges { cursor node { id kind direction valueDate amount { amount } memo } }
      pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    }
  }
}
"""
CUSTOMER_HISTORY = """
query($id: ID!) {
  customer(id: $id) {
    accounts {
      accountNo
      transactions(first: 5) {
        edges { node { kind direction valueDate amount { amount } balanceAfter { amount } memo } }
        pageInfo { hasNextPage endCursor }
      }
    }
  }
}
"""
FORMULA = '=HYPERLINK("http://evil.example","点我")'


async def a_month_of_history(books: Books) -> dict[str, Any]:
    """An account's March 2026 (each movement on its own business date; no batch
    runs in between, so no interest muddles the figures):

    ==========  ==========  =========  =========
    value date  movement      amount    balance
    ==========  ==========  =========  =========
    2026-03-02  DEPOSIT      1,000.00   1,000.00   工资
    2026-03-05  WITHDRAWAL     200.00     800.00   取现
    2026-03-10  DEPOSIT        500.00   1,300.00   =HYPERLINK(...)
    2026-03-15  WITHDRAWAL      50.00   1,250.00
    ==========  ==========  =========  =========
    """
    await books.open_business_date(date(2026, 3, 2))
    account = await books.open(await books.customer())
    for day, move, amount, memo in (
        (date(2026, 3, 2), books.deposit, "1000.00", "工资"),
        (date(2026, 3, 5), books.withdraw, "200.00", "取现"),
        (date(2026, 3, 10), books.deposit, "500.00", FORMULA),
        (date(2026, 3, 15), books.withdraw, "50.00", None),
    ):
        await books.open_business_date(day)
        assert (await move(account, amount, memo=memo))["errors"] == []
    return account


async def statement(
    books: Books, account: dict[str, Any], period_from: str, period_to: str
) -> dict[str, Any]:
    admin = await books.bank.sign_in("admin")
    body = await admin.data(STATEMENT, {"id": account["id"], "from": period_from, "to": period_to})
    return body["account"]["statement"]


async def history(books: Books, account: dict[str, Any], **variables: Any) -> dict[str, Any]:
    admin = await books.bank.sign_in("admin")
    body = await admin.data(TRANSACTIONS, {"id": account["id"]} | variables)
    return body["account"]["transactions"]


def cny(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "CNY"}


# -- statements ---------------------------------------------------------------------------


async def test_a_statement_opens_at_the_balance_before_the_period_and_closes_at_its_end(
    books: Books,
):
    account = await a_month_of_history(books)

    shown = await statement(books, account, "2026-03-05", "2026-03-10")

    assert shown["periodFrom"] == "2026-03-05"
    assert shown["periodTo"] == "2026-03-10"
    assert shown["openingBalance"] == cny("1000.00")  # after 03-02's deposit
    assert shown["closingBalance"] == cny("1300.00")  # 1,000.00 − 200.00 + 500.00


async def test_a_statement_totals_the_period_s_credits_and_debits(books: Books):
    account = await a_month_of_history(books)

    shown = await statement(books, account, "2026-03-01", "2026-03-31")

    assert shown["totalCredits"] == cny("1500.00")  # 1,000.00 + 500.00
    assert shown["totalDebits"] == cny("250.00")  # 200.00 + 50.00
    assert shown["openingBalance"] == cny("0.00")
    assert shown["closingBalance"] == cny("1250.00")  # 0.00 + 1,500.00 − 250.00


async def test_a_statement_lists_the_period_s_transactions_oldest_first(books: Books):
    account = await a_month_of_history(books)

    shown = await statement(books, account, "2026-03-05", "2026-03-15")

    assert [
        (t["valueDate"], t["kind"], t["direction"], t["amount"]["amount"], t["balanceAfter"])
        for t in shown["transactions"]
    ] == [
        ("2026-03-05", "WITHDRAWAL", "DEBIT", "200.00", {"amount": "800.00"}),
        ("2026-03-10", "DEPOSIT", "CREDIT", "500.00", {"amount": "1300.00"}),
        ("2026-03-15", "WITHDRAWAL", "DEBIT", "50.00", {"amount": "1250.00"}),
    ]


async def test_a_period_without_movements_opens_and_closes_at_the_same_balance(books: Books):
    account = await a_month_of_history(books)

    shown = await statement(books, account, "2026-03-11", "2026-03-14")

    assert shown["openingBalance"] == cny("1300.00")
    assert shown["closingBalance"] == cny("1300.00")
    assert shown["totalCredits"] == cny("0.00")
    assert shown["totalDebits"] == cny("0.00")
    assert shown["transactions"] == []


async def test_a_period_after_the_last_movement_carries_the_last_balance(books: Books):
    account = await a_month_of_history(books)

    shown = await statement(books, account, "2026-04-01", "2026-04-30")

    assert shown["openingBalance"] == cny("1250.00")
    assert shown["closingBalance"] == cny("1250.00")


async def test_a_period_of_a_single_day_holds_that_day_s_movements(books: Books):
    account = await a_month_of_history(books)

    shown = await statement(books, account, "2026-03-10", "2026-03-10")

    assert [t["amount"]["amount"] for t in shown["transactions"]] == ["500.00"]
    assert shown["openingBalance"] == cny("800.00")
    assert shown["closingBalance"] == cny("1300.00")


async def test_the_csv_has_a_header_and_one_line_per_transaction(books: Books):
    account = await a_month_of_history(books)

    shown = await statement(books, account, "2026-03-05", "2026-03-10")

    rows = list(csv.reader(io.StringIO(shown["csv"])))
    assert rows[0] == ["account_no", account["accountNo"], "currency", "CNY"]
    assert rows[1] == ["period", "2026-03-05", "2026-03-10"]
    assert rows[2] == ["opening_balance", "1000.00"]
    assert rows[3] == ["value_date", "posted_at", "kind", "debit", "credit", "balance", "memo"]
    lines = [row[:1] + row[2:] for row in rows[4:-1]]  # posted_at is a timestamp
    assert lines == [
        ["2026-03-05", "WITHDRAWAL", "200.00", "", "800.00", "取现"],
        ["2026-03-10", "DEPOSIT", "", "500.00", "1300.00", "'" + FORMULA],
    ]
    assert all(row[1].startswith("2") for row in rows[4:-1])
    assert rows[-1] == ["closing_balance", "1300.00"]


@pytest.mark.parametrize("memo", ["=1+1", "+1+1", "-1+1", "@SUM(A1:A2)"])
async def test_a_memo_a_spreadsheet_would_run_as_a_formula_is_defused_in_the_csv(
    books: Books, memo: str
):
    await books.open_business_date(date(2026, 3, 2))
    account = await books.account_with("0")
    assert (await books.deposit(account, "1.00", memo=memo))["errors"] == []

    shown = await statement(books, account, "2026-03-02", "2026-03-02")

    rows = list(csv.reader(io.StringIO(shown["csv"])))
    assert rows[4][-1] == "'" + memo
    assert shown["transactions"][0]["memo"] == memo  # the API itself shows it as written


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        ("2026-01-01", "2027-01-01"),  # 366 days
        ("2028-01-01", "2028-12-31"),  # a leap year, 366 days
    ],
)
async def test_a_statement_may_cover_366_days(books: Books, period_from, period_to):
    account = await a_month_of_history(books)

    shown = await statement(books, account, period_from, period_to)

    assert shown["periodFrom"] == period_from


@pytest.mark.parametrize(
    ("period_from", "period_to"),
    [
        ("2026-01-01", "2027-01-02"),  # 367 days
        ("2025-01-01", "2026-12-31"),  # two years
        ("2026-03-10", "2026-03-09"),  # ends before it starts
    ],
)
async def test_a_statement_for_a_period_too_long_or_backwards_is_refused(
    books: Books, period_from, period_to
):
    account = await a_month_of_history(books)
    admin = await books.bank.sign_in("admin")

    body = await admin.execute(
        STATEMENT, {"id": account["id"], "from": period_from, "to": period_to}
    )

    assert [error["extensions"]["code"] for error in body["errors"]] == ["INVALID_PERIOD"]
    assert body["data"] == {"account": None}


# -- transactions -------------------------------------------------------------------------


async def test_transactions_come_newest_first(books: Books):
    account = await a_month_of_history(books)

    page = await history(books, account)

    assert [(e["node"]["valueDate"], e["node"]["kind"]) for e in page["edges"]] == [
        ("2026-03-15", "WITHDRAWAL"),
        ("2026-03-10", "DEPOSIT"),
        ("2026-03-05", "WITHDRAWAL"),
        ("2026-03-02", "DEPOSIT"),
    ]
    assert [e["node"]["memo"] for e in page["edges"]] == [None, FORMULA, "取现", "工资"]
    assert page["pageInfo"]["hasNextPage"] is False


async def test_paging_through_transactions_neither_repeats_nor_skips_one(books: Books):
    await books.open_business_date(date(2026, 3, 2))
    account = await books.account_with("0")
    for n in range(1, 8):
        assert (await books.deposit(account, f"{n}.00"))["errors"] == []
    everything = [e["node"]["id"] for e in (await history(books, account, first=50))["edges"]]

    pages, after = [], None
    while True:
        page = await history(books, account, first=3, after=after)
        pages.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert [len(page["edges"]) for page in pages] == [3, 3, 1]
    assert [e["node"]["id"] for page in pages for e in page["edges"]] == everything
    assert len(set(everything)) == 7
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True]
    assert all(page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"] for page in pages)
    assert [e["node"]["amount"]["amount"] for e in pages[0]["edges"]] == ["7.00", "6.00", "5.00"]


async def test_a_transaction_posted_while_paging_does_not_shift_the_later_pages(books: Books):
    await books.open_business_date(date(2026, 3, 2))
    account = await books.account_with("0")
    for n in range(1, 5):
        assert (await books.deposit(account, f"{n}.00"))["errors"] == []
    first = await history(books, account, first=2)

    assert (await books.deposit(account, "99.00"))["errors"] == []
    second = await history(books, account, first=2, after=first["pageInfo"]["endCursor"])

    assert [e["node"]["amount"]["amount"] for e in first["edges"]] == ["4.00", "3.00"]
    assert [e["node"]["amount"]["amount"] for e in second["edges"]] == ["2.00", "1.00"]
    assert second["pageInfo"]["hasNextPage"] is False


async def test_transactions_are_filtered_by_value_date_inclusive(books: Books):
    account = await a_month_of_history(books)

    page = await history(books, account, **{"from": "2026-03-05", "to": "2026-03-10"})

    assert [e["node"]["valueDate"] for e in page["edges"]] == ["2026-03-10", "2026-03-05"]


async def test_transactions_are_filtered_by_kind(books: Books):
    account = await a_month_of_history(books)

    deposits = await history(books, account, kind=["DEPOSIT"])
    both = await history(books, account, kind=["DEPOSIT", "WITHDRAWAL"])

    assert [(e["node"]["kind"], e["node"]["amount"]["amount"]) for e in deposits["edges"]] == [
        ("DEPOSIT", "500.00"),
        ("DEPOSIT", "1000.00"),
    ]
    assert len(both["edges"]) == 4


async def test_a_kind_filter_and_a_date_range_combine(books: Books):
    account = await a_month_of_history(books)

    page = await history(books, account, kind=["WITHDRAWAL"], **{"from": "2026-03-06"})

    assert [(e["node"]["valueDate"], e["node"]["kind"]) for e in page["edges"]] == [
        ("2026-03-15", "WITHDRAWAL")
    ]


async def test_paging_a_filtered_list_stays_within_the_filter(books: Books):
    await books.open_business_date(date(2026, 3, 2))
    account = await books.account_with("100.00")
    for _ in range(4):
        assert (await books.withdraw(account, "1.00"))["errors"] == []
        assert (await books.deposit(account, "2.00"))["errors"] == []

    first = await history(books, account, first=2, kind=["WITHDRAWAL"])
    second = await history(
        books, account, first=2, kind=["WITHDRAWAL"], after=first["pageInfo"]["endCursor"]
    )

    kinds = [e["node"]["kind"] for page in (first, second) for e in page["edges"]]
    assert kinds == ["WITHDRAWAL"] * 4
    assert second["pageInfo"]["hasNextPage"] is False


async def a_customer_with_accounts(books: Books, count: int) -> dict[str, Any]:
    customer = await books.customer()
    for n in range(count):
        account = await books.account_with(f"{100 + n}.00", customer)
        assert (await books.withdraw(account, "1.00", memo=f"取现 {n}"))["errors"] == []
    return customer


async def test_a_page_of_many_accounts_transactions_costs_a_fixed_number_of_statements(
    books: Books, sql: StatementCounter
):
    await books.open_business_date(date(2026, 3, 2))
    two = await a_customer_with_accounts(books, 2)
    six = await a_customer_with_accounts(books, 6)
    admin = await books.bank.sign_in("admin")

    sql.reset()
    few = await admin.data(CUSTOMER_HISTORY, {"id": two["id"]})
    for_two = sql.count
    sql.reset()
    many = await admin.data(CUSTOMER_HISTORY, {"id": six["id"]})
    for_six = sql.count

    assert for_two == for_six
    assert [len(a["transactions"]["edges"]) for a in many["customer"]["accounts"]] == [2] * 6
    assert [
        [e["node"]["memo"] for e in a["transactions"]["edges"]] for a in few["customer"]["accounts"]
    ] == [["取现 0", None], ["取现 1", None]]
