"""Deposits, withdrawals and transfers through the API."""

from __future__ import annotations

from decimal import Decimal

from tests.plugins.finance.conftest import Books, codes


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


async def test_a_withdrawal_beyond_the_available_balance_is_refused_and_moves_nothing(
    books: Books,
):
    account = await books.account_with("10.00")

    payload = await books.withdraw(account, "10.01")

    assert codes(payload) == ["INSUFFICIENT_FUNDS"]
    assert payload["errors"][0]["field"] == ["input", "amount"]
    assert await books.balance(account) == Decimal("10.00")


async def test_the_same_key_and_input_move_money_once(books: Books):
    account = await books.account_with("0")

    first = await books.deposit(account, "5.00", idempotencyKey="counter-7-0001")
    again = await books.deposit(account, "5.00", idempotencyKey="counter-7-0001")
    other = await books.deposit(account, "6.00", idempotencyKey="counter-7-0001")

    assert again["transaction"]["id"] == first["transaction"]["id"]
    assert codes(other) == ["IDEMPOTENCY_KEY_REUSED"]
    assert await books.balance(account) == Decimal("5.00")
