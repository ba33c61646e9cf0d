"""Opening and closing accounts, demand and fixed, and the rates products open at."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.check_digits import luhn_digit
from core.db import Mode
from plugins.customer.models import CustomerStatus
from plugins.finance.models import Account, InternalAccount
from tests.plugins.customer.conftest import SH, error_codes, global_id
from tests.plugins.finance.conftest import CLOSE_ACCOUNT, OPEN_ACCOUNT, Books, codes

CUSTOMER_ACCOUNTS = """
query($id: ID!, $closed: Boolean! = false) {
  customer(id: $id) {
    accounts(includeClosed: $closed) { id accountNo kind status currency balance { amount } }
    totalAssets { amount currency }
  }
}
"""
HISTORY = """
query($id: ID!) {
  account(id: $id) {
    status balance { amount }
    transactions { edges { node { kind direction amount { amount } } } }
  }
}
"""
SET_RATE = """
mutation($input: SetDepositRateInput!) {
  setDepositRate(input: $input) {
    product { code rates { termMonths annualRate } }
    accountsRepriced
    errors { field message code }
  }
}
"""
PRODUCTS = """
{ depositProducts { code name kind currency standard rates { termMonths annualRate } } }
"""
FIXED_RATES = {3: "0.65", 6: "0.85", 12: "0.95", 24: "1.05", 36: "1.25", 60: "1.30"}


def refusal(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def opening(books: Books, by: str = "admin", **input: Any) -> dict[str, Any]:
    """The ``openAccount`` payload (errors included)."""
    caller = await books.bank.sign_in(by)
    body = await caller.data(OPEN_ACCOUNT, {"input": input})
    return body["openAccount"]


async def closing(
    books: Books,
    account: dict[str, Any],
    settlement: dict[str, Any] | None = None,
    by: str = "admin",
) -> dict[str, Any]:
    """The ``closeAccount`` payload (errors included)."""
    caller = await books.bank.sign_in(by)
    body = await caller.data(
        CLOSE_ACCOUNT,
        {
            "input": {
                "accountId": account["id"],
                "settlementAccountId": settlement["id"] if settlement else None,
            }
        },
    )
    return body["closeAccount"]


def fixed(
    customer: dict[str, Any],
    funding: dict[str, Any] | None,
    principal: str | None = "1000.00",
    term: int | None = 12,
    key: str | None = "fixed-1",
    **more: Any,
) -> dict[str, Any]:
    """An OpenAccountInput for a fixed deposit."""
    return {
        "customerId": customer["id"],
        "kind": "FIXED",
        "termMonths": term,
        "principal": principal,
        "fundingAccountId": funding["id"] if funding else None,
        "idempotencyKey": key,
    } | more


async def fixed_deposit(
    books: Books, principal: str = "1000.00", term: int = 12, funds: str | None = None
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    """(customer, funding account, fixed deposit): a new customer's demand account
    holding ``funds`` (default: the principal) funds a fixed deposit of ``principal``."""
    customer = await books.customer()
    funding = await books.account_with(funds or principal, customer)
    deposit = await books.open(
        customer,
        kind="FIXED",
        termMonths=term,
        principal=principal,
        fundingAccountId=funding["id"],
        idempotencyKey=books.key(),
    )
    return customer, funding, deposit


async def cash_account(books: Books) -> dict[str, Any]:
    """The bank's own CNY cash account (it exists once cash has moved)."""
    async with books.runtime.database.transaction(Mode.READ) as session:
        found = await session.scalar(
            select(Account.id).where(
                Account.internal == InternalAccount.CASH, Account.currency == "CNY"
            )
        )
    assert found is not None
    return {"id": global_id("Account", found)}


async def customer_accounts(
    books: Books, customer: dict[str, Any], closed: bool = False, by: str = "admin"
) -> dict[str, Any]:
    caller = await books.bank.sign_in(by)
    body = await caller.data(CUSTOMER_ACCOUNTS, {"id": customer["id"], "closed": closed})
    return body["customer"]


async def set_rate(books: Books, by: str = "admin", **input: Any) -> dict[str, Any]:
    caller = await books.bank.sign_in(by)
    body = await caller.data(SET_RATE, {"input": input})
    return body["setDepositRate"]


# ---------------------------------------------------------------- demand accounts


async def test_a_demand_account_opens_empty_on_the_standard_product(books: Books):
    account = await books.open(await books.customer())

    assert account["kind"] == "DEMAND"
    assert account["status"] == "ACTIVE"
    assert account["currency"] == "CNY"
    assert Decimal(account["annualInterestRate"]) == Decimal("0.05")
    assert account["balance"] == {"amount": "0.00", "currency": "CNY"}
    assert account["availableBalance"] == {"amount": "0.00", "currency": "CNY"}
    assert account["accruedInterest"] == {"amount": "0.00", "currency": "CNY"}
    assert account["termMonths"] is None
    assert account["maturityDate"] is None


