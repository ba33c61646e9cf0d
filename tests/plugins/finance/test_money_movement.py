"""Deposits, withdrawals and transfers through the API.

Every refusal comes back in the payload's ``errors`` with a stable code and
the input field at fault, and posts nothing: no journal entry, no balance moved.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.finance.models import Account, InternalAccount
from tests.plugins.customer.conftest import SH, error_codes, global_id
from tests.plugins.finance.conftest import (
    CLOSE_ACCOUNT,
    DEPOSIT,
    TRANSFER,
    WITHDRAW,
    Books,
    codes,
)

HISTORY = """
query($id: ID!) {
  account(id: $id) {
    transactions { edges { node { kind direction amount { amount } memo } } }
  }
}
"""


def refusal(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    """The payload's errors as (code, field)."""
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def close(
    books: Books, account: dict[str, Any], settlement: dict[str, Any] | None = None
) -> None:
    admin = await books.bank.sign_in("admin")
    body = await admin.data(
        CLOSE_ACCOUNT,
        {
            "input": {
                "accountId": account["id"],
                "settlementAccountId": settlement["id"] if settlement else None,
            }
        },
    )
    assert body["closeAccount"]["errors"] == [], body["closeAccount"]["errors"]


async def fixed_deposit(books: Books, principal: str = "1000.00") -> dict[str, Any]:
    """A 12-month fixed deposit of ``principal``, funded from a new customer's demand account."""
    customer = await books.customer()
    funding = await books.account_with(principal, customer)
    return await books.open(
        customer,
        kind="FIXED",
        termMonths=12,
        principal=principal,
        fundingAccountId=funding["id"],
        idempotencyKey=books.key(),
    )


async def internal_account(books: Books, code: InternalAccount) -> dict[str, Any]:
    """The bank's own ``code`` account in CNY (it exists once cash has moved)."""
    async with books.runtime.database.transaction(Mode.READ) as session:
        found = await session.scalar(
            select(Account.id).where(Account.internal == code, Account.currency == "CNY")
        )
    assert found is not None
    return {"id": global_id("Account", found)}


# ---------------------------------------------------------------- what moves money


async def test_a_deposit_credits_the_account_against_the_bank_s_cash(books: Books):
    account = await books.open(await books.customer())

    payload = await books.deposit(account, "1234.56", memo="开户存入")

    assert payload["errors"] == []
    assert payload["transaction"]["kind"] == "DEPOSIT"
    assert payload["transaction"]["direction"] == "CREDIT"
    assert payload["transaction"]["amount"] == {"amount": "1234.56", "currency": "CNY"}
    assert payload["transaction"]["balanceAfter"] == {"amount": "1234.56"}
    assert payload["transaction"]["memo"] == "开户存入"
    assert payload["account"]["balance"] == {"amount": "1234.56"}
    assert (await books.ledger()).ok


async def test_a_withdrawal_debits_the_account_against_the_bank_s_cash(books: Books):
    account = await books.account_with("100.00")
    before = await books.entries()

    payload = await books.withdraw(account, "30.50")

    assert payload["errors"] == []
    assert payload["transaction"]["kind"] == "WITHDRAWAL"
    assert payload["transaction"]["direction"] == "DEBIT"
    assert payload["transaction"]["amount"] == {"amount": "30.50", "currency": "CNY"}
    assert payload["transaction"]["balanceAfter"] == {"amount": "69.50"}
    assert payload["account"]["balance"] == {"amount": "69.50"}
    assert payload["account"]["availableBalance"] == {"amount": "69.50"}
    assert await books.entries() == before + 1
    assert (await books.ledger()).ok


async def test_a_withdrawal_may_take_the_whole_available_balance(books: Books):
    account = await books.account_with("10.00")

    payload = await books.withdraw(account, "10.00")

    assert payload["errors"] == []
    assert payload["account"]["balance"] == {"amount": "0.00"}


async def test_a_transfer_moves_money_between_two_accounts(books: Books):
    source = await books.account_with("100.00")
    target = await books.account_with("0")

    payload = await books.transfer(source, target, "40.25", memo="房租")

    assert payload["errors"] == []
    assert payload["transfer"]["amount"] == {"amount": "40.25", "currency": "CNY"}
    assert payload["transfer"]["fromAccount"]["id"] == source["id"]
    assert payload["transfer"]["toAccount"]["id"] == target["id"]
    assert await books.balance(source) == Decimal("59.75")
    assert await books.balance(target) == Decimal("40.25")
    assert (await books.ledger()).ok


