"""Who reaches which accounts, and through which paths.

Three customers with an account each: ``managed`` (BJ-001, managed by
``bj.rm``), ``unmanaged`` (BJ-001) and ``shanghai`` (SH-001). An account is
reachable exactly when its customer is, and only by roles that read accounts;
out of reach looks exactly like missing, through ``account``, ``node`` (for
accounts, transactions, freezes and transfers) and ``Customer.accounts``.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from core.db import Mode
from plugins.finance.models import Account
from tests.plugins.customer.conftest import SH, error_codes, global_id
from tests.plugins.finance.conftest import FREEZE, Books

EVERYONE = {"managed", "unmanaged", "shanghai"}
BEIJING = {"managed", "unmanaged"}

MATRIX = [
    ("admin", EVERYONE),
    ("auditor", EVERYONE),
    ("bj.manager", BEIJING),
    ("bj.rm", {"managed"}),
    ("bj.teller", BEIJING),
    ("bj.agent", BEIJING),
]
"""Each role that reads accounts, and whose accounts it reaches."""
ROLES = [username for username, _ in MATRIX]

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename
    ... on Account { accountNo }
    ... on Transaction { kind }
    ... on AccountFreeze { mode }
    ... on Transfer { amount { amount } }
  }
}
"""
ACCOUNT = "query($id: ID!) { account(id: $id) { accountNo balance { amount } } }"
CUSTOMER_ACCOUNTS = """
query($id: ID!) { customer(id: $id) { accounts { accountNo } totalAssets { amount } } }
"""


@pytest.fixture
async def trio(books: Books) -> dict[str, dict[str, Any]]:
    """Each customer's account, holding 100.00, by customer name; each also has a
    transfer in from a second account of its own and a freeze of 1.00."""
    managed = await books.customer(name="managed")
    await books.bank.assign(managed, "bj.rm")
    customers = {
        "managed": managed,
        "unmanaged": await books.customer(name="unmanaged"),
        "shanghai": await books.customer(name="shanghai", branchCode=SH),
    }
    found = {}
    admin = await books.bank.sign_in("admin")
    for name, customer in customers.items():
        account = await books.account_with("100.00", customer)
        spare = await books.account_with("10.00", customer)
        transfer = await books.transfer(spare, account, "1.00")
        deposit = await books.deposit(account, "2.00")
        freeze = await admin.data(
            FREEZE,
            {
                "input": {
                    "accountId": account["id"],
                    "mode": "PARTIAL",
                    "reason": "法院冻结",
                    "amount": "1.00",
                }
            },
        )
        found[name] = {
            "customer": customer,
            "account": account,
            "transaction": deposit["transaction"],
            "transfer": transfer["transfer"],
            "freeze": freeze["freezeAccount"]["freeze"],
        }
    return found


@pytest.mark.parametrize(("username", "visible"), MATRIX, ids=ROLES)
async def test_account_by_id_finds_exactly_the_accounts_in_scope(books, trio, username, visible):
    caller = await books.bank.sign_in(username)

    found = {
        name
        for name, held in trio.items()
        if (await caller.data(ACCOUNT, {"id": held["account"]["id"]}))["account"] is not None
    }

    assert found == visible


@pytest.mark.parametrize("kind", ["account", "transaction", "freeze", "transfer"])
@pytest.mark.parametrize(("username", "visible"), MATRIX, ids=ROLES)
async def test_node_finds_exactly_what_is_in_scope(books, trio, username, visible, kind):
    caller = await books.bank.sign_in(username)

    found = {
        name
        for name, held in trio.items()
        if (await caller.data(NODE, {"id": held[kind]["id"]}))["node"] is not None
    }

    assert found == visible


@pytest.mark.parametrize(("username", "visible"), MATRIX, ids=ROLES)
async def test_a_customer_s_accounts_are_listed_for_customers_in_scope(
    books, trio, username, visible
):
    caller = await books.bank.sign_in(username)

    for name in visible:
        body = await caller.data(CUSTOMER_ACCOUNTS, {"id": trio[name]["customer"]["id"]})
        accounts = body["customer"]["accounts"]
        assert trio[name]["account"]["accountNo"] in {a["accountNo"] for a in accounts}
        assert body["customer"]["totalAssets"] == {"amount": "112.00"}


async def test_an_out_of_scope_account_looks_exactly_like_a_missing_one(books, trio):
    caller = await books.bank.sign_in("bj.teller")
    missing = global_id("Account", 999_999)

    hidden = await caller.execute(ACCOUNT, {"id": trio["shanghai"]["account"]["id"]})
    absent = await caller.execute(ACCOUNT, {"id": missing})

    assert hidden == absent == {"data": {"account": None}}


async def test_marketing_reads_customers_but_no_accounts(books, trio):
    caller = await books.bank.sign_in("marketing")
    account = trio["managed"]["account"]

    denied = await caller.execute(ACCOUNT, {"id": account["id"]})
    node = await caller.data(NODE, {"id": account["id"]})
    listed = await caller.data(CUSTOMER_ACCOUNTS, {"id": trio["managed"]["customer"]["id"]})

    assert error_codes(denied) == ["FORBIDDEN"]
    assert node == {"node": None}
    assert listed["customer"]["accounts"] == []


async def test_the_bank_s_own_accounts_are_never_reached(books, trio):
    caller = await books.bank.sign_in("admin")
    async with books.runtime.database.transaction(Mode.READ) as session:
        internal = list(
            await session.scalars(select(Account.id).where(Account.internal.is_not(None)))
        )
    assert internal, "deposits were taken against the bank's cash account"

    for account_id in internal:
        assert (await caller.data(ACCOUNT, {"id": global_id("Account", account_id)})) == {
            "account": None
        }
        assert (await caller.data(NODE, {"id": global_id("Account", account_id)})) == {"node": None}


async def test_a_teller_cannot_move_money_out_of_another_branch(books, trio):
    payload = await books.transfer(
        trio["shanghai"]["account"], trio["unmanaged"]["account"], "1.00", by="bj.teller"
    )

    assert [e["code"] for e in payload["errors"]] == ["ACCOUNT_NOT_FOUND"]
    assert payload["errors"][0]["field"] == ["input", "fromAccountId"]