async def test_an_account_number_is_19_digits_of_6216_with_a_luhn_check_digit(books: Books):
    customer = await books.customer()

    numbers = [(await books.open(customer))["accountNo"] for _ in range(3)]

    for number in numbers:
        assert len(number) == 19
        assert number.isdigit()
        assert number.startswith("6216")
        assert number[-1] == luhn_digit(number[:-1])
    assert len(set(numbers)) == 3


async def test_a_dollar_account_opens_on_the_dollar_product(books: Books):
    account = await books.open(await books.customer(), currency="USD")

    assert account["currency"] == "USD"
    assert account["balance"] == {"amount": "0.00", "currency": "USD"}
    assert Decimal(account["annualInterestRate"]) == Decimal("0.05")


async def test_the_currency_may_be_given_in_lower_case(books: Books):
    account = await books.open(await books.customer(), currency=" usd ")

    assert account["currency"] == "USD"


async def test_a_currency_that_is_not_three_letters_is_refused(books: Books):
    customer = await books.customer()

    payload = await opening(books, customerId=customer["id"], kind="DEMAND", currency="US$")

    assert refusal(payload) == [("INVALID_CURRENCY", ["input", "currency"])]
    assert payload["account"] is None


async def test_a_currency_no_product_offers_is_refused(books: Books):
    customer = await books.customer()

    payload = await opening(books, customerId=customer["id"], kind="DEMAND", currency="EUR")

    assert refusal(payload) == [("PRODUCT_NOT_FOUND", ["input", "productCode"])]
    assert (await customer_accounts(books, customer))["accounts"] == []


async def test_an_unknown_product_is_refused(books: Books):
    customer = await books.customer()

    payload = await opening(books, customerId=customer["id"], kind="DEMAND", productCode="NOPE")

    assert refusal(payload) == [("PRODUCT_NOT_FOUND", ["input", "productCode"])]


async def test_a_product_of_the_other_kind_is_refused(books: Books):
    customer = await books.customer()

    payload = await opening(
        books, customerId=customer["id"], kind="DEMAND", productCode="FIXED-CNY"
    )

    assert refusal(payload) == [("PRODUCT_KIND_MISMATCH", ["input", "productCode"])]


async def test_a_product_in_another_currency_than_asked_is_refused(books: Books):
    customer = await books.customer()

    payload = await opening(
        books, customerId=customer["id"], kind="DEMAND", productCode="DEMAND-CNY", currency="USD"
    )

    assert refusal(payload) == [("CURRENCY_MISMATCH", ["input", "currency"])]


@pytest.mark.parametrize(
    ("name", "value"),
    [("termMonths", 12), ("principal", "100.00"), ("fundingAccountId", "")],
)
async def test_a_demand_account_takes_no_fixed_deposit_input(books: Books, name: str, value: Any):
    customer = await books.customer()
    if name == "fundingAccountId":
        value = (await books.open(customer))["id"]

    payload = await opening(books, customerId=customer["id"], kind="DEMAND", **{name: value})

    assert refusal(payload) == [("NOT_FOR_DEMAND", ["input", name])]


async def test_a_demand_account_opened_twice_with_one_key_is_opened_once(books: Books):
    customer = await books.customer()

    first = await books.open(customer, idempotencyKey="open-demand-1")
    again = await books.open(customer, idempotencyKey="open-demand-1")

    assert again["id"] == first["id"]
    assert len((await customer_accounts(books, customer))["accounts"]) == 1


async def test_a_closed_customer_cannot_open_an_account(books: Books):
    customer = await books.customer()
    await books.bank.change(customer, status=CustomerStatus.CLOSED)

    payload = await opening(books, customerId=customer["id"], kind="DEMAND")

    assert refusal(payload) == [("CUSTOMER_CLOSED", ["input", "customerId"])]
    assert payload["account"] is None


async def test_an_account_cannot_be_opened_for_a_customer_of_another_branch(books: Books):
    shanghai = await books.customer(branchCode=SH)

    payload = await opening(books, by="bj.teller", customerId=shanghai["id"], kind="DEMAND")

    assert refusal(payload) == [("NOT_FOUND", ["input", "customerId"])]
    assert (await customer_accounts(books, shanghai))["accounts"] == []


async def test_a_relationship_manager_opens_accounts_for_his_own_customers_only(books: Books):
    own = await books.customer()
    await books.bank.assign(own, "bj.rm")
    other = await books.customer()

    opened = await opening(books, by="bj.rm", customerId=own["id"], kind="DEMAND")
    refused = await opening(books, by="bj.rm", customerId=other["id"], kind="DEMAND")

    assert opened["errors"] == []
    assert refusal(refused) == [("NOT_FOUND", ["input", "customerId"])]