async def test_a_transfer_is_one_entry_seen_as_out_on_the_source_and_in_on_the_target(
    books: Books,
):
    source = await books.account_with("100.00")
    target = await books.account_with("0")
    before = await books.entries()

    await books.transfer(source, target, "12.00", memo="还款")

    admin = await books.bank.sign_in("admin")
    out = await admin.data(HISTORY, {"id": source["id"]})
    into = await admin.data(HISTORY, {"id": target["id"]})
    assert out["account"]["transactions"]["edges"][0]["node"] == {
        "kind": "TRANSFER_OUT",
        "direction": "DEBIT",
        "amount": {"amount": "12.00"},
        "memo": "还款",
    }
    assert into["account"]["transactions"]["edges"][0]["node"] == {
        "kind": "TRANSFER_IN",
        "direction": "CREDIT",
        "amount": {"amount": "12.00"},
        "memo": "还款",
    }
    assert await books.entries() == before + 1


async def test_the_largest_amount_a_movement_takes_is_a_trillion(books: Books):
    account = await books.open(await books.customer())

    payload = await books.deposit(account, "1000000000000.00")

    assert payload["errors"] == []
    assert payload["account"]["balance"] == {"amount": "1000000000000.00"}
    assert (await books.ledger()).ok


@pytest.mark.parametrize("teller", ["bj.teller", "bj.manager"])
async def test_branch_staff_move_money_of_their_branch_s_customers(books: Books, teller: str):
    source = await books.account_with("50.00")
    target = await books.account_with("0")

    deposited = await books.deposit(source, "10.00", by=teller)
    withdrawn = await books.withdraw(source, "5.00", by=teller)
    moved = await books.transfer(source, target, "15.00", by=teller)

    assert deposited["errors"] == withdrawn["errors"] == moved["errors"] == []
    assert await books.balance(source) == Decimal("40.00")
    assert await books.balance(target) == Decimal("15.00")


async def test_a_teller_reaches_a_customer_of_another_branch_shared_with_him(books: Books):
    shanghai = await books.customer(branchCode=SH)
    account = await books.open(shanghai)
    await books.bank.share(shanghai, "bj.teller")

    payload = await books.deposit(account, "8.00", by="bj.teller")

    assert payload["errors"] == []
    assert await books.balance(account) == Decimal("8.00")


# ---------------------------------------------------------------- accounts out of reach


async def test_a_deposit_to_an_unknown_account_is_refused_as_not_found(books: Books):
    before = await books.entries()

    payload = await books.deposit({"id": global_id("Account", 999_999)}, "10.00")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert payload["transaction"] is None
    assert await books.entries() == before


async def test_a_withdrawal_from_an_unknown_account_is_refused_as_not_found(books: Books):
    before = await books.entries()

    payload = await books.withdraw({"id": global_id("Account", 999_999)}, "10.00")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert await books.entries() == before


async def test_an_id_of_another_type_is_refused_as_an_unknown_account(books: Books):
    customer = await books.customer()
    account = await books.account_with("10.00", customer)
    before = await books.entries()

    payload = await books.deposit(customer, "10.00")
    transfer = await books.transfer(account, customer, "1.00")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert refusal(transfer) == [("ACCOUNT_NOT_FOUND", ["input", "toAccountId"])]
    assert await books.entries() == before
    assert await books.balance(account) == Decimal("10.00")


async def test_a_teller_cannot_reach_an_account_of_another_branch(books: Books):
    account = await books.account_with("100.00", await books.customer(branchCode=SH))
    before = await books.entries()

    deposited = await books.deposit(account, "10.00", by="bj.teller")
    withdrawn = await books.withdraw(account, "10.00", by="bj.teller")

    assert refusal(deposited) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert refusal(withdrawn) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert await books.balance(account) == Decimal("100.00")
    assert await books.entries() == before


async def test_a_teller_cannot_transfer_out_of_another_branch_s_account(books: Books):
    shanghai = await books.account_with("100.00", await books.customer(branchCode=SH))
    beijing = await books.account_with("0")
    before = await books.entries()

    payload = await books.transfer(shanghai, beijing, "10.00", by="bj.teller")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "fromAccountId"])]
    assert await books.balance(shanghai) == Decimal("100.00")
    assert await books.balance(beijing) == Decimal("0.00")
    assert await books.entries() == before


