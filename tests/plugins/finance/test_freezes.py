"""Freezes (冻结): FULL (no debit, no credit), DEBIT (只收不付) and PARTIAL (an
amount held); several at once, each released on its own."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.finance.models import Account, Freeze, InternalAccount, JournalEntry
from tests.plugins.customer.conftest import SH, error_codes, global_id
from tests.plugins.finance.conftest import CLOSE_ACCOUNT, FREEZE, UNFREEZE, Books, codes

FREEZES = """
query($id: ID!) {
  account(id: $id) {
    status balance { amount } availableBalance { amount }
    freezes { id mode amount { amount currency } reason active createdAt releasedAt releaseReason }
  }
}
"""


def refusal(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(error["code"], error["field"]) for error in payload["errors"]]


async def unfreezing(
    books: Books, freeze_id: str, reason: str = "解除冻结", by: str = "admin"
) -> dict[str, Any]:
    """The ``unfreezeAccount`` payload (errors included)."""
    caller = await books.bank.sign_in(by)
    body = await caller.data(UNFREEZE, {"input": {"freezeId": freeze_id, "reason": reason}})
    return body["unfreezeAccount"]


async def seen(books: Books, account: dict[str, Any]) -> dict[str, Any]:
    """The account as the API shows it: status, balances and freezes."""
    admin = await books.bank.sign_in("admin")
    return (await admin.data(FREEZES, {"id": account["id"]}))["account"]


def amounts(account: dict[str, Any]) -> tuple[str, str, str]:
    """(status, balance, available balance)."""
    return (
        account["status"],
        account["balance"]["amount"],
        account["availableBalance"]["amount"],
    )


# ---------------------------------------------------------------- each mode


async def test_a_full_freeze_makes_the_account_frozen_with_nothing_available(books: Books):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "FULL")

    assert payload["errors"] == []
    assert payload["freeze"]["mode"] == "FULL"
    assert payload["freeze"]["active"] is True
    assert payload["freeze"]["amount"] is None
    assert amounts(payload["account"]) == ("FROZEN", "100.00", "0.00")


async def test_a_full_freeze_refuses_debits_and_credits(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "FULL")

    withdrawn = await books.withdraw(account, "1.00")
    deposited = await books.deposit(account, "1.00")

    assert codes(withdrawn) == ["ACCOUNT_FROZEN"]
    assert codes(deposited) == ["ACCOUNT_FROZEN"]
    assert await books.balance(account) == Decimal("100.00")


async def test_a_debit_freeze_makes_the_account_frozen_with_nothing_available(books: Books):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "DEBIT")

    assert payload["errors"] == []
    assert payload["freeze"]["mode"] == "DEBIT"
    assert amounts(payload["account"]) == ("FROZEN", "100.00", "0.00")


async def test_a_debit_freeze_refuses_debits(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "DEBIT")

    payload = await books.withdraw(account, "0.01")

    assert codes(payload) == ["ACCOUNT_FROZEN"]
    assert await books.balance(account) == Decimal("100.00")


async def test_a_debit_freeze_still_takes_credits(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "DEBIT")

    payload = await books.deposit(account, "50.00")

    assert payload["errors"] == []
    assert amounts(await seen(books, account)) == ("FROZEN", "150.00", "0.00")


async def test_a_partial_freeze_holds_its_amount_and_leaves_the_account_active(books: Books):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "PARTIAL", "30.00")

    assert payload["errors"] == []
    assert payload["freeze"]["mode"] == "PARTIAL"
    assert payload["freeze"]["amount"] == {"amount": "30.00"}
    assert amounts(payload["account"]) == ("ACTIVE", "100.00", "70.00")


async def test_a_partial_freeze_lets_the_rest_be_spent(books: Books):
    account = await books.account_with("100.00")
    target = await books.account_with("0")
    await books.freeze(account, "PARTIAL", "30.00")

    payload = await books.transfer(account, target, "70.00")

    assert payload["errors"] == []
    assert amounts(await seen(books, account)) == ("ACTIVE", "30.00", "0.00")


async def test_a_partial_freeze_still_takes_credits(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "PARTIAL", "100.00")

    payload = await books.deposit(account, "5.00")

    assert payload["errors"] == []
    assert payload["account"]["availableBalance"] == {"amount": "5.00"}


async def test_a_partial_freeze_may_hold_the_whole_balance(books: Books):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "PARTIAL", "100.00")

    assert payload["errors"] == []
    assert amounts(payload["account"]) == ("ACTIVE", "100.00", "0.00")


async def test_a_freeze_moves_no_money(books: Books):
    account = await books.account_with("100.00")
    before = await books.bank.count(JournalEntry)

    await books.freeze(account, "PARTIAL", "10.00")
    await books.freeze(account, "FULL")

    assert await books.bank.count(JournalEntry) == before
    assert await books.balance(account) == Decimal("100.00")
    assert (await books.ledger()).ok


async def test_a_freeze_in_dollars_holds_dollars(books: Books):
    account = await books.account_with("100.00", currency="USD")

    payload = await books.freezing(account, "PARTIAL", "40.00")

    assert payload["errors"] == []
    listed = (await seen(books, account))["freezes"]
    assert listed[0]["amount"] == {"amount": "40.00", "currency": "USD"}


# ---------------------------------------------------------------- several at once


async def test_partial_holds_add_up(books: Books):
    account = await books.account_with("100.00")

    await books.freeze(account, "PARTIAL", "30.00")
    payload = await books.freezing(account, "PARTIAL", "45.50")

    assert amounts(payload["account"]) == ("ACTIVE", "100.00", "24.50")


async def test_a_hold_larger_than_the_unheld_balance_is_refused(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "PARTIAL", "60.00")

    payload = await books.freezing(account, "PARTIAL", "40.01")

    assert refusal(payload) == [("INSUFFICIENT_FUNDS", ["input", "amount"])]
    assert amounts(await seen(books, account)) == ("ACTIVE", "100.00", "40.00")
    assert await books.bank.count(Freeze) == 1


async def test_a_hold_larger_than_the_balance_is_refused(books: Books):
    account = await books.account_with("10.00")

    payload = await books.freezing(account, "PARTIAL", "10.01")

    assert refusal(payload) == [("INSUFFICIENT_FUNDS", ["input", "amount"])]
    assert await books.bank.count(Freeze) == 0


async def test_a_hold_on_an_empty_account_is_refused(books: Books):
    account = await books.open(await books.customer())

    payload = await books.freezing(account, "PARTIAL", "0.01")

    assert codes(payload) == ["INSUFFICIENT_FUNDS"]


async def test_the_remaining_unheld_balance_may_still_be_held(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "PARTIAL", "60.00")

    payload = await books.freezing(account, "PARTIAL", "40.00")

    assert payload["errors"] == []
    assert amounts(payload["account"]) == ("ACTIVE", "100.00", "0.00")


async def test_a_full_freeze_over_a_hold_leaves_nothing_available(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "PARTIAL", "30.00")

    payload = await books.freezing(account, "FULL")

    assert amounts(payload["account"]) == ("FROZEN", "100.00", "0.00")


async def test_releasing_one_freeze_leaves_the_others_in_force(books: Books):
    account = await books.account_with("100.00")
    full = await books.freeze(account, "FULL")
    debit = await books.freeze(account, "DEBIT")
    hold = await books.freeze(account, "PARTIAL", "25.00")

    released = await unfreezing(books, full["id"])

    assert released["errors"] == []
    assert released["freeze"]["id"] == full["id"]
    assert released["freeze"]["active"] is False
    assert amounts(released["account"]) == ("FROZEN", "100.00", "0.00")
    listed = {f["id"]: f["active"] for f in (await seen(books, account))["freezes"]}
    assert listed == {full["id"]: False, debit["id"]: True, hold["id"]: True}


async def test_releasing_the_full_freeze_under_a_debit_freeze_lets_credits_in(books: Books):
    account = await books.account_with("100.00")
    full = await books.freeze(account, "FULL")
    await books.freeze(account, "DEBIT")
    await unfreezing(books, full["id"])

    deposited = await books.deposit(account, "10.00")
    withdrawn = await books.withdraw(account, "10.00")

    assert deposited["errors"] == []
    assert codes(withdrawn) == ["ACCOUNT_FROZEN"]
    assert await books.balance(account) == Decimal("110.00")


async def test_releasing_the_last_blocking_freeze_leaves_only_the_holds(books: Books):
    account = await books.account_with("100.00")
    full = await books.freeze(account, "FULL")
    debit = await books.freeze(account, "DEBIT")
    await books.freeze(account, "PARTIAL", "25.00")
    await unfreezing(books, full["id"])

    released = await unfreezing(books, debit["id"])

    assert amounts(released["account"]) == ("ACTIVE", "100.00", "75.00")
    assert codes(await books.withdraw(account, "75.01")) == ["INSUFFICIENT_FUNDS"]
    assert (await books.withdraw(account, "75.00"))["errors"] == []


async def test_releasing_one_hold_gives_back_only_its_amount(books: Books):
    account = await books.account_with("100.00")
    first = await books.freeze(account, "PARTIAL", "30.00")
    await books.freeze(account, "PARTIAL", "20.00")

    released = await unfreezing(books, first["id"])

    assert amounts(released["account"]) == ("ACTIVE", "100.00", "80.00")


async def test_releasing_every_freeze_makes_the_whole_balance_available_again(books: Books):
    account = await books.account_with("100.00")
    frozen = [
        await books.freeze(account, "FULL"),
        await books.freeze(account, "DEBIT"),
        await books.freeze(account, "PARTIAL", "50.00"),
    ]

    for each in frozen:
        await unfreezing(books, each["id"])

    assert amounts(await seen(books, account)) == ("ACTIVE", "100.00", "100.00")
    assert (await books.withdraw(account, "100.00"))["errors"] == []


async def test_a_released_freeze_keeps_who_released_it_why_and_when(books: Books):
    account = await books.account_with("100.00")
    held = await books.freeze(account, "PARTIAL", "10.00")

    await unfreezing(books, held["id"], reason="  法院解除  ")

    (listed,) = (await seen(books, account))["freezes"]
    assert listed["active"] is False
    assert listed["releasedAt"] is not None
    assert listed["releaseReason"] == "法院解除"
    assert listed["reason"] == "法院协助冻结"


async def test_a_freeze_cannot_be_released_twice(books: Books):
    account = await books.account_with("100.00")
    full = await books.freeze(account, "FULL")
    await books.freeze(account, "DEBIT")
    await unfreezing(books, full["id"], reason="第一次")

    again = await unfreezing(books, full["id"], reason="第二次")

    assert refusal(again) == [("FREEZE_RELEASED", ["input", "freezeId"])]
    (released,) = [f for f in (await seen(books, account))["freezes"] if f["id"] == full["id"]]
    assert released["releaseReason"] == "第一次"
    assert (await seen(books, account))["status"] == "FROZEN"


async def test_an_unknown_freeze_cannot_be_released(books: Books):
    payload = await unfreezing(books, global_id("AccountFreeze", 999_999))

    assert refusal(payload) == [("FREEZE_NOT_FOUND", ["input", "freezeId"])]


async def test_an_id_of_another_type_is_no_freeze(books: Books):
    account = await books.account_with("100.00")
    await books.freeze(account, "FULL")

    payload = await unfreezing(books, account["id"])

    assert refusal(payload) == [("FREEZE_NOT_FOUND", ["input", "freezeId"])]
    assert (await seen(books, account))["status"] == "FROZEN"


async def test_a_freeze_of_another_branch_cannot_be_released(books: Books):
    account = await books.account_with("100.00", await books.customer(branchCode=SH))
    full = await books.freeze(account, "FULL")

    payload = await unfreezing(books, full["id"], by="bj.manager")

    assert refusal(payload) == [("FREEZE_NOT_FOUND", ["input", "freezeId"])]
    assert (await seen(books, account))["status"] == "FROZEN"


async def test_a_release_needs_a_reason(books: Books):
    account = await books.account_with("100.00")
    full = await books.freeze(account, "FULL")

    payload = await unfreezing(books, full["id"], reason="   ")

    assert refusal(payload) == [("REQUIRED", ["input", "reason"])]
    assert (await seen(books, account))["status"] == "FROZEN"


# ---------------------------------------------------------------- what a freeze needs


async def test_a_partial_freeze_needs_an_amount(books: Books):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "PARTIAL")

    assert refusal(payload) == [("REQUIRED", ["input", "amount"])]
    assert await books.bank.count(Freeze) == 0


@pytest.mark.parametrize("mode", ["FULL", "DEBIT"])
async def test_a_full_or_debit_freeze_takes_no_amount(books: Books, mode: str):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, mode, "10.00")

    assert refusal(payload) == [("INVALID_AMOUNT", ["input", "amount"])]
    assert amounts(await seen(books, account)) == ("ACTIVE", "100.00", "100.00")


@pytest.mark.parametrize("amount", ["0", "-10.00", "10.001"])
async def test_a_partial_freeze_of_a_bad_amount_is_refused(books: Books, amount: str):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "PARTIAL", amount)

    assert refusal(payload) == [("INVALID_AMOUNT", ["input", "amount"])]
    assert await books.bank.count(Freeze) == 0


@pytest.mark.parametrize("reason", ["", "   "])
async def test_a_freeze_needs_a_reason(books: Books, reason: str):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "FULL", reason=reason)

    assert refusal(payload) == [("REQUIRED", ["input", "reason"])]
    assert (await seen(books, account))["status"] == "ACTIVE"


async def test_a_reason_over_500_characters_is_refused(books: Books):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "FULL", reason="冻" * 501)

    assert refusal(payload) == [("TOO_LONG", ["input", "reason"])]


async def test_a_freeze_keeps_its_reason_trimmed(books: Books):
    account = await books.account_with("100.00")

    payload = await books.freezing(account, "DEBIT", reason="  (2024)京0105执保123号  ")

    assert payload["freeze"]["reason"] == "(2024)京0105执保123号"
    (listed,) = (await seen(books, account))["freezes"]
    assert listed["reason"] == "(2024)京0105执保123号"
    assert listed["createdAt"] is not None


async def test_an_unknown_account_cannot_be_frozen(books: Books):
    payload = await books.freezing({"id": global_id("Account", 999_999)}, "FULL")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]


async def test_an_account_of_another_branch_cannot_be_frozen(books: Books):
    account = await books.account_with("100.00", await books.customer(branchCode=SH))

    payload = await books.freezing(account, "FULL", by="bj.manager")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert (await seen(books, account))["status"] == "ACTIVE"


async def test_the_bank_s_own_cash_account_cannot_be_frozen(books: Books):
    await books.account_with("100.00")
    async with books.runtime.database.transaction(Mode.READ) as session:
        cash_id = await session.scalar(
            select(Account.id).where(Account.internal == InternalAccount.CASH)
        )

    payload = await books.freezing({"id": global_id("Account", cash_id)}, "FULL")

    assert refusal(payload) == [("ACCOUNT_NOT_FOUND", ["input", "accountId"])]
    assert await books.bank.count(Freeze) == 0


async def test_a_closed_account_cannot_be_frozen(books: Books):
    account = await books.open(await books.customer())
    admin = await books.bank.sign_in("admin")
    await admin.data(CLOSE_ACCOUNT, {"input": {"accountId": account["id"]}})

    payload = await books.freezing(account, "FULL")

    assert refusal(payload) == [("ACCOUNT_CLOSED", ["input", "accountId"])]
    assert await books.bank.count(Freeze) == 0


# ---------------------------------------------------------------- listing


async def test_an_account_lists_its_active_freezes_first_then_released_ones_newest_first(
    books: Books,
):
    account = await books.account_with("100.00")
    first = await books.freeze(account, "FULL")
    second = await books.freeze(account, "PARTIAL", "10.00")
    third = await books.freeze(account, "DEBIT")
    fourth = await books.freeze(account, "PARTIAL", "5.00")
    await unfreezing(books, first["id"])
    await unfreezing(books, third["id"])

    listed = (await seen(books, account))["freezes"]

    assert [(f["id"], f["active"]) for f in listed] == [
        (fourth["id"], True),
        (second["id"], True),
        (third["id"], False),
        (first["id"], False),
    ]
    assert [f["mode"] for f in listed] == ["PARTIAL", "PARTIAL", "DEBIT", "FULL"]
    assert [f["amount"] for f in listed] == [
        {"amount": "5.00", "currency": "CNY"},
        {"amount": "10.00", "currency": "CNY"},
        None,
        None,
    ]


async def test_an_account_never_frozen_lists_no_freezes(books: Books):
    account = await books.account_with("100.00")

    assert (await seen(books, account))["freezes"] == []


# ---------------------------------------------------------------- who may freeze


@pytest.mark.parametrize("username", ["admin", "bj.manager"])
async def test_administrators_and_branch_managers_may_freeze_and_release(
    books: Books, username: str
):
    account = await books.account_with("100.00")

    frozen = await books.freezing(account, "FULL", by=username)
    released = await unfreezing(books, frozen["freeze"]["id"], by=username)

    assert frozen["errors"] == released["errors"] == []
    assert released["account"]["status"] == "ACTIVE"


@pytest.mark.parametrize("username", ["bj.teller", "bj.rm", "bj.agent", "auditor", "marketing"])
async def test_other_staff_cannot_freeze(books: Books, username: str):
    account = await books.account_with("100.00")
    caller = await books.bank.sign_in(username)

    body = await caller.execute(
        FREEZE, {"input": {"accountId": account["id"], "mode": "FULL", "reason": "试试"}}
    )

    assert error_codes(body) == ["FORBIDDEN"]
    assert await books.bank.count(Freeze) == 0
    assert (await seen(books, account))["status"] == "ACTIVE"


@pytest.mark.parametrize("username", ["bj.teller", "bj.rm", "auditor"])
async def test_other_staff_cannot_release_a_freeze(books: Books, username: str):
    account = await books.account_with("100.00")
    full = await books.freeze(account, "FULL")
    caller = await books.bank.sign_in(username)

    body = await caller.execute(UNFREEZE, {"input": {"freezeId": full["id"], "reason": "试试"}})

    assert error_codes(body) == ["FORBIDDEN"]
    assert (await seen(books, account))["status"] == "FROZEN"


async def test_no_one_freezes_without_signing_in(books: Books):
    account = await books.account_with("100.00")

    body = await books.bank.client.execute(
        FREEZE, {"input": {"accountId": account["id"], "mode": "FULL", "reason": "试试"}}
    )

    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert await books.bank.count(Freeze) == 0