@pytest.mark.parametrize("username", ["bj.agent", "auditor", "marketing"])
async def test_staff_without_the_open_permission_cannot_open_accounts(books: Books, username: str):
    customer = await books.customer()
    caller = await books.bank.sign_in(username)

    body = await caller.execute(
        OPEN_ACCOUNT, {"input": {"customerId": customer["id"], "kind": "DEMAND"}}
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await customer_accounts(books, customer))["accounts"] == []


# ---------------------------------------------------------------- the customer's accounts


async def test_a_customer_lists_his_open_accounts_oldest_first(books: Books):
    customer = await books.customer()
    first = await books.open(customer)
    second = await books.open(customer, currency="USD")
    await books.open(await books.customer())

    listed = (await customer_accounts(books, customer))["accounts"]

    assert [account["id"] for account in listed] == [first["id"], second["id"]]
    assert [account["currency"] for account in listed] == ["CNY", "USD"]


async def test_a_customer_s_closed_accounts_are_listed_only_when_asked(books: Books):
    customer = await books.customer()
    kept = await books.open(customer)
    gone = await books.open(customer)
    await closing(books, gone)

    open_only = (await customer_accounts(books, customer))["accounts"]
    everything = (await customer_accounts(books, customer, closed=True))["accounts"]

    assert [account["id"] for account in open_only] == [kept["id"]]
    assert [(account["id"], account["status"]) for account in everything] == [
        (kept["id"], "ACTIVE"),
        (gone["id"], "CLOSED"),
    ]


async def test_a_customer_s_total_assets_are_his_yuan_balances(books: Books):
    customer = await books.customer()
    await books.account_with("100.25", customer)
    funding = await books.account_with("1000.00", customer)
    await books.open(
        customer,
        kind="FIXED",
        termMonths=3,
        principal="400.00",
        fundingAccountId=funding["id"],
        idempotencyKey=books.key(),
    )
    await books.account_with("999.00", customer, currency="USD")
    await books.account_with("5000.00")

    found = await customer_accounts(books, customer)

    assert found["totalAssets"] == {"amount": "1100.25", "currency": "CNY"}


async def test_a_customer_without_accounts_holds_nothing(books: Books):
    customer = await books.customer()

    found = await customer_accounts(books, customer)

    assert found == {"accounts": [], "totalAssets": {"amount": "0.00", "currency": "CNY"}}


async def test_a_closed_account_no_longer_counts_in_total_assets(books: Books):
    customer = await books.customer()
    kept = await books.account_with("10.00", customer)
    gone = await books.account_with("90.00", customer)
    await closing(books, gone, kept)

    found = await customer_accounts(books, customer)

    assert found["totalAssets"] == {"amount": "100.00", "currency": "CNY"}


# ---------------------------------------------------------------- fixed deposits


async def test_a_fixed_deposit_takes_its_principal_from_the_funding_account_in_one_entry(
    books: Books,
):
    customer = await books.customer()
    funding = await books.account_with("10000.00", customer)
    before = await books.entries()

    payload = await opening(books, **fixed(customer, funding, principal="6000.00"))

    assert payload["errors"] == []
    account = payload["account"]
    assert account["kind"] == "FIXED"
    assert account["status"] == "ACTIVE"
    assert account["termMonths"] == 12
    assert account["balance"] == {"amount": "6000.00", "currency": "CNY"}
    assert await books.balance(funding) == Decimal("4000.00")
    assert await books.entries() == before + 1
    assert (await books.ledger()).ok
    admin = await books.bank.sign_in("admin")
    history = await admin.data(HISTORY, {"id": funding["id"]})
    assert history["account"]["transactions"]["edges"][0]["node"] == {
        "kind": "FIXED_DEPOSIT",
        "direction": "DEBIT",
        "amount": {"amount": "6000.00"},
    }


@pytest.mark.parametrize(("term", "rate"), FIXED_RATES.items())
async def test_a_fixed_deposit_opens_at_its_product_s_rate_for_its_term(
    books: Books, term: int, rate: str
):
    _, _, account = await fixed_deposit(books, term=term)

    assert account["termMonths"] == term
    assert Decimal(account["annualInterestRate"]) == Decimal(rate)


@pytest.mark.parametrize(
    ("opened", "term", "matures"),
    [
        (date(2024, 1, 15), 12, date(2025, 1, 15)),
        (date(2024, 5, 20), 3, date(2024, 8, 20)),
        (date(2023, 11, 30), 3, date(2024, 2, 29)),
        (date(2025, 8, 31), 6, date(2026, 2, 28)),
        (date(2024, 1, 31), 60, date(2029, 1, 31)),
        (date(2024, 2, 29), 24, date(2026, 2, 28)),
    ],
)
async def test_a_fixed_deposit_matures_on_the_same_day_term_months_later_or_the_month_s_end(
    books: Books, opened: date, term: int, matures: date
):
    await books.open_business_date(opened)

    _, _, account = await fixed_deposit(books, term=term)

    assert account["maturityDate"] == matures.isoformat()