async def test_a_teller_cannot_transfer_into_another_branch_s_account(books: Books):
    beijing = await books.account_with("100.00")
    shanghai = await books.account_with("0", await books.customer(branchCode=SH))
    before = await books.entries()

    payload = await books.transfer(beijing, shanghai, "10.00", by="bj.teller")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "toAccountId"])]
    assert await books.balance(beijing) == Decimal("100.00")
    assert await books.balance(shanghai) == Decimal("0.00")
    assert await books.entries() == before


async def test_the_bank_s_own_cash_account_cannot_be_debited_or_credited(books: Books):
    customer_account = await books.account_with("100.00")
    cash = await internal_account(books, InternalAccount.CASH)
    before = await books.entries()

    deposited = await books.deposit(cash, "10.00")
    withdrawn = await books.withdraw(cash, "10.00")
    drained = await books.transfer(cash, customer_account, "10.00")
    filled = await books.transfer(customer_account, cash, "10.00")

    assert refusal(deposited) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert refusal(withdrawn) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert refusal(drained) == [("ACCOUNT_NOT_FOUND", ["input", "fromAccountId"])]
    assert refusal(filled) == [("ACCOUNT_NOT_FOUND", ["input", "toAccountId"])]
    assert await books.balance(customer_account) == Decimal("100.00")
    assert await books.entries() == before


async def test_the_bank_s_own_accounts_cannot_be_read(books: Books):
    await books.account_with("100.00")
    cash = await internal_account(books, InternalAccount.CASH)
    admin = await books.bank.sign_in("admin")

    body = await admin.data(
        "query($id: ID!) { account(id: $id) { id } node(id: $id) { id } }", {"id": cash["id"]}
    )

    assert body == {"account": None, "node": None}


# ---------------------------------------------------------------- closed, fixed, frozen


async def test_a_closed_account_takes_no_deposit(books: Books):
    account = await books.open(await books.customer())
    await close(books, account)
    before = await books.entries()

    payload = await books.deposit(account, "10.00")

    assert refusal(payload) == [("ACCOUNT_CLOSED", ["input", "accountId"])]
    assert await books.balance(account) == Decimal("0.00")
    assert await books.entries() == before


async def test_a_closed_account_pays_no_withdrawal(books: Books):
    account = await books.open(await books.customer())
    await close(books, account)

    payload = await books.withdraw(account, "10.00")

    assert refusal(payload) == [("ACCOUNT_CLOSED", ["input", "accountId"])]


async def test_a_closed_account_neither_sends_nor_receives_transfers(books: Books):
    closed = await books.open(await books.customer())
    await close(books, closed)
    other = await books.account_with("50.00")
    before = await books.entries()

    out = await books.transfer(closed, other, "1.00")
    into = await books.transfer(other, closed, "1.00")

    assert refusal(out) == [("ACCOUNT_CLOSED", ["input", "fromAccountId"])]
    assert refusal(into) == [("ACCOUNT_CLOSED", ["input", "toAccountId"])]
    assert await books.balance(other) == Decimal("50.00")
    assert await books.entries() == before


async def test_a_fixed_deposit_takes_no_cash_in_or_out(books: Books):
    fixed = await fixed_deposit(books, "1000.00")
    before = await books.entries()

    deposited = await books.deposit(fixed, "10.00")
    withdrawn = await books.withdraw(fixed, "10.00")

    assert refusal(deposited) == [("FIXED_TERM_ACCOUNT", ["input", "accountId"])]
    assert refusal(withdrawn) == [("FIXED_TERM_ACCOUNT", ["input", "accountId"])]
    assert await books.balance(fixed) == Decimal("1000.00")
    assert await books.entries() == before


async def test_a_fixed_deposit_neither_sends_nor_receives_transfers(books: Books):
    fixed = await fixed_deposit(books, "1000.00")
    other = await books.account_with("50.00")
    before = await books.entries()

    out = await books.transfer(fixed, other, "10.00")
    into = await books.transfer(other, fixed, "10.00")

    assert refusal(out) == [("FIXED_TERM_ACCOUNT", ["input", "fromAccountId"])]
    assert refusal(into) == [("FIXED_TERM_ACCOUNT", ["input", "toAccountId"])]
    assert await books.balance(fixed) == Decimal("1000.00")
    assert await books.balance(other) == Decimal("50.00")
    assert await books.entries() == before