@pytest.mark.parametrize("term", [None, 0, 1, 7, 120, -12])
async def test_a_fixed_deposit_of_another_term_is_refused(books: Books, term: int | None):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)

    payload = await opening(books, **fixed(customer, funding, term=term))

    assert refusal(payload) == [("INVALID_TERM", ["input", "termMonths"])]
    assert await books.balance(funding) == Decimal("1000.00")


async def test_a_fixed_deposit_below_fifty_yuan_is_refused(books: Books):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)
    before = await books.entries()

    payload = await opening(books, **fixed(customer, funding, principal="49.99"))

    assert refusal(payload) == [("BELOW_MINIMUM", ["input", "principal"])]
    assert await books.balance(funding) == Decimal("1000.00")
    assert await books.entries() == before


async def test_a_fixed_deposit_of_fifty_yuan_is_accepted(books: Books):
    customer = await books.customer()
    funding = await books.account_with("50.00", customer)

    payload = await opening(books, **fixed(customer, funding, principal="50.00"))

    assert payload["errors"] == []
    assert await books.balance(funding) == Decimal("0.00")


@pytest.mark.parametrize("principal", ["100.001", "-100.00", "0"])
async def test_a_fixed_deposit_of_a_bad_amount_is_refused(books: Books, principal: str):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)

    payload = await opening(books, **fixed(customer, funding, principal=principal))

    assert refusal(payload) == [("INVALID_AMOUNT", ["input", "principal"])]
    assert await books.balance(funding) == Decimal("1000.00")


async def test_a_fixed_deposit_needs_a_principal(books: Books):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)

    payload = await opening(books, **fixed(customer, funding, principal=None))

    assert refusal(payload) == [("REQUIRED", ["input", "principal"])]


async def test_a_fixed_deposit_needs_a_funding_account(books: Books):
    customer = await books.customer()

    payload = await opening(books, **fixed(customer, None))

    assert refusal(payload) == [("REQUIRED", ["input", "fundingAccountId"])]
    assert (await customer_accounts(books, customer))["accounts"] == []


async def test_a_fixed_deposit_needs_an_idempotency_key(books: Books):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)

    payload = await opening(books, **fixed(customer, funding, key=None))

    assert refusal(payload) == [("IDEMPOTENCY_KEY_REQUIRED", ["input", "idempotencyKey"])]
    assert await books.balance(funding) == Decimal("1000.00")


async def test_a_fixed_deposit_with_a_blank_idempotency_key_is_refused(books: Books):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)

    payload = await opening(books, **fixed(customer, funding, key="  "))

    assert refusal(payload) == [("INVALID_IDEMPOTENCY_KEY", ["input", "idempotencyKey"])]
    assert await books.balance(funding) == Decimal("1000.00")


async def test_a_fixed_deposit_cannot_be_funded_from_another_customer_s_account(books: Books):
    customer = await books.customer()
    stranger = await books.account_with("1000.00")
    before = await books.entries()

    payload = await opening(books, **fixed(customer, stranger))

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "fundingAccountId"])]
    assert await books.balance(stranger) == Decimal("1000.00")
    assert await books.entries() == before
    assert (await customer_accounts(books, customer))["accounts"] == []


async def test_a_fixed_deposit_cannot_be_funded_from_an_unknown_account(books: Books):
    customer = await books.customer()

    payload = await opening(books, **fixed(customer, {"id": global_id("Account", 999_999)}))

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "fundingAccountId"])]


async def test_a_fixed_deposit_cannot_be_funded_from_another_fixed_deposit(books: Books):
    customer, _, first = await fixed_deposit(books, "1000.00")

    payload = await opening(books, **fixed(customer, first, principal="100.00", key="k-2"))

    assert refusal(payload) == [("INVALID_FUNDING_ACCOUNT", ["input", "fundingAccountId"])]
    assert await books.balance(first) == Decimal("1000.00")


async def test_the_bank_s_cash_account_cannot_fund_a_fixed_deposit(books: Books):
    customer = await books.customer()
    await books.account_with("1000.00", customer)
    cash = await cash_account(books)
    before = await books.entries()

    payload = await opening(books, **fixed(customer, cash))

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "fundingAccountId"])]
    assert await books.entries() == before


async def test_a_yuan_fixed_deposit_cannot_be_funded_from_a_dollar_account(books: Books):
    customer = await books.customer()
    dollars = await books.account_with("1000.00", customer, currency="USD")

    payload = await opening(books, **fixed(customer, dollars))

    assert refusal(payload) == [("INVALID_FUNDING_ACCOUNT", ["input", "fundingAccountId"])]
    assert await books.balance(dollars) == Decimal("1000.00")


async def test_a_fixed_deposit_beyond_the_funding_account_s_balance_is_refused(books: Books):
    customer = await books.customer()
    funding = await books.account_with("999.99", customer)
    before = await books.entries()

    payload = await opening(books, **fixed(customer, funding, principal="1000.00"))

    assert codes(payload) == ["INSUFFICIENT_FUNDS"]
    assert await books.balance(funding) == Decimal("999.99")
    assert await books.entries() == before
    assert len((await customer_accounts(books, customer))["accounts"]) == 1


async def test_an_unaffordable_fixed_deposit_names_the_principal_as_the_field_at_fault(
    books: Books,
):
    customer = await books.customer()
    funding = await books.account_with("10.00", customer)

    payload = await opening(books, **fixed(customer, funding, principal="1000.00"))

    assert refusal(payload) == [("INSUFFICIENT_FUNDS", ["input", "principal"])]


async def test_a_fixed_deposit_cannot_take_money_held_on_the_funding_account(books: Books):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)
    await books.freeze(funding, "PARTIAL", "500.00")

    payload = await opening(books, **fixed(customer, funding, principal="600.00"))

    assert codes(payload) == ["INSUFFICIENT_FUNDS"]
    assert await books.balance(funding) == Decimal("1000.00")


async def test_a_fixed_deposit_cannot_be_funded_from_a_frozen_account(books: Books):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)
    await books.freeze(funding, "DEBIT")

    payload = await opening(books, **fixed(customer, funding))

    assert refusal(payload) == [("ACCOUNT_FROZEN", ["input", "fundingAccountId"])]
    assert await books.balance(funding) == Decimal("1000.00")


async def test_a_fixed_deposit_in_a_currency_without_a_fixed_product_is_refused(books: Books):
    customer = await books.customer()
    dollars = await books.account_with("1000.00", customer, currency="USD")

    payload = await opening(books, **fixed(customer, dollars, currency="USD"))

    assert refusal(payload) == [("PRODUCT_NOT_FOUND", ["input", "productCode"])]
    assert await books.balance(dollars) == Decimal("1000.00")


async def test_a_fixed_deposit_opened_again_with_its_key_is_opened_once(books: Books):
    customer = await books.customer()
    funding = await books.account_with("3000.00", customer)
    first = await opening(books, **fixed(customer, funding, key="fd-once"))
    before = await books.entries()

    again = await opening(books, **fixed(customer, funding, key="fd-once"))

    assert again["errors"] == []
    assert again["account"]["id"] == first["account"]["id"]
    assert again["account"]["balance"] == {"amount": "1000.00", "currency": "CNY"}
    assert await books.balance(funding) == Decimal("2000.00")
    assert await books.entries() == before
    assert len((await customer_accounts(books, customer))["accounts"]) == 2


async def test_a_fixed_deposit_replayed_after_its_funds_were_spent_returns_the_first(
    books: Books,
):
    customer = await books.customer()
    funding = await books.account_with("1000.00", customer)
    first = await opening(books, **fixed(customer, funding, key="fd-spent"))

    again = await opening(books, **fixed(customer, funding, key="fd-spent"))

    assert again["errors"] == []
    assert again["account"]["id"] == first["account"]["id"]
    assert await books.balance(funding) == Decimal("0.00")


async def test_a_fixed_deposit_key_reused_for_another_principal_is_refused(books: Books):
    customer = await books.customer()
    funding = await books.account_with("3000.00", customer)
    await opening(books, **fixed(customer, funding, key="fd-reuse"))

    payload = await opening(books, **fixed(customer, funding, principal="2000.00", key="fd-reuse"))

    assert refusal(payload) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert await books.balance(funding) == Decimal("2000.00")


# ---------------------------------------------------------------- closing


async def test_an_empty_demand_account_closes_without_a_settlement_account(books: Books):
    account = await books.open(await books.customer())
    before = await books.entries()

    payload = await closing(books, account)

    assert payload["errors"] == []
    assert payload["account"]["id"] == account["id"]
    assert payload["account"]["status"] == "CLOSED"
    assert payload["account"]["balance"] == {"amount": "0.00", "currency": "CNY"}
    assert await books.entries() == before