@pytest.mark.parametrize("mode", ["FULL", "DEBIT"])
async def test_a_full_or_debit_freeze_refuses_withdrawals(books: Books, mode: str):
    account = await books.account_with("100.00")
    await books.freeze(account, mode)
    before = await books.entries()

    payload = await books.withdraw(account, "1.00")

    assert refusal(payload) == [("ACCOUNT_FROZEN", ["input", "accountId"])]
    assert await books.balance(account) == Decimal("100.00")
    assert await books.entries() == before


@pytest.mark.parametrize("mode", ["FULL", "DEBIT"])
async def test_a_full_or_debit_freeze_refuses_transfers_out(books: Books, mode: str):
    account = await books.account_with("100.00")
    target = await books.account_with("0")
    await books.freeze(account, mode)
    before = await books.entries()

    payload = await books.transfer(account, target, "1.00")

    assert refusal(payload) == [("ACCOUNT_FROZEN", ["input", "fromAccountId"])]
    assert await books.balance(account) == Decimal("100.00")
    assert await books.balance(target) == Decimal("0.00")
    assert await books.entries() == before


async def test_a_full_freeze_refuses_deposits(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "FULL")
    before = await books.entries()

    payload = await books.deposit(account, "1.00")

    assert refusal(payload) == [("ACCOUNT_FROZEN", ["input", "accountId"])]
    assert await books.balance(account) == Decimal("100.00")
    assert await books.entries() == before


async def test_a_full_freeze_refuses_transfers_in(books: Books):
    source = await books.account_with("100.00")
    account = await books.account_with("0")
    await books.freeze(account, "FULL")
    before = await books.entries()

    payload = await books.transfer(source, account, "1.00")

    assert refusal(payload) == [("ACCOUNT_FROZEN", ["input", "toAccountId"])]
    assert await books.balance(source) == Decimal("100.00")
    assert await books.entries() == before


async def test_a_debit_freeze_still_takes_deposits(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "DEBIT")

    payload = await books.deposit(account, "25.00")

    assert payload["errors"] == []
    assert await books.balance(account) == Decimal("125.00")


async def test_a_debit_freeze_still_takes_transfers_in(books: Books):
    source = await books.account_with("100.00")
    account = await books.account_with("0")
    await books.freeze(account, "DEBIT")

    payload = await books.transfer(source, account, "25.00")

    assert payload["errors"] == []
    assert await books.balance(account) == Decimal("25.00")


# ---------------------------------------------------------------- insufficient funds


async def test_a_withdrawal_beyond_the_available_balance_is_refused_and_moves_nothing(
    books: Books,
):
    account = await books.account_with("10.00")

    payload = await books.withdraw(account, "10.01")

    assert codes(payload) == ["INSUFFICIENT_FUNDS"]
    assert payload["errors"][0]["field"] == ["input", "amount"]
    assert await books.balance(account) == Decimal("10.00")


async def test_a_transfer_beyond_the_available_balance_is_refused_and_moves_nothing(
    books: Books,
):
    source = await books.account_with("10.00")
    target = await books.account_with("0")
    before = await books.entries()

    payload = await books.transfer(source, target, "10.01")

    assert refusal(payload) == [("INSUFFICIENT_FUNDS", ["input", "amount"])]
    assert await books.balance(source) == Decimal("10.00")
    assert await books.balance(target) == Decimal("0.00")
    assert await books.entries() == before


async def test_a_partial_hold_reduces_what_a_withdrawal_may_take(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "PARTIAL", "60.00")
    before = await books.entries()

    refused = await books.withdraw(account, "40.01")

    assert refusal(refused) == [("INSUFFICIENT_FUNDS", ["input", "amount"])]
    assert await books.balance(account) == Decimal("100.00")
    assert await books.entries() == before
    allowed = await books.withdraw(account, "40.00")
    assert allowed["errors"] == []
    assert allowed["account"]["availableBalance"] == {"amount": "0.00"}