async def test_closing_pays_what_is_left_to_the_settlement_account_in_one_entry(books: Books):
    customer = await books.customer()
    account = await books.account_with("250.75", customer)
    settlement = await books.account_with("10.00", customer)
    before = await books.entries()

    payload = await closing(books, account, settlement)

    assert payload["errors"] == []
    assert payload["account"]["status"] == "CLOSED"
    assert payload["account"]["balance"] == {"amount": "0.00", "currency": "CNY"}
    assert await books.balance(settlement) == Decimal("260.75")
    assert await books.entries() == before + 1
    assert (await books.ledger()).ok
    admin = await books.bank.sign_in("admin")
    history = await admin.data(HISTORY, {"id": account["id"]})
    assert history["account"]["transactions"]["edges"][0]["node"] == {
        "kind": "CLOSING",
        "direction": "DEBIT",
        "amount": {"amount": "250.75"},
    }


async def test_an_account_with_money_needs_a_settlement_account(books: Books):
    account = await books.account_with("10.00")
    before = await books.entries()

    payload = await closing(books, account)

    assert refusal(payload) == [("SETTLEMENT_ACCOUNT_REQUIRED", ["input", "settlementAccountId"])]
    assert (await books.row(account)).status.value == "ACTIVE"
    assert await books.balance(account) == Decimal("10.00")
    assert await books.entries() == before


async def test_the_settlement_account_must_be_the_same_customer_s(books: Books):
    account = await books.account_with("10.00")
    stranger = await books.account_with("0")

    payload = await closing(books, account, stranger)

    assert refusal(payload) == [("INVALID_SETTLEMENT_ACCOUNT", ["input", "settlementAccountId"])]
    assert await books.balance(account) == Decimal("10.00")
    assert await books.balance(stranger) == Decimal("0.00")


async def test_an_account_cannot_settle_into_itself(books: Books):
    account = await books.account_with("10.00")

    payload = await closing(books, account, account)

    assert refusal(payload) == [("INVALID_SETTLEMENT_ACCOUNT", ["input", "settlementAccountId"])]
    assert (await books.row(account)).status.value == "ACTIVE"


async def test_the_settlement_account_must_hold_the_same_currency(books: Books):
    customer = await books.customer()
    account = await books.account_with("10.00", customer)
    dollars = await books.account_with("0", customer, currency="USD")

    payload = await closing(books, account, dollars)

    assert refusal(payload) == [("CURRENCY_MISMATCH", ["input", "settlementAccountId"])]
    assert await books.balance(account) == Decimal("10.00")


async def test_the_settlement_account_must_take_credits(books: Books):
    customer = await books.customer()
    account = await books.account_with("10.00", customer)
    settlement = await books.open(customer)
    await books.freeze(settlement, "FULL")

    payload = await closing(books, account, settlement)

    assert refusal(payload) == [("ACCOUNT_FROZEN", ["input", "settlementAccountId"])]
    assert await books.balance(account) == Decimal("10.00")


@pytest.mark.parametrize(("mode", "amount"), [("FULL", None), ("DEBIT", None), ("PARTIAL", "1.00")])
async def test_an_account_with_an_active_freeze_cannot_close(
    books: Books, mode: str, amount: str | None
):
    customer = await books.customer()
    account = await books.account_with("10.00", customer)
    settlement = await books.open(customer)
    await books.freeze(account, mode, amount)
    before = await books.entries()

    payload = await closing(books, account, settlement)

    assert refusal(payload) == [("ACCOUNT_FROZEN", ["input", "accountId"])]
    assert await books.balance(account) == Decimal("10.00")
    assert await books.entries() == before


async def test_an_account_whose_freeze_was_released_closes(books: Books):
    account = await books.open(await books.customer())
    held = await books.freeze(account, "FULL")
    admin = await books.bank.sign_in("admin")
    await admin.data(
        "mutation($input: UnfreezeAccountInput!) { unfreezeAccount(input: $input) "
        "{ errors { code } } }",
        {"input": {"freezeId": held["id"], "reason": "解除"}},
    )

    payload = await closing(books, account)

    assert payload["errors"] == []
    assert payload["account"]["status"] == "CLOSED"


async def test_closing_a_closed_account_returns_it_unchanged_and_moves_nothing(books: Books):
    customer = await books.customer()
    account = await books.account_with("40.00", customer)
    settlement = await books.open(customer)
    first = await closing(books, account, settlement)
    before = await books.entries()

    again = await closing(books, account, settlement)

    assert again["errors"] == []
    assert again["account"] == first["account"]
    assert await books.balance(settlement) == Decimal("40.00")
    assert await books.entries() == before


async def test_an_unknown_account_cannot_be_closed(books: Books):
    payload = await closing(books, {"id": global_id("Account", 999_999)})

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]


async def test_a_teller_cannot_close_an_account_of_another_branch(books: Books):
    account = await books.open(await books.customer(branchCode=SH))

    payload = await closing(books, account, by="bj.teller")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert (await books.row(account)).status.value == "ACTIVE"