async def test_a_partial_hold_reduces_what_a_transfer_may_take(books: Books):
    source = await books.account_with("100.00")
    target = await books.account_with("0")
    await books.freeze(source, "PARTIAL", "99.99")

    refused = await books.transfer(source, target, "0.02")

    assert refusal(refused) == [("INSUFFICIENT_FUNDS", ["input", "amount"])]
    assert await books.balance(source) == Decimal("100.00")


# ---------------------------------------------------------------- bad amounts

BAD_AMOUNTS = ["0", "0.00", "-5.00", "-0.01", "10.001", "0.001", "1000000000000.01", "NaN"]


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
async def test_a_deposit_of_a_bad_amount_is_refused(books: Books, amount: str):
    account = await books.account_with("10.00")
    before = await books.entries()

    payload = await books.deposit(account, amount)

    assert refusal(payload) == [("INVALID_AMOUNT", ["input", "amount"])]
    assert await books.balance(account) == Decimal("10.00")
    assert await books.entries() == before


@pytest.mark.parametrize("amount", ["0", "-5.00", "5.001"])
async def test_a_withdrawal_of_a_bad_amount_is_refused(books: Books, amount: str):
    account = await books.account_with("10.00")

    payload = await books.withdraw(account, amount)

    assert refusal(payload) == [("INVALID_AMOUNT", ["input", "amount"])]
    assert await books.balance(account) == Decimal("10.00")


@pytest.mark.parametrize("amount", ["0", "-5.00", "5.001"])
async def test_a_transfer_of_a_bad_amount_is_refused(books: Books, amount: str):
    source = await books.account_with("10.00")
    target = await books.account_with("10.00")

    payload = await books.transfer(source, target, amount)

    assert refusal(payload) == [("INVALID_AMOUNT", ["input", "amount"])]
    assert await books.balance(source) == Decimal("10.00")
    assert await books.balance(target) == Decimal("10.00")


@pytest.mark.parametrize("amount", ["1E+30", "1" + "0" * 30])
async def test_an_absurdly_large_amount_is_refused_as_invalid(books: Books, amount: str):
    account = await books.account_with("10.00")
    admin = await books.bank.sign_in("admin")

    body = await admin.execute(
        DEPOSIT,
        {"input": {"accountId": account["id"], "amount": amount, "idempotencyKey": books.key()}},
    )

    assert "errors" not in body, body["errors"]
    assert refusal(body["data"]["deposit"]) == [("INVALID_AMOUNT", ["input", "amount"])]
    assert await books.balance(account) == Decimal("10.00")


# ---------------------------------------------------------------- transfers' own rules


async def test_a_transfer_between_currencies_is_refused(books: Books):
    customer = await books.customer()
    yuan = await books.account_with("100.00", customer)
    dollars = await books.account_with("100.00", customer, currency="USD")
    before = await books.entries()

    payload = await books.transfer(yuan, dollars, "10.00")

    assert refusal(payload) == [("CURRENCY_MISMATCH", ["input", "toAccountId"])]
    assert await books.balance(yuan) == Decimal("100.00")
    assert await books.balance(dollars) == Decimal("100.00")
    assert await books.entries() == before


async def test_a_transfer_between_two_dollar_accounts_moves_dollars(books: Books):
    source = await books.account_with("100.00", currency="USD")
    target = await books.account_with("0", currency="USD")

    payload = await books.transfer(source, target, "30.00")

    assert payload["errors"] == []
    assert payload["transfer"]["amount"] == {"amount": "30.00", "currency": "USD"}
    assert await books.balance(target) == Decimal("30.00")


async def test_a_transfer_to_the_same_account_is_refused(books: Books):
    account = await books.account_with("100.00")
    before = await books.entries()

    payload = await books.transfer(account, account, "10.00")

    assert refusal(payload) == [("SAME_ACCOUNT", ["input", "toAccountId"])]
    assert await books.balance(account) == Decimal("100.00")
    assert await books.entries() == before


# ---------------------------------------------------------------- idempotency keys


@pytest.mark.parametrize(
    "key",
    ["", "   ", "k" * 101, "key\x1bzero", "line\nbreak", "tab\there", "bell\x07"],
    ids=["empty", "blank", "101-chars", "escape", "newline", "tab", "bell"],
)
async def test_a_bad_idempotency_key_is_refused(books: Books, key: str):
    account = await books.account_with("10.00")
    before = await books.entries()

    payload = await books.deposit(account, "1.00", idempotencyKey=key)

    assert refusal(payload) == [("INVALID_IDEMPOTENCY_KEY", ["input", "idempotencyKey"])]
    assert await books.balance(account) == Decimal("10.00")
    assert await books.entries() == before