async def test_a_relationship_manager_cannot_close_an_account_outside_his_portfolio(
    books: Books,
):
    customer = await books.customer()
    account = await books.account_with("10.00", customer)
    settlement = await books.open(customer)

    payload = await closing(books, account, settlement, by="bj.rm")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert await books.balance(account) == Decimal("10.00")


async def test_a_relationship_manager_closes_an_account_in_his_portfolio(books: Books):
    customer = await books.customer()
    await books.bank.assign(customer, "bj.rm")
    account = await books.account_with("10.00", customer)
    settlement = await books.open(customer)

    payload = await closing(books, account, settlement, by="bj.rm")

    assert payload["errors"] == []
    assert await books.balance(settlement) == Decimal("10.00")


async def test_a_settlement_account_out_of_scope_is_refused_like_an_unknown_one(
    books: Books,
):
    account = await books.account_with("10.00")
    shanghai = await books.open(await books.customer(branchCode=SH))

    out_of_scope = await closing(books, account, shanghai, by="bj.manager")
    unknown = await closing(books, account, {"id": global_id("Account", 999_999)}, by="bj.manager")

    assert refusal(out_of_scope) == [("ACCOUNT_NOT_FOUND", ["input", "settlementAccountId"])]
    assert refusal(out_of_scope) == refusal(unknown)
    assert await books.balance(account) == Decimal("10.00")
    assert await books.balance(shanghai) == Decimal("0.00")


async def test_the_bank_s_cash_account_can_neither_be_closed_nor_receive_a_settlement(
    books: Books,
):
    account = await books.account_with("10.00")
    cash = await cash_account(books)
    before = await books.entries()

    closed = await closing(books, cash)
    settled = await closing(books, account, cash)

    assert refusal(closed) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert codes(settled) != []
    assert refusal(settled) == refusal(
        await closing(books, account, {"id": global_id("Account", 999_999)})
    )
    assert await books.balance(account) == Decimal("10.00")
    assert await books.entries() == before


async def test_closing_a_demand_account_pays_its_accrued_interest_first(books: Books):
    await books.open_business_date(date(2024, 1, 10))
    customer = await books.customer()
    account = await books.account_with("36000.00", customer)
    settlement = await books.open(customer)
    await books.close_days(date(2024, 1, 11))

    payload = await closing(books, account, settlement)

    assert payload["errors"] == []
    # 36,000.00 × 0.05 % / 360 for one day = 0.05
    assert await books.balance(settlement) == Decimal("36000.05")
    assert (await books.ledger()).ok


async def test_a_fixed_deposit_closed_early_pays_its_funding_account_by_default(
    books: Books,
):
    await books.open_business_date(date(2024, 1, 10))
    _, funding, deposit = await fixed_deposit(books, "36000.00")
    await books.open_business_date(date(2024, 4, 19))

    payload = await closing(books, deposit)

    assert payload["errors"] == []
    assert payload["account"]["status"] == "CLOSED"
    assert payload["account"]["balance"] == {"amount": "0.00", "currency": "CNY"}
    # 100 days at the demand rate: 36,000.00 × 0.05 % × 100 / 360 = 5.00
    assert await books.balance(funding) == Decimal("36005.00")
    assert (await books.ledger()).ok


async def test_a_fixed_deposit_closed_the_day_it_opened_returns_its_principal(books: Books):
    _, funding, deposit = await fixed_deposit(books, "800.00", funds="1000.00")

    payload = await closing(books, deposit)

    assert payload["errors"] == []
    assert await books.balance(funding) == Decimal("1000.00")


async def test_a_fixed_deposit_may_be_closed_to_another_account_of_its_customer(
    books: Books,
):
    customer, funding, deposit = await fixed_deposit(books, "500.00")
    other = await books.open(customer)

    payload = await closing(books, deposit, other)

    assert payload["errors"] == []
    assert await books.balance(other) == Decimal("500.00")
    assert await books.balance(funding) == Decimal("0.00")


async def test_a_fixed_deposit_closed_at_maturity_earns_its_own_rate(books: Books):
    await books.open_business_date(date(2024, 1, 10))
    _, funding, deposit = await fixed_deposit(books, "10000.00", term=12)
    await books.open_business_date(date(2025, 1, 10))

    payload = await closing(books, deposit)

    assert payload["errors"] == []
    # 10,000.00 × 0.95 % × 12 / 12 = 95.00
    assert await books.balance(funding) == Decimal("10095.00")


# ---------------------------------------------------------------- products and rates


async def test_the_deposit_products_list_the_standard_products_and_their_rates(books: Books):
    caller = await books.bank.sign_in("bj.teller")

    body = await caller.data(PRODUCTS)

    products = {product["code"]: product for product in body["depositProducts"]}
    assert set(products) == {"DEMAND-CNY", "DEMAND-USD", "FIXED-CNY"}
    assert products["DEMAND-USD"]["kind"] == "DEMAND"
    assert products["DEMAND-USD"]["currency"] == "USD"
    assert products["FIXED-CNY"]["kind"] == "FIXED"
    assert all(product["standard"] for product in products.values())
    assert {
        rate["termMonths"]: Decimal(rate["annualRate"]) for rate in products["FIXED-CNY"]["rates"]
    } == {term: Decimal(rate) for term, rate in FIXED_RATES.items()}
    assert [
        (rate["termMonths"], Decimal(rate["annualRate"]))
        for rate in products["DEMAND-CNY"]["rates"]
    ] == [(0, Decimal("0.05"))]


async def test_the_deposit_products_need_signing_in(books: Books):
    body = await books.bank.client.execute(PRODUCTS)

    assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_a_new_fixed_rate_applies_to_new_fixed_deposits_only(books: Books):
    _, _, before = await fixed_deposit(books, term=12)

    payload = await set_rate(books, productCode="FIXED-CNY", termMonths=12, annualRate="1.5")
    _, _, after = await fixed_deposit(books, term=12)

    assert payload["errors"] == []
    assert payload["accountsRepriced"] == 0
    rates = {r["termMonths"]: Decimal(r["annualRate"]) for r in payload["product"]["rates"]}
    assert rates[12] == Decimal("1.5")
    assert rates[24] == Decimal("1.05")
    assert Decimal(after["annualInterestRate"]) == Decimal("1.5")
    assert (await books.row(before)).annual_rate == Decimal("0.95")


async def test_a_new_demand_rate_applies_to_open_demand_accounts(books: Books):
    customer = await books.customer()
    first = await books.open(customer)
    second = await books.account_with("10.00", customer)
    dollars = await books.open(customer, currency="USD")
    _, _, fixed_account = await fixed_deposit(books, term=6)

    payload = await set_rate(books, productCode="demand-cny", termMonths=0, annualRate="0.1")
    newcomer = await books.open(customer)

    assert payload["errors"] == []
    assert payload["product"]["code"] == "DEMAND-CNY"
    # the two above and the fixed deposit's funding account
    assert payload["accountsRepriced"] == 3
    assert (await books.row(first)).annual_rate == Decimal("0.1")
    assert (await books.row(second)).annual_rate == Decimal("0.1")
    assert Decimal(newcomer["annualInterestRate"]) == Decimal("0.1")
    assert (await books.row(dollars)).annual_rate == Decimal("0.05")
    assert (await books.row(fixed_account)).annual_rate == Decimal("0.85")


async def test_a_new_demand_rate_leaves_closed_accounts_alone(books: Books):
    closed = await books.open(await books.customer())
    await closing(books, closed)

    payload = await set_rate(books, productCode="DEMAND-CNY", annualRate="0.2")

    assert payload["accountsRepriced"] == 0
    assert (await books.row(closed)).annual_rate == Decimal("0.05")


@pytest.mark.parametrize("username", ["bj.manager", "bj.teller", "auditor", "marketing"])
async def test_only_an_administrator_may_change_a_rate(books: Books, username: str):
    caller = await books.bank.sign_in(username)

    body = await caller.execute(
        SET_RATE, {"input": {"productCode": "FIXED-CNY", "termMonths": 12, "annualRate": "9"}}
    )
    products = await caller.data(PRODUCTS)

    assert error_codes(body) == ["FORBIDDEN"]
    fixed_rates = next(p for p in products["depositProducts"] if p["code"] == "FIXED-CNY")
    assert Decimal(
        next(r for r in fixed_rates["rates"] if r["termMonths"] == 12)["annualRate"]
    ) == (Decimal("0.95"))


async def test_a_rate_for_an_unknown_product_is_refused(books: Books):
    payload = await set_rate(books, productCode="NOPE", annualRate="1")

    assert refusal(payload) == [("PRODUCT_NOT_FOUND", ["input", "productCode"])]


async def test_a_rate_for_a_term_the_product_lacks_is_refused(books: Books):
    payload = await set_rate(books, productCode="FIXED-CNY", termMonths=7, annualRate="1")

    assert refusal(payload) == [("INVALID_TERM", ["input", "termMonths"])]


@pytest.mark.parametrize("rate", ["-0.01", "100.01", "1.00001", "NaN"])
async def test_a_rate_out_of_bounds_or_too_precise_is_refused(books: Books, rate: str):
    payload = await set_rate(books, productCode="DEMAND-CNY", annualRate=rate)
    account = await books.open(await books.customer())

    assert refusal(payload) == [("INVALID_RATE", ["input", "annualRate"])]
    assert Decimal(account["annualInterestRate"]) == Decimal("0.05")