async def test_a_bad_idempotency_key_is_refused_for_a_transfer(books: Books):
    source = await books.account_with("10.00")
    target = await books.account_with("0")

    payload = await books.transfer(source, target, "1.00", idempotencyKey="")

    assert refusal(payload) == [("INVALID_IDEMPOTENCY_KEY", ["input", "idempotencyKey"])]
    assert await books.balance(source) == Decimal("10.00")


async def test_an_idempotency_key_of_100_characters_is_accepted(books: Books):
    account = await books.account_with("0")

    payload = await books.deposit(account, "1.00", idempotencyKey="k" * 100)

    assert payload["errors"] == []
    assert await books.balance(account) == Decimal("1.00")


async def test_the_same_key_and_input_move_money_once(books: Books):
    account = await books.account_with("0")

    first = await books.deposit(account, "5.00", idempotencyKey="counter-7-0001")
    again = await books.deposit(account, "5.00", idempotencyKey="counter-7-0001")
    other = await books.deposit(account, "6.00", idempotencyKey="counter-7-0001")

    assert again["transaction"]["id"] == first["transaction"]["id"]
    assert codes(other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await books.balance(account) == Decimal("5.00")


async def test_a_replayed_withdrawal_returns_the_first_and_pays_out_once(books: Books):
    account = await books.account_with("50.00")

    first = await books.withdraw(account, "20.00", idempotencyKey="w-1")
    again = await books.withdraw(account, "20.00", idempotencyKey="w-1")

    assert again["errors"] == []
    assert again["transaction"] == first["transaction"]
    assert await books.balance(account) == Decimal("30.00")


async def test_a_replayed_transfer_returns_the_first_and_moves_once(books: Books):
    source = await books.account_with("50.00")
    target = await books.account_with("0")
    before = await books.entries()

    first = await books.transfer(source, target, "20.00", idempotencyKey="t-1")
    again = await books.transfer(source, target, "20.00", idempotencyKey="t-1")

    assert again["errors"] == []
    assert again["transfer"] == first["transfer"]
    assert await books.balance(source) == Decimal("30.00")
    assert await books.balance(target) == Decimal("20.00")
    assert await books.entries() == before + 1


async def test_a_replay_returns_the_first_result_after_the_account_was_frozen(books: Books):
    account = await books.account_with("50.00")
    first = await books.withdraw(account, "20.00", idempotencyKey="w-frozen")
    await books.freeze(account, "FULL")

    again = await books.withdraw(account, "20.00", idempotencyKey="w-frozen")

    assert again["errors"] == []
    assert again["transaction"] == first["transaction"]
    assert again["account"]["balance"] == {"amount": "30.00"}
    assert again["account"]["availableBalance"] == {"amount": "0.00"}


async def test_a_replay_returns_the_first_result_after_the_money_was_spent(books: Books):
    source = await books.account_with("20.00")
    target = await books.account_with("0")
    first = await books.transfer(source, target, "20.00", idempotencyKey="t-spent")

    again = await books.transfer(source, target, "20.00", idempotencyKey="t-spent")

    assert again["errors"] == []
    assert again["transfer"]["id"] == first["transfer"]["id"]
    assert await books.balance(source) == Decimal("0.00")
    assert await books.balance(target) == Decimal("20.00")


async def test_a_replay_returns_the_first_result_after_the_account_was_closed(books: Books):
    customer = await books.customer()
    account = await books.account_with("0", customer)
    first = await books.deposit(account, "20.00", idempotencyKey="d-closed")
    await close(books, account, await books.open(customer))

    again = await books.deposit(account, "20.00", idempotencyKey="d-closed")

    assert again["errors"] == []
    assert again["transaction"]["id"] == first["transaction"]["id"]
    assert await books.balance(account) == Decimal("0.00")


async def test_a_key_reused_for_another_account_is_refused(books: Books):
    account = await books.account_with("0")
    other = await books.account_with("0")
    await books.deposit(account, "5.00", idempotencyKey="k-account")
    before = await books.entries()

    payload = await books.deposit(other, "5.00", idempotencyKey="k-account")

    assert refusal(payload) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert await books.balance(other) == Decimal("0.00")
    assert await books.entries() == before


async def test_a_key_reused_for_another_operation_is_refused(books: Books):
    account = await books.account_with("100.00")
    target = await books.account_with("0")
    await books.deposit(account, "5.00", idempotencyKey="k-operation")
    before = await books.entries()

    withdrawn = await books.withdraw(account, "5.00", idempotencyKey="k-operation")
    moved = await books.transfer(account, target, "5.00", idempotencyKey="k-operation")

    assert refusal(withdrawn) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert refusal(moved) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert await books.balance(account) == Decimal("105.00")
    assert await books.entries() == before


async def test_a_transfer_key_reused_with_the_accounts_swapped_is_refused(books: Books):
    one = await books.account_with("100.00")
    two = await books.account_with("100.00")
    await books.transfer(one, two, "5.00", idempotencyKey="k-swap")

    payload = await books.transfer(two, one, "5.00", idempotencyKey="k-swap")

    assert refusal(payload) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert await books.balance(one) == Decimal("95.00")
    assert await books.balance(two) == Decimal("105.00")


async def test_a_key_reused_with_another_memo_is_refused(books: Books):
    account = await books.account_with("0")
    await books.deposit(account, "5.00", idempotencyKey="k-memo", memo="工资")

    payload = await books.deposit(account, "5.00", idempotencyKey="k-memo", memo="奖金")

    assert refusal(payload) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert await books.balance(account) == Decimal("5.00")


async def test_a_key_reused_by_another_member_of_staff_is_refused(books: Books):
    account = await books.account_with("0")
    await books.deposit(account, "5.00", by="bj.teller", idempotencyKey="k-user")

    payload = await books.deposit(account, "5.00", by="bj.manager", idempotencyKey="k-user")

    assert refusal(payload) == [("IDEMPOTENCY_KEY_REUSED", ["input", "idempotencyKey"])]
    assert await books.balance(account) == Decimal("5.00")


async def test_a_refused_request_leaves_its_key_free_for_a_corrected_retry(books: Books):
    account = await books.account_with("10.00")

    refused = await books.withdraw(account, "20.00", idempotencyKey="k-retry")
    retried = await books.withdraw(account, "5.00", idempotencyKey="k-retry")

    assert codes(refused) == ["INSUFFICIENT_FUNDS"]
    assert retried["errors"] == []
    assert await books.balance(account) == Decimal("5.00")


async def test_a_key_refused_for_its_amount_is_free_for_a_corrected_retry(books: Books):
    account = await books.account_with("10.00")

    refused = await books.deposit(account, "1.001", idempotencyKey="k-amount")
    retried = await books.deposit(account, "1.00", idempotencyKey="k-amount")

    assert codes(refused) == ["INVALID_AMOUNT"]
    assert retried["errors"] == []
    assert await books.balance(account) == Decimal("11.00")


async def test_a_transfer_key_refused_for_a_frozen_account_is_free_once_released(books: Books):
    source = await books.account_with("10.00")
    target = await books.account_with("0")
    held = await books.freeze(source, "DEBIT")

    refused = await books.transfer(source, target, "4.00", idempotencyKey="k-frozen")
    admin = await books.bank.sign_in("admin")
    await admin.data(
        "mutation($input: UnfreezeAccountInput!) { unfreezeAccount(input: $input) "
        "{ errors { code } } }",
        {"input": {"freezeId": held["id"], "reason": "解冻"}},
    )
    retried = await books.transfer(source, target, "4.00", idempotencyKey="k-frozen")

    assert codes(refused) == ["ACCOUNT_FROZEN"]
    assert retried["errors"] == []
    assert await books.balance(target) == Decimal("4.00")


# ---------------------------------------------------------------- who may move money

NOT_CASHIERS = ["bj.rm", "bj.agent", "auditor", "marketing"]


@pytest.mark.parametrize("username", NOT_CASHIERS)
@pytest.mark.parametrize("mutation", [DEPOSIT, WITHDRAW], ids=["deposit", "withdraw"])
async def test_staff_without_cash_handling_cannot_deposit_or_withdraw(
    books: Books, username: str, mutation: str
):
    account = await books.account_with("100.00")
    before = await books.entries()
    caller = await books.bank.sign_in(username)

    body = await caller.execute(
        mutation,
        {"input": {"accountId": account["id"], "amount": "1.00", "idempotencyKey": books.key()}},
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert body["data"] is None
    assert await books.balance(account) == Decimal("100.00")
    assert await books.entries() == before


async def test_a_relationship_manager_cannot_deposit_even_for_his_own_customer(books: Books):
    customer = await books.customer()
    await books.bank.assign(customer, "bj.rm")
    account = await books.account_with("100.00", customer)
    caller = await books.bank.sign_in("bj.rm")

    body = await caller.execute(
        DEPOSIT,
        {"input": {"accountId": account["id"], "amount": "1.00", "idempotencyKey": books.key()}},
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await books.balance(account) == Decimal("100.00")


@pytest.mark.parametrize("username", NOT_CASHIERS)
async def test_staff_without_the_transfer_permission_cannot_transfer(books: Books, username: str):
    source = await books.account_with("100.00")
    target = await books.account_with("0")
    before = await books.entries()
    caller = await books.bank.sign_in(username)

    body = await caller.execute(
        TRANSFER,
        {
            "input": {
                "fromAccountId": source["id"],
                "toAccountId": target["id"],
                "amount": "1.00",
                "idempotencyKey": books.key(),
            }
        },
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await books.balance(source) == Decimal("100.00")
    assert await books.balance(target) == Decimal("0.00")
    assert await books.entries() == before


@pytest.mark.parametrize(
    "mutation", [DEPOSIT, WITHDRAW, TRANSFER], ids=["deposit", "withdraw", "transfer"]
)
async def test_no_one_moves_money_without_signing_in(books: Books, mutation: str):
    source = await books.account_with("100.00")
    target = await books.account_with("0")
    before = await books.entries()
    request = {"amount": "1.00", "idempotencyKey": books.key()}
    if mutation is TRANSFER:
        request |= {"fromAccountId": source["id"], "toAccountId": target["id"]}
    else:
        request |= {"accountId": source["id"]}

    body = await books.bank.client.execute(mutation, {"input": request})

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await books.balance(source) == Decimal("100.00")
    assert await books.entries() == before


# ---------------------------------------------------------------- memos


async def test_a_memo_is_trimmed(books: Books):
    account = await books.account_with("0")

    payload = await books.deposit(account, "1.00", memo="  工资  ")

    assert payload["transaction"]["memo"] == "工资"


async def test_a_blank_memo_is_no_memo(books: Books):
    account = await books.account_with("0")

    payload = await books.deposit(account, "1.00", memo="   ")

    assert payload["errors"] == []
    assert payload["transaction"]["memo"] is None


async def test_a_memo_of_200_characters_is_kept_whole(books: Books):
    account = await books.account_with("0")

    payload = await books.deposit(account, "1.00", memo="备" * 200)

    assert payload["errors"] == []
    assert payload["transaction"]["memo"] == "备" * 200


async def test_a_memo_over_200_characters_is_refused(books: Books):
    account = await books.account_with("10.00")
    before = await books.entries()

    payload = await books.withdraw(account, "1.00", memo="备" * 201)

    assert refusal(payload) == [("TOO_LONG", ["input", "memo"])]
    assert await books.balance(account) == Decimal("10.00")
    assert await books.entries() == before


async def test_a_memo_with_control_characters_is_refused(books: Books):
    source = await books.account_with("10.00")
    target = await books.account_with("0")

    payload = await books.transfer(source, target, "1.00", memo="房租\x07")

    assert refusal(payload) == [("INVALID_CHARACTERS", ["input", "memo"])]
    assert await books.balance(source) == Decimal("10.00")


async def test_a_memo_is_shown_on_the_account_s_transactions(books: Books):
    account = await books.account_with("0")
    await books.deposit(account, "3.00", memo="  压岁钱 ")
    admin = await books.bank.sign_in("admin")

    body = await admin.data(HISTORY, {"id": account["id"]})

    (edge,) = body["account"]["transactions"]["edges"]
    assert edge["node"]["memo"] == "压岁钱"


async def test_a_transfer_shows_its_trimmed_memo(books: Books):
    source = await books.account_with("10.00")
    target = await books.account_with("0")

    payload = await books.transfer(source, target, "1.00", memo="\t房租 三月 ")

    assert payload["transfer"]["memo"] == "房租 三月"
